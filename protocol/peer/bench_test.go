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
// over loopback TCP: the seed reads a file, the downloader keeps the bytes in memory.
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
	for range b.N {
		c, _ := New(Config{Env: env.OS{}})
		st, _ := storage.NewMemory(tor, nil)
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
