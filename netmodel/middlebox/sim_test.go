//go:debug cryptocustomrand=1
package middlebox

import (
	"crypto/sha1"
	"crypto/tls"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/bttls/bttls/netmodel"
	"github.com/bttls/bttls/protocol/levels"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
	"github.com/bttls/bttls/sim"
)

// These tests put the middleboxes on the simulator's real network between
// real bttls transports (protocol/levels), to check that each adversary has
// the effect on the protocol that the studies measure.

type world struct {
	s      *sim.Sim
	n      *netmodel.Network
	client *sim.Env
	server *sim.Env
	st     *Stats
	srvIP  string
}

func newWorld(t *testing.T, c Config) *world {
	t.Helper()
	if err := sim.CheckCryptoRand(); err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Config{Seed: 9})
	t.Cleanup(s.Close)
	n := netmodel.New(s)
	hc := netmodel.HostConfig{Up: 1e6, Down: 1e6, Latency: 10 * time.Millisecond}
	hc.Name = "client"
	ch, _ := n.AddHost(hc)
	hc.Name = "tracker" // the server doubles as the host an outage takes down
	sh, _ := n.AddHost(hc)
	m, st, err := New(c, Env{Clock: s, Seed: 9, Resolve: func(name string) (netip.Addr, bool) {
		if name == "tracker" {
			return sh.Addr(), true
		}
		return netip.Addr{}, false
	}})
	if err != nil {
		t.Fatal(err)
	}
	n.Middlebox = m
	return &world{s: s, n: n, client: s.NewEnv(ch), server: s.NewEnv(sh), st: st, srvIP: sh.Addr().String()}
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

var tor = &transport.Torrent{InfoHash: sha1.Sum([]byte("study")), Name: "study"}

func levelsTransport(t *testing.T, e *sim.Env, p negotiate.Policy) *levels.Transport {
	tr, err := levels.New(e, levels.Config{Policy: p, Curves: []tls.CurveID{tls.X25519}})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// connectEcho runs a bttls server (policy prefer: TLS or legacy) and makes
// one connection per entry of at (virtual start times) with the client's
// transport, returning what carried each, or its error.
func (w *world) connectEcho(t *testing.T, client negotiate.Policy, at ...time.Duration) ([]transport.Kind, []error) {
	srv := levelsTransport(t, w.server, negotiate.Prefer)
	cli := levelsTransport(t, w.client, client)
	l, err := w.server.Listen("tcp", ":6881")
	if err != nil {
		t.Fatal(err)
	}
	w.server.Go("accept", func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			w.server.Go("serve", func() {
				defer c.Close()
				tc, err := srv.Accept(w.server, c, registry{tor}, 5*time.Second)
				if err != nil {
					return
				}
				buf := make([]byte, 5)
				if _, err := io.ReadFull(tc, buf); err == nil {
					tc.Write(buf)
				}
			})
		}
	})
	kinds := make([]transport.Kind, len(at))
	errs := make([]error, len(at))
	for i, d := range at {
		w.s.At(d, func() {
			w.client.Go("dial", func() {
				c, err := cli.Connect(w.client, w.srvIP+":6881", tor, transport.Hint{}, 20*time.Second)
				if err != nil {
					errs[i] = err
					return
				}
				defer c.Close()
				kinds[i] = c.Kind
				c.Write([]byte("hello"))
				buf := make([]byte, 5)
				c.SetReadDeadline(w.client.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
					errs[i] = errors.Join(errors.New("echo failed"), err)
				}
			})
		})
	}
	w.s.At(time.Minute, func() { l.Close() })
	if err := w.s.Run(); err != nil {
		t.Fatal(err)
	}
	return kinds, errs
}

func TestSimNoMiddleboxUsesTLS(t *testing.T) {
	w := newWorld(t, Config{})
	kinds, errs := w.connectEcho(t, negotiate.Prefer, 0)
	if errs[0] != nil || kinds[0] != transport.TLSBasic {
		t.Fatalf("%v %v", kinds, errs)
	}
}

func TestSimFakeLegacyReplyDowngradesPrefer(t *testing.T) {
	w := newWorld(t, Config{Attacker: AttackerConfig{Fraction: 1, Action: "fake-legacy"}})
	kinds, errs := w.connectEcho(t, negotiate.Prefer, 0)
	if errs[0] != nil || kinds[0] != transport.MSE {
		t.Fatalf("prefer under a fake legacy reply: %v %v, want a working MSE connection (downgraded)", kinds, errs)
	}
	if w.st.AttackerFlows != 1 {
		t.Errorf("attacker stats %+v, want the one TLS attempt attacked", w.st)
	}
}

