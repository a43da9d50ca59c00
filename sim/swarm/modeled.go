package swarm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/peer"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/sim"
	"github.com/bttls/bttls/sim/scenario"
)

// Modeled crypto (--crypto=modeled) replaces the TLS and MSE handshakes and
// record protection by exchanges of the same shape: the same flights, of the
// same sizes, in the same order, measured once from the real transports
// (protocol/levels) on the simulated network, and TLS's per-record overhead
// on every write. No key is derived and no byte encrypted, so a run costs
// the simulator only; since crypto's CPU time is not charged to virtual time
// in either mode, a modeled run's timing matches a real one's (tested).

// flight is one direction's bytes between two turns of a handshake.
type flight struct {
	fromClient bool
	size       int
}

// Shapes is what the modeled transports replay.
type Shapes struct {
	TLS []flight // a Basic handshake with its in-tunnel proofs
	MSE []flight // an MSE handshake (RC4 selected)
}

// MeasureShapes runs one real TLS Basic and one real MSE setup between two
// simulated hosts and records their flights (mlkem: with X25519MLKEM768).
func MeasureShapes(mlkem bool) (Shapes, error) {
	var sh Shapes
	var err error
	if sh.TLS, err = measure("tls-basic", "require", mlkem); err != nil {
		return sh, err
	}
	if sh.MSE, err = measure("mse", "off", false); err != nil {
		return sh, err
	}
	return sh, nil
}

func measure(kind, policy string, mlkem bool) ([]flight, error) {
	s := sim.New(sim.Config{Seed: 1})
	defer s.Close()
	n := netmodel.New(s)
	var flights []flight
	n.Middlebox = netmodel.MiddleboxFunc(func(p *netmodel.Packet) netmodel.Verdict {
		if p.Kind != netmodel.Data || len(p.Data) == 0 {
			return netmodel.Verdict{}
		}
		fc := p.Dir == netmodel.ClientToServer
		if len(flights) > 0 && flights[len(flights)-1].fromClient == fc {
			flights[len(flights)-1].size += len(p.Data)
		} else {
			flights = append(flights, flight{fc, len(p.Data)})
		}
		return netmodel.Verdict{}
	})
	ha, _ := n.AddHost(netmodel.HostConfig{Latency: time.Millisecond})
	hb, _ := n.AddHost(netmodel.HostConfig{Latency: time.Millisecond})
	ea, eb := s.NewEnv(ha), s.NewEnv(hb)
	c, err := NewContent(1<<20, 1<<18, 1, "http://tracker/announce")
	if err != nil {
		return nil, err
	}
	tt := &transport.Torrent{InfoHash: c.Torrent.InfoHash, Name: c.Torrent.Name}
	if kind == "tls-basic" {
		tt.Security = levels.BasicSecurity(c.Torrent.InfoHash[:])
	}
	reg := registry{tt}
	spec := peerSpec{Kind: kind, Policy: policy, Pin: true, MLKEM: mlkem}
	wa, err := transports(ea, spec)
	if err != nil {
		return nil, err
	}
	wb, err := transports(eb, spec)
	if err != nil {
		return nil, err
	}
	da, ab := wa.dialer, wb.acceptor
	l, err := eb.Listen("tcp", ":6881")
	if err != nil {
		return nil, err
	}
	// The responder's side may finish (its proof) only with its first
	// bytes, so it writes a BEP 3 handshake's worth at once, as a peer
	// does; the flights are taken when the initiator's setup returns, and
	// that handshake (in one TLS record) is taken off again.
	const bep3 = 68
	var errA, errB error
	var ka, kb transport.Kind
	var atConnect []flight
	eb.Go("accept", func() {
		conn, err := l.Accept()
		if err != nil {
			errB = err
			return
		}
		tc, err := ab.Accept(eb, conn, reg, 10*time.Second)
		if errB = err; err == nil {
			kb = tc.Kind
			_, errB = tc.Write(make([]byte, bep3))
		}
	})
	ea.Go("dial", func() {
		tc, err := da.Connect(ea, hb.Addr().String()+":6881", tt, transport.Hint{}, 10*time.Second)
		if errA = err; err == nil {
			ka = tc.Kind
			atConnect = append([]flight(nil), flights...)
		}
	})
	if err := s.RunUntil(time.Minute); err != nil {
		return nil, err
	}
	flights = atConnect
	if last := len(flights) - 1; last >= 0 && !flights[last].fromClient {
		extra := bep3
		if kind == "tls-basic" {
			extra += recordHeader + recordTrailer
		}
		if flights[last].size > extra {
			flights[last].size -= extra
		} else {
			flights = flights[:last]
		}
	}
	if err := errors.Join(errA, errB); err != nil {
		return nil, fmt.Errorf("swarm: measuring the %s handshake: %w", kind, err)
	}
	if ka != kb || len(flights) < 2 {
		return nil, fmt.Errorf("swarm: measuring the %s handshake: kinds %v/%v, %d flights", kind, ka, kb, len(flights))
	}
	return flights, nil
}

