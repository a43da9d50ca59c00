package levels

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
)

// writeCounter counts the writes to a raw conn: after the TLS handshake a
// tls.Conn makes one per record.
type writeCounter struct {
	net.Conn
	writes atomic.Int32
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes.Add(1)
	return w.Conn.Write(p)
}

// TestProofWithFirstBytes: with DeferProof the responder's proof and its
// first bytes leave in one TLS record, whether the responder writes first
// or reads first (then the proof goes alone, and nothing deadlocks);
// without it the proof is sent by Accept.
func TestProofWithFirstBytes(t *testing.T) {
	for _, tt := range []struct {
		name       string
		defer_     bool
		writeFirst bool
		want       int32 // records the responder wrote after Accept returned
	}{
		{"deferred, responder writes first", true, true, 1},
		{"deferred, responder reads first", true, false, 2},
		{"not deferred", false, true, 1}, // the proof went in Accept
	} {
		t.Run(tt.name, func(t *testing.T) {
			tor := torrent("opening")
			server, err := New(env.OS{}, Config{Policy: negotiate.Require, DeferProof: tt.defer_})
			if err != nil {
				t.Fatal(err)
			}
			counted := make(chan int32, 1)
			addr := serve(t, func(c net.Conn) {
				wc := &writeCounter{Conn: c}
				tc, err := server.Accept(env.OS{}, wc, registry{tor}, 2*time.Second)
				if err != nil {
					counted <- -1
					return
				}
				before := wc.writes.Load()
				buf := make([]byte, 5)
				if tt.writeFirst {
					tc.Write([]byte("first"))
					io.ReadFull(tc, buf)
				} else {
					io.ReadFull(tc, buf)
					tc.Write([]byte("first"))
				}
				counted <- wc.writes.Load() - before
			})
			c, err := newTransport(t, negotiate.Require, nil).Connect(env.OS{}, addr, tor, transport.Hint{}, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(3 * time.Second))
			c.Write([]byte("hello"))
			buf := make([]byte, 5)
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "first" {
				t.Fatalf("read %q, %v", buf, err)
			}
			if got := <-counted; got != tt.want {
				t.Fatalf("responder wrote %d records after Accept, want %d", got, tt.want)
			}
		})
	}
}
