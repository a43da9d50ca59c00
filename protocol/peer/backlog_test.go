package peer

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// TestBusyListenerQueues: with maxInboundHandshakes connections in their
// handshakes, the next one is not closed (a close before the transport
// handshake looks to a bttls initiator like a legacy peer's refusal and
// invites a fallback) but waits until a handshake slot frees.
func TestBusyListenerQueues(t *testing.T) {
	tor, data := makeTorrent(t, 64<<10, 0)
	cfg := fastConfig()
	cfg.HandshakeTimeout = 400 * time.Millisecond
	seed := newClient(t, cfg)
	addSeed(t, seed, tor, data)
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range maxInboundHandshakes {
		c, err := net.Dial("tcp", seed.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	time.Sleep(100 * time.Millisecond) // all accepted and in their handshakes
	extra, err := net.Dial("tcp", seed.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	start := time.Now()
	extra.SetReadDeadline(start.Add(200 * time.Millisecond))
	if _, err := extra.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection beyond the handshake limit was answered or closed at once: %v", err)
	}
	// Once the first ones time out it is served, and times out in turn.
	extra.SetReadDeadline(start.Add(5 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err != io.EOF && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Fatalf("queued connection: %v after %v, want the server's close after its handshake timeout", err, time.Since(start))
	}
	if d := time.Since(start); d < cfg.HandshakeTimeout {
		t.Fatalf("queued connection closed after %v, before a handshake slot could free", d)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "read"
}
