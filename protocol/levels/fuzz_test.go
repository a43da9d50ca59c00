package levels

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
)

// FuzzAccept feeds arbitrary opening bytes to the acceptor (demux, then the
// TLS server, the MSE receiver or the plaintext check) and requires an
// answer — a conn or an error — within its timeout, never a panic or a hang.
func FuzzAccept(f *testing.F) {
	tr, err := New(env.OS{}, Config{Policy: negotiate.Prefer})
	if err != nil {
		f.Fatal(err)
	}
	reg := registry{torrent("fuzz")}
	f.Add([]byte("\x13BitTorrent protocol\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add(append([]byte{0x16, 0x03, 0x01, 0x00, 0x40, 0x01}, make([]byte, 64)...))
	f.Add(bytes.Repeat([]byte{0x42}, 700))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := net.Pipe()
		defer a.Close()
		go func() {
			a.Write(in)
			// Drain whatever the acceptor answers, then hang up.
			a.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			buf := make([]byte, 4096)
			for {
				if _, err := a.Read(buf); err != nil {
					break
				}
			}
			a.Close()
		}()
		start := time.Now()
		c, err := tr.Accept(env.OS{}, b, reg, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		b.Close()
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Accept took %v", d)
		}
	})
}
