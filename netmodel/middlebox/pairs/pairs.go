package pairs

import (
	"crypto/sha1"
	"crypto/tls"
	"fmt"
	"io"
	"math"
	"net"
	"time"

	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/netmodel/middlebox"
	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/sim"
)

// Result is what the measured rounds saw.
type Result struct {
	Conns int `json:"conns"` // connections measured
	// To bttls servers: carried over TLS, over a legacy transport (each one
	// a downgrade), or failed.
	ToTLSServers int `json:"to_bttls_servers"`
	TLS          int `json:"tls"`
	Downgraded   int `json:"downgraded"`
	// To legacy servers: carried (by MSE or plain) or failed.
	ToLegacyServers int `json:"to_legacy_servers"`
	LegacyOK        int `json:"legacy_ok"`
	Failed          int `json:"failed"`
	// Dials counts TCP connections opened (a fallback opens a second one).
	Dials int `json:"dials"`
	// SetupMeanS is the mean virtual time Connect took (TCP, then TLS and
	// its in-tunnel proof, or MSE; a fallback's failed attempt included),
	// over the connections that then carried bytes both ways.
	SetupMeanS float64 `json:"setup_mean_s"`
	// Fractions of the above, NaN (null in JSON) when undefined.
	DowngradedFraction float64            `json:"downgraded_fraction"`
	FailedFraction     float64            `json:"failed_fraction"`
	DialsPerConn       float64            `json:"dials_per_conn"`
	Middlebox          map[string]float64 `json:"middlebox,omitempty"`
}

var tor = &transport.Torrent{InfoHash: sha1.Sum([]byte("bttls pairs rig")), Name: "pairs"}

type registry struct{}

func (registry) Lookup(ih [20]byte) (*transport.Torrent, bool) { return tor, ih == tor.InfoHash }
func (registry) Torrents() []*transport.Torrent                { return []*transport.Torrent{tor} }

