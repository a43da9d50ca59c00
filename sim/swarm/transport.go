package swarm

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/sim/scenario"
)

// peerSpec is what one peer speaks.
type peerSpec struct {
	// Kind is "plain", "mse", "legacy", or a bttls peer: "tls" or
	// "tls-<level>" (scenario.Mix.Transport).
	Kind, Policy string
	// Pin and Hints: scenario.Mix.
	Pin   bool
	Hints scenario.Hints
	// Level is the torrent's level; Identity the peer's Full Strict
	// certificate.
	Level    string
	Identity *fullstrict.Identity
	// MLKEM adds Go's default X25519MLKEM768 to X25519, whose ML-KEM part
	// cannot be seeded (its bytes differ from run to run, its sizes do not).
	MLKEM bool
	Trace trace.Recorder
	Local string
}

// wiring is what a peer's client is given to carry its connections.
type wiring struct {
	dialer   transport.Dialer
	acceptor transport.Acceptor
	security peer.SecurityFunc
	// announceKey maps the infohash to what the peer announces (a Strict
	// torrent's swarm key); nil: the infohash.
	announceKey func([20]byte) [20]byte
}

// transports returns how a peer of spec carries its connections. TLS uses
// X25519, which draws from the seeded reader.
func transports(e env.Env, spec peerSpec) (wiring, error) {
	kind := spec.Kind
	tls13 := scenario.IsTLS(kind)
	switch {
	case kind == "plain":
		return wiring{dialer: peer.PlainTransport{}, acceptor: peer.PlainTransport{}}, nil
	case kind == "mse", kind == "legacy", tls13:
	default:
		return wiring{}, fmt.Errorf("swarm: transport %q is not simulated", kind)
	}
	pol := negotiate.Off
	if tls13 {
		var err error
		if pol, err = negotiate.ParsePolicy(spec.Policy); err != nil {
			return wiring{}, fmt.Errorf("swarm: %w", err)
		}
	}
	curves := []tls.CurveID{tls.X25519}
	if spec.MLKEM {
		curves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519}
	}
	cfg := levels.Config{Policy: pol, Curves: curves, Trace: spec.Trace, TraceLocal: spec.Local}
	if !spec.Pin {
		cfg.Pins, _ = negotiate.OpenPins("", time.Nanosecond) // in memory: cannot fail; a pin expires before it is used
	}
	t, err := levels.New(e, cfg)
	if err != nil {
		return wiring{}, fmt.Errorf("swarm: %w", err)
	}
	w := wiring{dialer: t, acceptor: t}
	if kind == "legacy" {
		w.acceptor = legacyAcceptor{}
	}
	if spec.Hints == scenario.HintsNone {
		w.dialer = hintless{w.dialer}
	}
	switch {
	case !tls13:
	case spec.Level == "" || spec.Level == "basic":
		w.security = func(m *meta.Torrent) (any, error) { return levels.BasicSecurity(m.InfoHash[:]), nil }
	default:
		// The level is read from the torrent, as the real peer reads it.
		l := &levels.Loader{Identity: spec.Identity}
		w.security, w.announceKey = l.Security, l.AnnounceKey
	}
	return w, nil
}

// hintless is a dialer that plans every dial as if no capability hint had
// been heard (scenario.HintsNone).
type hintless struct{ inner transport.Dialer }

func (d hintless) Connect(e env.Env, addr string, t *transport.Torrent, _ transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	return d.inner.Connect(e, addr, t, transport.Hint{}, timeout)
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
// connection, "busy" for a dial answered with the busy alert (the remote
// was at its connection limit), or "failed".
type Handshakes map[string]int64

// countingDialer and countingAcceptor count outcomes around a transport.
type countingDialer struct {
	inner transport.Dialer
	hs    Handshakes
}

func (d countingDialer) Connect(e env.Env, addr string, t *transport.Torrent, h transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	c, err := d.inner.Connect(e, addr, t, h, timeout)
	switch {
	case errors.Is(err, tlslevel.ErrBusy):
		d.hs["out_busy"]++
	case err != nil:
		d.hs["out_failed"]++
	default:
		d.hs["out_"+c.Kind.String()]++
	}
	return c, err
}

type countingAcceptor struct {
	inner transport.Acceptor
	hs    Handshakes
}

// AnswersBusy forwards to the counted acceptor (transport.BusyAnswerer).
func (a countingAcceptor) AnswersBusy(reg transport.Registry) bool {
	ba, ok := a.inner.(transport.BusyAnswerer)
	return ok && ba.AnswersBusy(reg)
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
