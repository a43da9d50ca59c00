package interop

import (
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestOnePortManyTransports: one bttls seed (--tls=prefer) serves a
// libtorrent leecher and a bttls leecher on the same port; the tracker is
// their only source. bttls comes in over TLS, libtorrent over MSE or
// plaintext (its choice: it dialled tracker peers in plaintext here).
func TestOnePortManyTransports(t *testing.T) {
	tr := StartBttlsTracker(t, time.Minute)
	dir := t.TempDir()
	const size = 2<<20 + 11
	file, sum := MakeFile(t, dir, "shared.bin", size, 400)
	torrent, infohash := BttlsCreate(t, file, tr.URL)

	seed, _ := BttlsSeed(t, torrent, file)
	if _, err := tr.WaitAnnounce(20*time.Second, infohash[:8], `client "-BT`, "left=0", "tls=true"); err != nil {
		t.Fatal(err)
	}
	ltDir := t.TempDir()
	StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: ltDir})
	out := filepath.Join(t.TempDir(), "shared.bin")
	get := BttlsGet(t, torrent, out)
	if err := get.Wait(60 * time.Second); err != nil {
		t.Fatalf("bttls get: %v", err)
	}
	if err := WaitFile(out, size, sum, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := WaitFile(filepath.Join(ltDir, "shared.bin"), size, sum, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	kinds := Transports(seed)
	t.Logf("bttls seed accepted: %v", kinds)
	legacy := slices.Contains(kinds, "mse inbound") || slices.Contains(kinds, "plain inbound")
	if !slices.Contains(kinds, "tls-basic inbound") || !legacy {
		t.Errorf("seed accepted %v, want tls-basic (bttls) and mse or plain (libtorrent) inbound", kinds)
	}
}