func TestSimRequireRefusesDowngrade(t *testing.T) {
	w := newWorld(t, Config{Attacker: AttackerConfig{Fraction: 1, Action: "fake-legacy"}})
	_, errs := w.connectEcho(t, negotiate.Require, 0)
	if errs[0] == nil {
		t.Fatal("require connected through a downgrade attacker")
	}
}

func TestSimPinStopsDowngrade(t *testing.T) {
	// The first connection (before the attacker appears at 10 s) completes
	// a bttls handshake and pins the address; the second must then refuse
	// the fake legacy reply instead of falling back.
	w := newWorld(t, Config{Attacker: AttackerConfig{Fraction: 1, Action: "fake-legacy", StartS: 10}})
	kinds, errs := w.connectEcho(t, negotiate.Prefer, 0, 20*time.Second)
	if errs[0] != nil || kinds[0] != transport.TLSBasic {
		t.Fatalf("before the attack: %v %v", kinds[0], errs[0])
	}
	if errs[1] == nil {
		t.Fatalf("a pinned peer fell back to %v under attack", kinds[1])
	}
}

func TestSimResetAndBlackholeAttacks(t *testing.T) {
	// A reset TLS attempt fails before the TLS handshake completes, so
	// prefer (unpinned) falls back, and the legacy redial is not attacked
	// (it is not TLS): a downgrade.
	w := newWorld(t, Config{Attacker: AttackerConfig{Fraction: 1, Action: "reset"}})
	kinds, errs := w.connectEcho(t, negotiate.Prefer, 0)
	if errs[0] != nil || kinds[0] != transport.MSE {
		t.Errorf("reset: %v %v, want a fallback to MSE", kinds, errs)
	}
	// A blackholed attempt waits out the whole setup timeout, which bounds
	// every attempt together, so nothing is left for the fallback: the
	// connection fails (denial of service rather than downgrade).
	w = newWorld(t, Config{Attacker: AttackerConfig{Fraction: 1, Action: "blackhole"}})
	_, errs = w.connectEcho(t, negotiate.Prefer, 0)
	if errs[0] == nil {
		t.Errorf("blackhole: connected, want the setup timeout")
	}
}

func TestSimCensorBlocksMSENotTLS(t *testing.T) {
	for _, action := range []string{"reset", "block"} {
		// prefer reaches the server over TLS through a fully-encrypted-
		// traffic censor (a ClientHello is exempt); off (MSE only) does not.
		w := newWorld(t, Config{Censor: CensorConfig{Kind: "fet", Action: action}})
		kinds, errs := w.connectEcho(t, negotiate.Prefer, 0)
		if errs[0] != nil || kinds[0] != transport.TLSBasic {
			t.Errorf("%s: TLS through the censor: %v %v", action, kinds, errs)
		}
		w = newWorld(t, Config{Censor: CensorConfig{Kind: "fet", Action: action}})
		_, errs = w.connectEcho(t, negotiate.Off, 0)
		if errs[0] == nil {
			t.Errorf("%s: MSE got through a fully-encrypted-traffic censor", action)
		}
		if w.st.CensorActed == 0 {
			t.Errorf("%s: censor stats %+v", action, w.st)
		}
	}
}

func TestSimOutageRefusesConnections(t *testing.T) {
	w := newWorld(t, Config{Outage: OutageConfig{Host: "tracker", StartS: 5, LengthS: 10}})
	var before, during, after error
	l, err := w.server.Listen("tcp", ":6969")
	if err != nil {
		t.Fatal(err)
	}
	w.server.Go("accept", func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	dial := func(at time.Duration, into *error) {
		w.s.At(at, func() {
			w.client.Go("dial", func() {
				c, err := w.client.Dial("tcp", w.srvIP+":6969", 3*time.Second)
				*into = err
				if err == nil {
					c.Close()
				}
			})
		})
	}
	dial(time.Second, &before)
	dial(8*time.Second, &during)
	dial(20*time.Second, &after)
	w.s.At(30*time.Second, func() { l.Close() })
	if err := w.s.Run(); err != nil {
		t.Fatal(err)
	}
	if before != nil || during == nil || after != nil {
		t.Fatalf("dial before %v, during %v, after %v: want only the one during the outage to fail", before, during, after)
	}
}
