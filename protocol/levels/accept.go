package levels

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// Errors Accept wraps, for the caller's logs and tests.
var (
	// ErrLegacyRefused: a plaintext or MSE connection for a torrent that
	// must be carried over TLS (Strict, Full Strict, or policy require).
	ErrLegacyRefused = errors.New("bttls: legacy connection refused: the torrent requires TLS")
	// ErrUnknownTorrent: a plaintext handshake names a torrent not served.
	ErrUnknownTorrent = errors.New("bttls: plaintext handshake names a torrent not served here")
)

// Accept implements transport.Acceptor. timeout bounds the whole setup, so
// a stalled or half-open connection costs one task and a few KiB for at
// most timeout.
func (t *Transport) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	c.SetDeadline(e.Now().Add(timeout))
	out, err := t.accept(e, c, reg)
	if err != nil {
		err = fmt.Errorf("bttls: inbound from %v: %w", c.RemoteAddr(), err)
		t.cfg.Logf("%v", err)
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return out, nil
}

func (t *Transport) accept(e env.Env, c net.Conn, reg transport.Registry) (*transport.Conn, error) {
	class, rc, err := demux.Peek(c)
	if err != nil {
		return nil, err
	}
	switch class {
	case demux.TLS:
		return t.acceptTLS(rc, reg)
	case demux.Plain:
		return t.acceptPlain(rc, reg)
	}
	return t.acceptMSE(e, rc, reg)
}

func (t *Transport) acceptTLS(c net.Conn, reg transport.Registry) (*transport.Conn, error) {
	tc := tls.Server(c, tlslevel.ServerConfig(t.opts, t.cert))
	found, err := tlslevel.Respond(tc, func(ty tlslevel.Type) []tlslevel.Candidate {
		var out []tlslevel.Candidate
		for _, tor := range reg.Torrents() {
			if s := securityOf(tor); t.acceptsTLS(s, ty) {
				out = append(out, tlslevel.Candidate{Credential: s.Credential, Torrent: tor})
			}
		}
		return out
	})
	if err != nil {
		return nil, err
	}
	return &transport.Conn{Conn: tc, Kind: kindOf(found.Type), Torrent: found.Torrent.(*transport.Torrent)}, nil
}

// acceptPlain reads as far as the infohash of the BEP 3 handshake (pstr,
// reserved, infohash: 48 bytes) so that a torrent requiring TLS is refused
// before anything is sent, then replays those bytes to the peer.
func (t *Transport) acceptPlain(c net.Conn, reg transport.Registry) (*transport.Conn, error) {
	var hs [48]byte
	if _, err := io.ReadFull(c, hs[:]); err != nil {
		return nil, fmt.Errorf("bttls: reading plaintext handshake: %w", err)
	}
	var ih [20]byte
	copy(ih[:], hs[28:])
	tor, ok := reg.Lookup(ih)
	if !ok {
		return nil, fmt.Errorf("%w (%x)", ErrUnknownTorrent, ih)
	}
	if !t.acceptsLegacy(securityOf(tor)) {
		return nil, fmt.Errorf("%w (plaintext, %x)", ErrLegacyRefused, ih)
	}
	return &transport.Conn{Conn: demux.NewReplay(c, hs[:]), Kind: transport.Plain, Torrent: tor}, nil
}

func (t *Transport) acceptMSE(e env.Env, c net.Conn, reg transport.Registry) (*transport.Conn, error) {
	byHash := map[[20]byte]*transport.Torrent{}
	for _, tor := range reg.Torrents() {
		byHash[mse.SKeyHash(tor.InfoHash[:])] = tor
	}
	var matched *transport.Torrent
	res, err := mse.Receive(c, e.CryptoRand(), func(h [20]byte) ([]byte, bool) {
		tor, ok := byHash[h]
		if !ok || !t.acceptsLegacy(securityOf(tor)) {
			// A torrent that requires TLS is treated as unknown: an MSE
			// prober learns nothing about what is served.
			return nil, false
		}
		matched = tor
		return tor.InfoHash[:], true
	}, chooseMSE)
	if err != nil {
		return nil, err
	}
	return &transport.Conn{Conn: &mseConn{Conn: c, s: res.Stream}, Kind: transport.MSE, Torrent: matched}, nil
}
