package interop

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTrackerTLSSignal: with TLS enabled a bttls peer announces
// supporttls=1 and the tracker says so to the next peer (peers_tls), which
// finds the seed through the tracker alone and connects over TLS; with
// --tls=off it announces no TLS (docs/tracker.md).
func TestTrackerTLSSignal(t *testing.T) {
	tr := StartBttlsTracker(t, time.Minute)
	dir := t.TempDir()
	file, sum := MakeFile(t, dir, "signal.bin", 1<<20+3, 7)
	torrent, infohash := BttlsCreate(t, file, tr.URL)

	BttlsSeed(t, torrent, file) // --tls=prefer, the default
	line, err := tr.WaitAnnounce(20*time.Second, infohash[:8], `client "-BT`, "left=0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "tls=true") {
		t.Errorf("bttls seed --tls=prefer announced without supporttls=1: %s", line)
	}
	out := filepath.Join(t.TempDir(), "signal.bin")
	get := BttlsGet(t, torrent, out) // no --peer: the tracker is the only source
	if err := get.Wait(60 * time.Second); err != nil {
		t.Fatalf("bttls get: %v", err)
	}
	if err := WaitFile(out, 1<<20+3, sum, time.Second); err != nil {
		t.Fatal(err)
	}
	if kinds := Transports(get); !slices.Contains(kinds, "tls-basic outbound") {
		t.Errorf("bttls get connected with %v, want tls-basic", kinds)
	}

	// Another torrent, seeded with TLS off.
	plainFile, _ := MakeFile(t, t.TempDir(), "plain.bin", 1<<20, 8)
	plain, plainHash := BttlsCreate(t, plainFile, tr.URL)
	BttlsSeed(t, plain, plainFile, "--tls=off")
	line, err = tr.WaitAnnounce(20*time.Second, plainHash[:8], `client "-BT`, "left=0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "tls=false") {
		t.Errorf("bttls seed --tls=off announced supporttls=1: %s", line)
	}
}