type registry []*transport.Torrent

func (r registry) Lookup(ih [20]byte) (*transport.Torrent, bool) {
	for _, t := range r {
		if t.InfoHash == ih {
			return t, true
		}
	}
	return nil, false
}
func (r registry) Torrents() []*transport.Torrent { return r }

// Openings: the first byte of a modeled flight says what it opens, like the
// first bytes a real listener classifies (DESIGN.md: TLS record header,
// BEP 3 protocol string, else MSE).
const (
	openTLS    = 0x16 // a TLS handshake record
	openMSE    = 0x00 // anything else is MSE
	openServer = 0xA5 // a modeled TLS server flight
	// tlsOpeningHeader is where a modeled ClientHello's infohash starts:
	// after the record header (5 bytes) and the handshake type.
	tlsOpeningHeader = 6
)

// modeled is the modeled transport of one peer.
type modeled struct {
	tls    bool // a bttls peer (Basic: modeled crypto models no other level)
	policy negotiate.Policy
	sh     *Shapes
	pins   map[string]bool // addresses that completed a TLS setup; nil: no pinning
	hints  bool
}

func modeledTransports(spec peerSpec, sh *Shapes) (wiring, error) {
	kind := spec.Kind
	if kind == "plain" {
		return wiring{dialer: peer.PlainTransport{}, acceptor: peer.PlainTransport{}}, nil
	}
	if spec.Level != "" && spec.Level != "basic" {
		return wiring{}, fmt.Errorf("swarm: modeled crypto replays Basic handshakes only, not level %s", spec.Level)
	}
	tls := kind == "tls" || kind == "tls-basic"
	if !tls && kind != "mse" && kind != "legacy" {
		return wiring{}, fmt.Errorf("swarm: transport %q is not simulated with modeled crypto", kind)
	}
	m := &modeled{tls: tls, policy: negotiate.Off, sh: sh, hints: spec.Hints != scenario.HintsNone}
	if spec.Pin {
		m.pins = map[string]bool{}
	}
	if tls {
		p, err := negotiate.ParsePolicy(spec.Policy)
		if err != nil {
			return wiring{}, fmt.Errorf("swarm: %w", err)
		}
		m.policy = p
	}
	return wiring{dialer: m, acceptor: m}, nil
}

// Connect follows the same plan as protocol/levels: TLS first under prefer
// or require, MSE as the legacy transport, no fallback to a pinned address.
func (m *modeled) Connect(e env.Env, addr string, t *transport.Torrent, h transport.Hint, timeout time.Duration) (*transport.Conn, error) {
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	deadline := e.Now().Add(timeout)
	level := transport.TLSBasic
	if !m.hints {
		h = transport.Hint{}
	}
	plan := negotiate.Plan(level, m.policy, negotiate.Knowledge{Pinned: m.pins[addr], Hint: h}, transport.MSE)
	var errs []error
	for i, kind := range plan {
		if !e.Now().Before(deadline) {
			errs = append(errs, fmt.Errorf("%v: setup did not finish within %v", kind, timeout))
			break
		}
		c, err := e.Dial("tcp", addr, deadline.Sub(e.Now()))
		if err == nil {
			c.SetDeadline(deadline)
			var tc *transport.Conn
			if tc, err = m.initiate(c, kind, t); err == nil {
				c.SetDeadline(time.Time{})
				if kind.IsTLS() && m.pins != nil {
					m.pins[addr] = true
				}
				return tc, nil
			}
			c.Close()
		}
		errs = append(errs, fmt.Errorf("%v attempt: %w", kind, err))
		stage := negotiate.BeforeTLS
		if errors.Is(err, tlslevel.ErrBusy) {
			stage = negotiate.Busy
		}
		if !negotiate.MayFallBack(plan, i, stage) {
			break
		}
	}
	return nil, fmt.Errorf("swarm: modeled connect to %s: %w", addr, errors.Join(errs...))
}