// Run runs the scenario with the given seed.
func Run(c *Config, seed uint64) (*Result, error) {
	if err := sim.CheckCryptoRand(); err != nil {
		return nil, err
	}
	p := c.Pairs
	s := sim.New(sim.Config{Seed: seed})
	defer s.Close()
	n := netmodel.New(s)
	lat := seconds(p.LatencyMS / 1000)
	hostCfg := netmodel.HostConfig{Up: 1 << 20, Down: 1 << 22, Latency: lat}

	// Servers first, then clients; the legacy servers are a seeded choice.
	r := s.NewRand()
	legacy := make([]bool, p.Servers)
	for _, i := range r.Perm(p.Servers)[:int(math.Round(p.LegacyFraction*float64(p.Servers)))] {
		legacy[i] = true
	}
	servers := make([]*sim.Env, p.Servers)
	addrs := make([]string, p.Servers)
	for i := range servers {
		h, err := n.AddHost(hostCfg)
		if err != nil {
			return nil, err
		}
		servers[i], addrs[i] = s.NewEnv(h), h.Addr().String()+":6881"
	}
	clients := make([]*sim.Env, p.Clients)
	for i := range clients {
		h, err := n.AddHost(hostCfg)
		if err != nil {
			return nil, err
		}
		clients[i] = s.NewEnv(h)
	}
	mb, st, err := middlebox.New(c.middlebox(), middlebox.Env{Clock: s, Seed: seed, Resolve: n.LookupName})
	if err != nil {
		return nil, fmt.Errorf("pairs: %w", err)
	}
	n.Middlebox = mb

	end := seconds(float64(p.Rounds)*p.RoundGapS + p.TimeoutS + 10)
	for i, e := range servers {
		if err := serve(s, e, legacy[i], end); err != nil {
			return nil, err
		}
	}
	policy, _ := negotiate.ParsePolicy(p.Policy)
	res := &Result{}
	var setup time.Duration
	var ok int
	for ci, e := range clients {
		ttl := time.Duration(0) // DefaultPinTTL
		if !p.Pinning {
			ttl = time.Nanosecond // a pin expires before it can be used
		}
		pins, _ := negotiate.OpenPins("", ttl)
		tr, err := levels.New(e, levels.Config{Policy: policy, Pins: pins, Curves: []tls.CurveID{tls.X25519}})
		if err != nil {
			return nil, fmt.Errorf("pairs: %w", err)
		}
		for round := range p.Rounds {
			for k := range p.PerClient {
				si := (ci + k) % p.Servers
				addr := addrs[si]
				hint := transport.Hint{}
				if p.Hints {
					hint = transport.Hint{TLS: !legacy[si], Legacy: legacy[si]}
				}
				measured := round >= p.MeasureFrom
				s.At(seconds(float64(round)*p.RoundGapS), func() {
					e.Go("dial", func() {
						dials := 0
						start := e.Now()
						conn, err := tr.Connect(countingEnv{e, &dials}, addr, tor, hint, seconds(p.TimeoutS))
						took := e.Now().Sub(start)
						if err == nil {
							err = echo(e, conn)
							conn.Close()
						}
						if !measured {
							return
						}
						res.Conns++
						res.Dials += dials
						if legacy[si] {
							res.ToLegacyServers++
						} else {
							res.ToTLSServers++
						}
						switch {
						case err != nil:
							res.Failed++
						case legacy[si]:
							res.LegacyOK++
						case conn.Kind.IsTLS():
							res.TLS++
						default:
							res.Downgraded++
						}
						if err == nil {
							ok++
							setup += took
						}
					})
				})
			}
		}
	}
	if err := s.Run(); err != nil {
		return nil, fmt.Errorf("pairs: seed %d: %w", seed, err)
	}
	res.SetupMeanS = ratio(setup.Seconds(), float64(ok))
	res.DowngradedFraction = ratio(float64(res.Downgraded), float64(res.ToTLSServers))
	res.FailedFraction = ratio(float64(res.Failed), float64(res.Conns))
	res.DialsPerConn = ratio(float64(res.Dials), float64(res.Conns))
	if mb != nil {
		res.Middlebox = map[string]float64{}
		for _, m := range st.Metrics() {
			res.Middlebox[m.Name] = m.Value
		}
	}
	return res, nil
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// echo checks the connection carries bytes both ways (the server echoes).
func echo(e env.Env, c *transport.Conn) error {
	c.SetDeadline(e.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("hello")); err != nil {
		return err
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != "hello" {
		return fmt.Errorf("pairs: echo came back as %q", buf)
	}
	return nil
}

// countingEnv counts the TCP dials a Connect makes.
type countingEnv struct {
	*sim.Env
	n *int
}

func (c countingEnv) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	*c.n++
	return c.Env.Dial(network, addr, timeout)
}

// serve runs a server until end: a bttls peer (policy prefer: TLS, MSE or
// plain) or a legacy peer that takes anything but the BEP 3 string for an
// MSE opening and answers it with its MSE key, as libtorrent and
// transmission answer a ClientHello.
func serve(s *sim.Sim, e *sim.Env, isLegacy bool, end time.Duration) error {
	l, err := e.Listen("tcp", ":6881")
	if err != nil {
		return err
	}
	tr, err := levels.New(e, levels.Config{Policy: negotiate.Prefer, Curves: []tls.CurveID{tls.X25519}})
	if err != nil {
		return fmt.Errorf("pairs: %w", err)
	}
	s.At(end, func() { l.Close() })
	e.Go("serve", func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			e.Go("conn", func() {
				defer c.Close()
				var tc net.Conn
				if isLegacy {
					tc, err = legacyAccept(e, c)
				} else {
					var t *transport.Conn
					t, err = tr.Accept(e, c, registry{}, 10*time.Second)
					tc = t
				}
				if err != nil {
					return
				}
				tc.SetDeadline(e.Now().Add(10 * time.Second))
				buf := make([]byte, 5)
				if _, err := io.ReadFull(tc, buf); err == nil {
					tc.Write(buf)
				}
			})
		}
	})
	return nil
}

func legacyAccept(e env.Env, c net.Conn) (net.Conn, error) {
	c.SetDeadline(e.Now().Add(10 * time.Second))
	class, rc, err := demux.Peek(c)
	if err != nil {
		return nil, err
	}
	if class == demux.Plain {
		return rc, nil
	}
	res, err := mse.Receive(rc, e.CryptoRand(), func(h [20]byte) ([]byte, bool) {
		if h == mse.SKeyHash(tor.InfoHash[:]) {
			return tor.InfoHash[:], true
		}
		return nil, false
	}, func(m mse.Method) mse.Method {
		if m&mse.RC4 != 0 {
			return mse.RC4
		}
		return m & mse.Plaintext
	})
	if err != nil {
		return nil, err
	}
	return &streamConn{Conn: rc, s: res.Stream}, nil
}

type streamConn struct {
	net.Conn
	s *mse.Stream
}

func (c *streamConn) Read(p []byte) (int, error)  { return c.s.Read(p) }
func (c *streamConn) Write(p []byte) (int, error) { return c.s.Write(p) }
