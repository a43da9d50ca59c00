package peer

import (
	"fmt"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/transport"
)

// PlainTransport carries connections as plaintext BEP 3: Connect only dials,
// Accept takes the stream as it is (the BEP 3 handshake that follows checks
// the protocol string).
type PlainTransport struct{}

var (
	_ transport.Dialer   = PlainTransport{}
	_ transport.Acceptor = PlainTransport{}
)

// Connect implements transport.Dialer.
func (PlainTransport) Connect(e env.Env, addr string, _ *transport.Torrent, _ transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	c, err := e.Dial("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("peer: dialling %s: %w", addr, err)
	}
	return &transport.Conn{Conn: c, Kind: transport.Plain}, nil
}

// Accept implements transport.Acceptor.
func (PlainTransport) Accept(_ env.Env, c net.Conn, _ transport.Registry, _ time.Duration) (*transport.Conn, error) {
	return &transport.Conn{Conn: c, Kind: transport.Plain}, nil
}
