package peer

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/storage"
)

// BenchmarkLoopback moves a torrent between two clients in this process
// over loopback TCP: the seed reads a file, the downloader writes one.
func BenchmarkLoopback(b *testing.B) {
	tor, data := makeTorrentB(b, 64<<20)
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	os.WriteFile(src, data, 0o644)
	seed, _ := New(Config{Env: env.OS{}, ListenAddr: "127.0.0.1:0"})
	defer seed.Close()
	ss, err := storage.OpenFile(tor, src, true)
	if err != nil {
		b.Fatal(err)
	}
	seed.AddTorrent(tor, ss)
	b.SetBytes(tor.Length)
	b.ResetTimer()
	for i := range b.N {
		c, _ := New(Config{Env: env.OS{}, MaxRequests: benchReqs})
		st, _ := storage.OpenFile(tor, filepath.Join(dir, "out"+string(rune('a'+i%26))), false)
		t, _ := c.AddTorrent(tor, st)
		sig := env.OS{}.NewSignal()
		t.Subscribe(sig)
		t.AddPeers(seed.Addr().String())
		for !t.Complete() {
			sig.Wait(time.Second)
		}
		c.Close()
	}
}

var benchReqs = 128
