package interop

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMagnetFromClients: `bttls get MAGNET --peer ADDR` fetches the info
// dict from a real client over BEP 9 (ut_metadata), checks it against the
// infohash, then downloads the file. No tracker: the magnet names none
// that runs, so the only source is the client.
func TestMagnetFromClients(t *testing.T) {
	tr := StartTracker(t, time.Minute) // rtorrent will not load a torrent without a tracker
	clients := []struct {
		name  string
		start func(t *testing.T, torrent, infohash, dir string) int
	}{
		{"libtorrent", func(t *testing.T, torrent, infohash, dir string) int {
			lt, port := StartLibtorrent(t, LibtorrentOptions{Torrent: torrent, Dir: dir})
			if err := lt.WaitOutput("complete", 20*time.Second); err != nil {
				t.Fatal(err)
			}
			return port
		}},
		{"rtorrent", func(t *testing.T, torrent, infohash, dir string) int {
			_, port := StartRtorrent(t, RtorrentOptions{Torrent: torrent, Dir: dir})
			if _, err := tr.WaitAnnounce(20*time.Second, infohash[:8], `client "-lt`, "left=0"); err != nil {
				t.Fatal(err)
			}
			return port
		}},
		{"transmission", func(t *testing.T, torrent, infohash, dir string) int {
			tm := StartTransmission(t, TransmissionOptions{Torrent: torrent, Dir: dir})
			if err := tm.WaitSeeding(20 * time.Second); err != nil {
				t.Fatal(err)
			}
			return tm.Port
		}},
	}
	for i, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "transmission" && testing.Short() {
				t.Skip("~15 s; run without -short")
			}
			dir := t.TempDir()
			const size = 1<<20 + 99
			file, sum := MakeFile(t, dir, fmt.Sprintf("magnet%d.bin", i), size, uint64(200+i))
			torrent, infohash, magnet := BttlsCreateMagnet(t, file, tr.URL)
			port := c.start(t, torrent, infohash, dir)
			// Drop the tr= parameter: the client is the only source.
			magnet = magnet[:strings.Index(magnet, "&tr=")]
			out := filepath.Join(t.TempDir(), "out.bin")
			get := BttlsGet(t, magnet, out, "--peer", fmt.Sprintf("127.0.0.1:%d", port))
			if err := get.Wait(60 * time.Second); err != nil {
				t.Fatalf("bttls get magnet: %v", err)
			}
			if err := WaitFile(out, size, sum, time.Second); err != nil {
				t.Fatal(err)
			}
			t.Logf("bttls get %s from %s: %v", magnet, c.name, Transports(get))
		})
	}
}