var errNotModeledTLS = errors.New("swarm: the reply is not a TLS server flight (a legacy peer answered)")

// initiate replays the client side of a handshake; the first flight
// carries the infohash so the responder finds the torrent.
func (m *modeled) initiate(c net.Conn, kind transport.Kind, t *transport.Torrent) (*transport.Conn, error) {
	fl, open := m.sh.MSE, byte(openMSE)
	if kind.IsTLS() {
		fl, open = m.sh.TLS, openTLS
	}
	for i, f := range fl {
		if f.fromClient {
			if err := writeFlight(c, f.size, open, t.InfoHash[:], i == 0); err != nil {
				return nil, err
			}
			continue
		}
		// A TLS client fails at the first bytes of a reply that is not TLS.
		first, err := readFlight(c, 1)
		if err != nil {
			return nil, err
		}
		if kind.IsTLS() && first == tlslevel.BusyAlert[0] {
			alert := make([]byte, len(tlslevel.BusyAlert))
			alert[0] = first
			if _, err := io.ReadFull(c, alert[1:]); err == nil && tlslevel.IsBusyReply(alert) {
				return nil, tlslevel.ErrBusy
			}
			return nil, errNotModeledTLS
		}
		if kind.IsTLS() && first != openServer {
			return nil, errNotModeledTLS
		}
		if _, err := readFlight(c, f.size-1); err != nil {
			return nil, err
		}
	}
	if kind.IsTLS() {
		return &transport.Conn{Conn: &recordConn{Conn: c}, Kind: kind, Torrent: t}, nil
	}
	return &transport.Conn{Conn: c, Kind: kind, Torrent: t}, nil
}

// AnswersBusy implements transport.BusyAnswerer: a bttls peer answers a
// ClientHello with the busy alert when it is full, as the real one does
// in the simulator (which runs no decoy).
func (m *modeled) AnswersBusy(transport.Registry) bool { return m.tls }

// Accept classifies the opening like a real listener and replays the
// responder's side. A legacy peer answers a TLS opening as MSE (as
// libtorrent and transmission do), which fails the dialler's TLS attempt.
func (m *modeled) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	c.SetDeadline(e.Now().Add(timeout))
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return nil, fmt.Errorf("swarm: modeled accept: %w", err)
	}
	var fl []flight
	kind := transport.MSE
	switch b[0] {
	case 0x13:
		if m.tls && m.policy == negotiate.Require {
			return nil, fmt.Errorf("swarm: modeled accept: plaintext refused, the torrent requires TLS")
		}
		c.SetDeadline(time.Time{})
		return &transport.Conn{Conn: &prefixConn{Conn: c, prefix: b[:]}, Kind: transport.Plain}, nil
	case openTLS:
		if !m.tls || m.policy == negotiate.Off {
			// Not a bttls peer: take the opening as MSE, reply, fail.
			// An MSE receiver reads Ya (96 bytes) and answers Yb and padding.
			if _, err := readFlight(c, min(95, m.sh.TLS[0].size-1)); err != nil {
				return nil, err
			}
			writeFlight(c, m.sh.MSE[1].size, openMSE, nil, false)
			return nil, fmt.Errorf("swarm: modeled accept: a TLS ClientHello to a legacy peer")
		}
		fl, kind = m.sh.TLS, transport.TLSBasic
	default:
		if m.tls && m.policy == negotiate.Require {
			return nil, fmt.Errorf("swarm: modeled accept: MSE refused, the torrent requires TLS")
		}
		fl = m.sh.MSE
	}
	// The rest of the first flight, which carries the infohash.
	rest := make([]byte, fl[0].size-1)
	if _, err := io.ReadFull(c, rest); err != nil {
		return nil, fmt.Errorf("swarm: modeled accept: %w", err)
	}
	var ih [20]byte
	if kind.IsTLS() && len(rest) >= tlsOpeningHeader-1+len(ih) {
		rest = rest[tlsOpeningHeader-1:]
	}
	copy(ih[:], rest)
	tor, ok := reg.Lookup(ih)
	if !ok {
		return nil, fmt.Errorf("swarm: modeled accept: unknown torrent %x", ih)
	}
	for _, f := range fl[1:] {
		if f.fromClient {
			if _, err := readFlight(c, f.size); err != nil {
				return nil, err
			}
			continue
		}
		open := byte(openMSE)
		if kind.IsTLS() {
			open = openServer
		}
		if err := writeFlight(c, f.size, open, nil, false); err != nil {
			return nil, err
		}
	}
	c.SetDeadline(time.Time{})
	if kind.IsTLS() {
		return &transport.Conn{Conn: &recordConn{Conn: c}, Kind: kind, Torrent: tor}, nil
	}
	return &transport.Conn{Conn: c, Kind: kind, Torrent: tor}, nil
}

