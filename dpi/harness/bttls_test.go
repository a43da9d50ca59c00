package harness

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDPIBttls captures a bttls-to-bttls transfer in every mode and checks
// the claims of the BEP: plaintext is BitTorrent to nDPI (the harness sees
// what it should); no TLS level is classified BitTorrent or would be blocked
// as fully encrypted; no infohash appears anywhere in a TLS-level capture,
// except Full Strict mode 1, which puts the hex infohash in the SNI by
// design (libtorrent compatibility).
func TestDPIBttls(t *testing.T) {
	needTools(t)
	bin, err := BuildBttls(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &Bttls{Bin: bin}
	for _, mode := range BttlsModes {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			s, err := b.Prepare(dir, mode, 256<<10)
			if err != nil {
				t.Fatal(err)
			}
			port, err1 := FreePort()
			getPort, err2 := FreePort()
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			seed, err := b.StartSeed(s, port)
			if err != nil {
				t.Fatal(err)
			}
			defer seed.Stop()
			c, err := StartCapture(dir, "bttls-"+mode, port, getPort)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "got.bin")
			getErr := b.Get(s, port, getPort, out)
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			if getErr != nil {
				t.Fatalf("%v\nseed log:\n%s", getErr, seed.Log())
			}
			want, _ := os.ReadFile(s.Data)
			if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
				t.Fatalf("downloaded file differs from the seeded one")
			}
			needles, err := s.Needles()
			if err != nil {
				t.Fatal(err)
			}
			r := analyze(t, "bttls "+mode, c.Path, port, needles)
			checkBttls(t, mode, r)
		})
	}
}

func checkBttls(t *testing.T, mode string, r *Report) {
	m := r.Main()
	if m.NDPI == nil {
		t.Fatalf("ndpiReader did not list the transfer flow %s -> %s", m.Client, m.Server)
	}
	switch mode {
	case "plain":
		if m.NDPI.Protocol != "BitTorrent" {
			t.Errorf("plaintext classified %q, want BitTorrent: the harness does not see what nDPI sees", m.NDPI.Protocol)
		}
		if len(r.InfohashFound) == 0 {
			t.Errorf("plaintext capture: infohash not found")
		}
		return
	case "mse":
		if m.NDPI.Protocol == "BitTorrent" {
			t.Errorf("MSE classified BitTorrent: %s", m.NDPI.Line)
		}
		return
	}
	// A TLS level.
	for _, f := range r.Flows {
		if f.ClientBytes == 0 {
			continue
		}
		if f.NDPI != nil && (f.NDPI.Protocol == "BitTorrent" || f.NDPI.Master == "BitTorrent") {
			t.Errorf("flow %s -> %s classified BitTorrent: %s", f.Client, f.Server, f.NDPI.Line)
		}
		if f.FET.Blocked() {
			t.Errorf("flow %s -> %s: first payload would be blocked as fully encrypted: %v", f.Client, f.Server, f.FET)
		}
		if f.Hello == nil {
			t.Errorf("flow %s -> %s does not start with a TLS ClientHello", f.Client, f.Server)
		}
	}
	if mode == "fullstrict1" {
		// By design: libtorrent's SSL-torrent wire format, SNI = hex infohash.
		if m.Hello == nil || len(m.Hello.ServerName) != 40 || !strings.Contains(strings.Join(r.InfohashFound, ","), "hex") {
			t.Errorf("Full Strict mode 1: want the hex infohash in the SNI (libtorrent compatible), found %v", r.InfohashFound)
		}
		return
	}
	if len(r.InfohashFound) > 0 {
		t.Errorf("%s capture leaks the infohash: %v", mode, r.InfohashFound)
	}
	if m.Hello != nil && m.Hello.ServerName != "" {
		t.Errorf("%s ClientHello carries SNI %q; a client dialling an IP sends none", mode, m.Hello.ServerName)
	}
}
