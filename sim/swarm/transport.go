package swarm

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/transport"
)

// transports returns the Dialer, Acceptor and TorrentSecurity of a peer that
// speaks kind ("plain", "mse", "tls-basic", "legacy") under policy. TLS uses
// X25519, which draws from the seeded reader; mlkem adds Go's default
// X25519MLKEM768, whose ML-KEM part cannot be seeded (its bytes differ from
// run to run, its sizes do not).
func transports(e env.Env, kind, policy string, mlkem bool, rec trace.Recorder, local string) (transport.Dialer, transport.Acceptor, peer.SecurityFunc, error) {
	switch kind {
	case "plain":
		return peer.PlainTransport{}, peer.PlainTransport{}, nil, nil
	case "mse", "legacy", "tls-basic":
	default:
		return nil, nil, nil, fmt.Errorf("swarm: transport %q is not simulated yet", kind)
	}
	pol := negotiate.Off
	if kind == "tls-basic" {
		var err error
		if pol, err = negotiate.ParsePolicy(policy); err != nil {
			return nil, nil, nil, fmt.Errorf("swarm: %w", err)
		}
	}
	curves := []tls.CurveID{tls.X25519}
	if mlkem {
		curves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519}
	}
	t, err := levels.New(e, levels.Config{Policy: pol, Curves: curves, Trace: rec, TraceLocal: local})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("swarm: %w", err)
	}
	var sec peer.SecurityFunc
	if kind == "tls-basic" {
		sec = func(m *meta.Torrent) (any, error) { return levels.BasicSecurity(m.InfoHash[:]), nil }
	}
	if kind == "legacy" {
		return t, legacyAcceptor{}, nil, nil
	}
	return t, t, sec, nil
}

// legacyAcceptor accepts like libtorrent and transmission: a stream that
// opens with the BEP 3 protocol string is plaintext, anything else is taken
// as an MSE opening — so a TLS ClientHello gets an MSE reply (Yb and
// padding) and the TLS dialer fails and falls back, paying what it pays
// against real legacy clients.
type legacyAcceptor struct{}

func (legacyAcceptor) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	c.SetDeadline(e.Now().Add(timeout))
	class, rc, err := demux.Peek(c)
	if err != nil {
		return nil, fmt.Errorf("swarm: legacy accept: %w", err)
	}
	if class == demux.Plain {
		c.SetDeadline(time.Time{})
		return &transport.Conn{Conn: rc, Kind: transport.Plain}, nil
	}
	byHash := map[[20]byte]*transport.Torrent{}
	for _, tor := range reg.Torrents() {
		byHash[mse.SKeyHash(tor.InfoHash[:])] = tor
	}
	var matched *transport.Torrent
	res, err := mse.Receive(rc, e.CryptoRand(), func(h [20]byte) ([]byte, bool) {
		tor, ok := byHash[h]
		if ok {
			matched = tor
			return tor.InfoHash[:], true
		}
		return nil, false
	}, func(p mse.Method) mse.Method {
		if p&mse.RC4 != 0 {
			return mse.RC4
		}
		return p & mse.Plaintext
	})
	if err != nil {
		return nil, fmt.Errorf("swarm: legacy accept (%v opening): %w", class, err)
	}
	c.SetDeadline(time.Time{})
	return &transport.Conn{Conn: &mseConn{Conn: rc, s: res.Stream}, Kind: transport.MSE, Torrent: matched}, nil
}

type mseConn struct {
	net.Conn
	s *mse.Stream
}

func (c *mseConn) Read(p []byte) (int, error)  { return c.s.Read(p) }
func (c *mseConn) Write(p []byte) (int, error) { return c.s.Write(p) }

// Handshakes counts transport setups by direction and outcome, as
// "out_tls-basic", "in_mse", "out_failed"...: the Kind that carried the
// connection, or "failed".
type Handshakes map[string]int64

// countingDialer and countingAcceptor count outcomes around a transport.
type countingDialer struct {
	inner transport.Dialer
	hs    Handshakes
}

func (d countingDialer) Connect(e env.Env, addr string, t *transport.Torrent, h transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	c, err := d.inner.Connect(e, addr, t, h, timeout)
	if err != nil {
		d.hs["out_failed"]++
	} else {
		d.hs["out_"+c.Kind.String()]++
	}
	return c, err
}

type countingAcceptor struct {
	inner transport.Acceptor
	hs    Handshakes
}

func (a countingAcceptor) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	tc, err := a.inner.Accept(e, c, reg, timeout)
	if err != nil {
		a.hs["in_failed"]++
	} else {
		a.hs["in_"+tc.Kind.String()]++
	}
	return tc, err
}