func writeFlight(c net.Conn, size int, open byte, ih []byte, first bool) error {
	buf := make([]byte, size)
	buf[0] = open
	at := 1
	if open == openTLS && first && size >= tlsOpeningHeader+len(ih) {
		// A TLS record header and the ClientHello's type, as a real one
		// starts (demux.Classify), so that a full peer can answer it with
		// the busy alert; the record is the whole flight.
		n := size - 5
		buf[1], buf[2], buf[3], buf[4], buf[5] = 0x03, 0x01, byte(n>>8), byte(n), 0x01
		at = tlsOpeningHeader
	}
	if first {
		copy(buf[at:], ih)
	}
	_, err := c.Write(buf)
	return err
}

// readFlight reads a flight and returns its first byte.
func readFlight(c net.Conn, size int) (byte, error) {
	buf := make([]byte, size)
	if _, err := io.ReadFull(c, buf); err != nil {
		return 0, err
	}
	return buf[0], nil
}

// prefixConn replays bytes already read.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// recordConn frames writes as TLS 1.3 records do — at most 16 KiB of data
// each, with a 5-byte header and 17 bytes of content type and AEAD tag — so
// a modeled stream costs the links what a real one does.
type recordConn struct {
	net.Conn
	left int // data bytes of the current record still to read
}

const (
	maxRecord     = 16 << 10
	recordHeader  = 5
	recordTrailer = 17 // content type + AES-GCM tag
)

func (c *recordConn) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := min(len(p)-n, maxRecord)
		rec := make([]byte, recordHeader+k+recordTrailer)
		rec[0], rec[1], rec[2] = 0x17, 0x03, 0x03
		binary.BigEndian.PutUint16(rec[3:], uint16(k+recordTrailer))
		copy(rec[recordHeader:], p[n:n+k])
		if _, err := c.Conn.Write(rec); err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

func (c *recordConn) Read(p []byte) (int, error) {
	if c.left == 0 {
		var h [recordHeader]byte
		if _, err := io.ReadFull(c.Conn, h[:]); err != nil {
			return 0, err
		}
		l := int(binary.BigEndian.Uint16(h[3:]))
		if h[0] != 0x17 || l <= recordTrailer || l > maxRecord+recordTrailer {
			return 0, fmt.Errorf("swarm: modeled record: bad header %x", h)
		}
		c.left = l - recordTrailer
	}
	n, err := c.Conn.Read(p[:min(len(p), c.left)])
	c.left -= n
	if c.left == 0 && err == nil {
		// Consume the trailer with the record's last bytes, as a TLS
		// reader does when it opens the record.
		var t [recordTrailer]byte
		_, err = io.ReadFull(c.Conn, t[:])
	}
	return n, err
}
