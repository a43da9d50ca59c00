package levels

import (
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"

	"github.com/bttls/bttls/protocol/env"
)

// openingConn holds the responder's level message until the peer's first
// Write, and sends both in one TLS record (one tls.Conn Write of up to
// 16 KiB is one record), so the opening is not a run of small equal-size
// exchanges (docs/levels.md, "Writing the opening at once"). A peer that
// reads first (its BEP 3 handshake waits for the initiator's, which waits
// for our proof) gets the proof sent alone at its first Read, so that the
// connection cannot deadlock. The first Read or Write must not run
// concurrently with another call; after it, it is a plain tls.Conn.
type openingConn struct {
	*tls.Conn
	pending atomic.Pointer[[]byte]
}

func newOpeningConn(tc *tls.Conn, reply []byte) *openingConn {
	c := &openingConn{Conn: tc}
	c.pending.Store(&reply)
	return c
}

func (c *openingConn) Write(p []byte) (int, error) {
	if pend := c.pending.Swap(nil); pend != nil {
		n, err := c.Conn.Write(append(*pend, p...))
		return max(0, n-len(*pend)), err
	}
	return c.Conn.Write(p)
}

func (c *openingConn) Read(p []byte) (int, error) {
	if pend := c.pending.Swap(nil); pend != nil {
		if _, err := c.Conn.Write(*pend); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(p)
}

var _ net.Conn = (*openingConn)(nil)

// discard drops what c has already received, so that closing it sends FIN
// rather than RST (a web server's socket has no unread bytes when it
// closes; a RST would tell a prober this is not one).
func discard(e env.Env, c net.Conn) {
	c.SetReadDeadline(e.Now().Add(1e6)) // 1 ms
	io.Copy(io.Discard, c)
}
