// Package transport is the seam between the peer (protocol/peer) and what
// carries its connections: plaintext BitTorrent, MSE/PE, or one of the TLS
// levels. The peer dials and accepts raw TCP conns and hands them to a
// Dialer or Acceptor, which returns a stream ready for the BEP 3 handshake.
// Fallback (TLS → legacy) and pinning live behind Connect, not in the peer.
package transport

import (
	"fmt"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// Kind says what carries a peer connection.
type Kind uint8

const (
	Plain          Kind = iota // BEP 3 plaintext
	MSE                        // MSE/PE, RC4 or plaintext crypto_select
	TLSBasic                   // bttls Basic
	TLSStrict                  // bttls Strict
	TLSFullStrict1             // bttls Full Strict, mode 1 (libtorrent SSL-torrent compatible)
	TLSFullStrict2             // bttls Full Strict, mode 2 (certificates inside the tunnel)
)

func (k Kind) String() string {
	switch k {
	case Plain:
		return "plain"
	case MSE:
		return "mse"
	case TLSBasic:
		return "tls-basic"
	case TLSStrict:
		return "tls-strict"
	case TLSFullStrict1:
		return "tls-fullstrict1"
	case TLSFullStrict2:
		return "tls-fullstrict2"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// IsTLS reports whether k is one of the TLS levels.
func (k Kind) IsTLS() bool { return k >= TLSBasic }

// Torrent is what a transport needs to know about one torrent. Transports
// that need more (a Strict secret, a swarm CA) find it in Security.
type Torrent struct {
	// InfoHash is the 20-byte infohash of BEP 3 handshakes: the v1 infohash,
	// or the v2 infohash truncated to 20 bytes (BEP 52).
	InfoHash [20]byte
	// Name is the torrent's name (Full Strict mode 1 matches it in certificates).
	Name string
	// Security carries the level-specific material (set by the TLS layer's
	// loader); nil for a torrent with no TLS settings.
	Security any
}

// Registry is the set of torrents a peer serves, for an Acceptor that must
// find the torrent an inbound stream belongs to.
type Registry interface {
	// Lookup returns the torrent with this 20-byte infohash.
	Lookup(infoHash [20]byte) (*Torrent, bool)
	// Torrents returns every torrent served, in a stable order.
	Torrents() []*Torrent
}

// Conn is a connection whose transport is set up, ready for the BEP 3
// handshake (which runs inside it for every kind).
type Conn struct {
	net.Conn
	Kind Kind
	// Torrent is set when the transport identified the torrent (an MSE SKEY,
	// a TLS proof); the peer then checks the BEP 3 handshake names the same.
	Torrent *Torrent
}

// Hint is what a peer knows about a remote before dialling it.
type Hint struct {
	// TLS is true when a tracker or PEX said the remote speaks bttls. A hint
	// may change the order of attempts, never forbid a fallback.
	TLS bool
	// Legacy is true when a source that reports TLS capability per peer (a
	// tracker answering supporttls=1, PEX from a bttls peer) listed this peer
	// without it. Under policy prefer the legacy transport is then tried
	// first, so a known legacy peer costs no failed TLS attempt.
	Legacy bool
}

// Dialer opens outbound connections.
type Dialer interface {
	// Connect dials addr for torrent t and sets up the transport, falling back
	// (by redialling) as the torrent's policy allows. timeout bounds the whole
	// setup, every attempt included.
	Connect(e env.Env, addr string, t *Torrent, h Hint, timeout time.Duration) (*Conn, error)
}

// Acceptor sets up the transport on inbound connections.
type Acceptor interface {
	// Accept classifies c by its first bytes and sets up its transport. It
	// returns an error (and the caller closes c) for a stream it refuses.
	Accept(e env.Env, c net.Conn, torrents Registry, timeout time.Duration) (*Conn, error)
}

// BusyAnswerer is implemented by an Acceptor that speaks TLS and says
// whether a peer at its connection limit may answer a ClientHello with the
// busy alert (tlslevel.RefuseBusy) instead of the handshake. An Acceptor
// that does not implement it, or answers false, has the ClientHello go
// through Accept and the connection refused after it.
type BusyAnswerer interface {
	AnswersBusy(torrents Registry) bool
}
