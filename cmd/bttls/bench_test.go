package main

import (
	"crypto/rand"
	"crypto/sha1"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/storage"
)

// BenchmarkPlainTransfer compares plaintext BitTorrent between two bttls
// peers — `bttls seed` in its own process reading the file, a downloader in
// this one keeping the bytes in memory, over loopback TCP, every piece
// SHA-1 checked — with a raw TCP copy of the same bytes from another
// process into memory here. The "ratio" metric is bttls/raw throughput.
func BenchmarkPlainTransfer(b *testing.B) {
	const size = 128 << 20
	dir := b.TempDir()
	file := filepath.Join(dir, "payload.bin")
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		b.Fatal(err)
	}
	raw, err := meta.Create(file, meta.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tf := filepath.Join(dir, "payload.torrent")
	os.WriteFile(tf, raw, 0o644)
	tor, _ := meta.Parse(raw)
	seedAddr := startSeed(b, tf, file)
	sender := startRawSender(b, file)

	var bttlsTime, rawTime, hashTime time.Duration
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		downloadOnce(b, tor, seedAddr)
		bttlsTime += time.Since(start)

		start = time.Now()
		got := sender.copyOnce(b, size)
		rawTime += time.Since(start)

		// What verifying the raw copy would add: SHA-1 of every piece.
		start = time.Now()
		for i := range tor.NumPieces() {
			off := int64(i) * tor.PieceLength
			if sha1.Sum(got[off:off+int64(tor.PieceSize(i))]) != tor.Pieces[i] {
				b.Fatalf("raw copy: piece %d differs", i)
			}
		}
		hashTime += time.Since(start)
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(mbps(bttlsTime), "bttls-MB/s")
	b.ReportMetric(mbps(rawTime), "raw-MB/s")
	b.ReportMetric(rawTime.Seconds()/bttlsTime.Seconds(), "ratio")
	// The same against a raw copy that is then SHA-1 checked, one core.
	b.ReportMetric((rawTime+hashTime).Seconds()/bttlsTime.Seconds(), "ratio-vs-raw+sha1")
}

func downloadOnce(b *testing.B, tor *meta.Torrent, seedAddr string) {
	c, err := peer.New(peer.Config{Env: env.OS{}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	st, _ := storage.NewMemory(tor, nil)
	t, err := c.AddTorrent(tor, st)
	if err != nil {
		b.Fatal(err)
	}
	sig := env.OS{}.NewSignal()
	t.Subscribe(sig)
	t.AddPeers(seedAddr)
	deadline := time.Now().Add(2 * time.Minute)
	for !t.Complete() {
		if time.Now().After(deadline) {
			b.Fatalf("download incomplete after 2 minutes: %+v", t.Stats())
		}
		sig.Wait(time.Second)
	}
}

// rawSender is a process that writes the payload to a listener of ours,
// each time it is poked.
type rawSender struct {
	ln   net.Listener
	poke io.Writer
}

func startRawSender(b *testing.B, file string) *rawSender {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "BTTLS_RAW_SEND="+ln.Addr().String()+" "+file)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	return &rawSender{ln: ln, poke: stdin}
}

// copyOnce has the sender process write the payload to us and reads it
// into memory, as the bttls downloader does.
func (r *rawSender) copyOnce(b *testing.B, size int) []byte {
	if _, err := io.WriteString(r.poke, "go\n"); err != nil {
		b.Fatal(err)
	}
	c, err := r.ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, size)
	if _, err := io.ReadFull(c, buf); err != nil {
		b.Fatal(err)
	}
	return buf
}
