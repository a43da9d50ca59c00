package main

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/strict"
)

// TestTLSCreateOptions: the level flags create.go hands its torrent to.
func TestTLSCreateOptions(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.bin")
	b := make([]byte, 50<<10)
	rand.Read(b)
	os.WriteFile(data, b, 0o600)
	raw, err := meta.Create(data, meta.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bttlsBin, "ca", "init", filepath.Join(dir, "ca")).CombinedOutput(); err != nil {
		t.Fatalf("ca init: %v\n%s", err, out)
	}
	ca := filepath.Join(dir, "ca", "ca.pem")
	out := filepath.Join(dir, "x.torrent")

	st, notes, err := (&tlsCreateOptions{strict: true, epochs: 8}).apply(raw, out)
	if err != nil || !strings.Contains(strings.Join(notes, "\n"), strict.MagnetParam+"=0:") {
		t.Fatalf("--strict: %v %q", err, notes)
	}
	if m, _ := meta.Parse(st); m == nil || !m.Private {
		t.Fatal("strict torrent is not private")
	}
	if _, err := os.Stat(out + ".seed"); err != nil {
		t.Fatalf("no seed file: %v", err)
	}
	fsRaw, _, err := (&tlsCreateOptions{ca: ca, modes: "2"}).apply(raw, out)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := meta.Parse(fsRaw)
	if s, err := fullstrict.FromInfo(m.InfoBytes, m.Name, m.InfoHash, [32]byte{}); err != nil || s.HasMode(1) || !s.HasMode(2) {
		t.Fatalf("--ca --modes 2: %v", err)
	}
	for _, bad := range []*tlsCreateOptions{{strict: true, ca: ca}, {ca: ca, modes: "3"}, {ca: filepath.Join(dir, "missing.pem"), modes: "1"}} {
		if _, _, err := bad.apply(raw, out); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
	if same, notes, err := (&tlsCreateOptions{}).apply(raw, out); err != nil || string(same) != string(raw) || notes != nil {
		t.Fatal("no level flags changed the torrent")
	}
}
