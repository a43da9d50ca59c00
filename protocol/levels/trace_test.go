package levels

import (
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bttls/bttls/models/checker"
	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// memRecorder keeps events in memory.
type memRecorder struct {
	mu  sync.Mutex
	evs []trace.Event
}

func (m *memRecorder) Record(e trace.Event) {
	m.mu.Lock()
	m.evs = append(m.evs, e)
	m.mu.Unlock()
}

func (m *memRecorder) kinds() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ks []string
	for _, e := range m.evs {
		ks = append(ks, string(e.Kind))
	}
	return strings.Join(ks, " ")
}

func tracedTransport(t testing.TB, p negotiate.Policy, rec trace.Recorder) *Transport {
	t.Helper()
	tr, err := New(env.OS{}, Config{Policy: p, Decoy: testDecoy, DeferProof: true, Trace: rec, TraceLocal: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestConnectTrace(t *testing.T) {
	served, other := torrent("served"), torrent("not served")
	server := newTransport(t, negotiate.Prefer, nil)
	bttls := echoPeer(t, server, registry{served}, nil)
	var attempts atomic.Int32
	legacy := legacyPeer(t, served.InfoHash, &attempts)
	busy := serve(t, func(c net.Conn) { tlslevel.RefuseBusy(c) })
	md, err := checker.Load("../../models/tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}

	type dial struct {
		addr string
		tor  *transport.Torrent
		hint transport.Hint
	}
	cases := []struct {
		name   string
		policy negotiate.Policy
		dials  []dial
		want   string // the kinds, in order
		conns  int
	}{
		{"prefer to a legacy peer falls back", negotiate.Prefer, []dial{{legacy, served, transport.Hint{}}},
			"dial tls-attempt tls-fail-before fallback legacy-ok", 1},
		{"prefer with a legacy hint starts legacy", negotiate.Prefer, []dial{{legacy, served, transport.Hint{Legacy: true}}},
			"dial legacy-attempt legacy-ok", 1},
		{"require to a legacy peer gives up", negotiate.Require, []dial{{legacy, served, transport.Hint{}}},
			"dial tls-attempt tls-fail-before give-up", 1},
		{"off dials legacy only", negotiate.Off, []dial{{legacy, served, transport.Hint{}}},
			"dial legacy-attempt legacy-ok", 1},
		{"a TLS hint is recorded before the dial", negotiate.Prefer, []dial{{bttls, served, transport.Hint{TLS: true}}},
			"hint dial tls-attempt tls-ok", 1},
		{"a pinned redial continues the connection that pinned", negotiate.Prefer,
			[]dial{{bttls, served, transport.Hint{}}, {bttls, served, transport.Hint{}}},
			"dial tls-attempt tls-ok dial tls-attempt tls-ok", 1},
		{"a failure after the handshake never falls back", negotiate.Prefer, []dial{{bttls, other, transport.Hint{}}},
			"dial tls-attempt tls-ok tls-fail-after give-up", 1},
		{"a busy alert never falls back", negotiate.Prefer, []dial{{busy, served, transport.Hint{}}},
			"dial tls-attempt tls-busy give-up", 1},
		{"an unpinned redial starts a new connection", negotiate.Prefer,
			[]dial{{legacy, served, transport.Hint{}}, {legacy, served, transport.Hint{}}},
			"dial tls-attempt tls-fail-before fallback legacy-ok dial tls-attempt tls-fail-before fallback legacy-ok", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &memRecorder{}
			client := tracedTransport(t, c.policy, rec)
			for _, d := range c.dials {
				conn, err := client.Connect(env.OS{}, d.addr, d.tor, d.hint, 3*time.Second)
				if err == nil {
					conn.Close()
				}
			}
			if got := rec.kinds(); got != c.want {
				t.Fatalf("events %q, want %q", got, c.want)
			}
			n, errs, err := md.ValidateTrace(rec.evs)
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != 0 || n != c.conns {
				t.Fatalf("%d connections (want %d), rejected: %v", n, c.conns, errs)
			}
			for _, e := range rec.evs {
				if e.Local != "127.0.0.1:1" || e.Level != "Basic" || e.Policy != c.policy.String() || e.T == 0 {
					t.Fatalf("event fields: %+v", e)
				}
			}
		})
	}
}

// failEnv fails every dial at once, the same way each time, so that
// allocation counts of Connect repeat exactly.
type failEnv struct{ env.OS }

var errRefused = errors.New("connection refused")

func (failEnv) Dial(string, string, time.Duration) (net.Conn, error) { return nil, errRefused }

// countRecorder counts events (an allocation-free recorder).
type countRecorder struct{ n int }

func (c *countRecorder) Record(trace.Event) { c.n++ }

func TestTraceOffCostsNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector")
	}
	tor := torrent("t")
	// The hooks Connect calls allocate nothing when tracing is off.
	var tr *tracer
	sec := securityOf(tor)
	hooks := testing.AllocsPerRun(100, func() {
		ct := tr.begin(failEnv{}, "10.0.0.1:1", tor, sec, negotiate.Prefer, negotiate.Knowledge{})
		ct.start(transport.TLSBasic)
		ct.result(transport.TLSBasic, negotiate.BeforeTLS, errRefused)
		ct.next(transport.TLSBasic, transport.MSE)
		ct.result(transport.MSE, negotiate.BeforeTLS, errRefused)
		ct.giveUp(errRefused)
	})
	if hooks != 0 {
		t.Fatalf("trace hooks allocate %v times per Connect with tracing off", hooks)
	}

	connect := func(rec trace.Recorder) float64 {
		tr, err := New(env.OS{}, Config{Policy: negotiate.Prefer, Trace: rec})
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(50, func() {
			if _, err := tr.Connect(failEnv{}, "10.0.0.1:1", tor, transport.Hint{}, time.Second); err == nil {
				t.Fatal("connected through a failing dialer")
			}
		})
	}
	off, typedNil := connect(nil), connect((*trace.Writer)(nil))
	counter := &countRecorder{}
	on := connect(counter)
	t.Logf("allocations per failed Connect: tracing off %v, nil *trace.Writer %v, on %v", off, typedNil, on)
	if typedNil != off {
		t.Fatalf("a nil *trace.Writer costs %v allocations, none %v", typedNil, off)
	}
	if counter.n == 0 || on <= off {
		t.Fatalf("tracing on: %d events, %v allocations (off: %v); the measurement sees no tracing", counter.n, on, off)
	}
}

// BenchmarkConnectTrace measures a failing Connect (TLS, fallback, give-up)
// with tracing off and on; off must match a transport without tracing.
func BenchmarkConnectTrace(b *testing.B) {
	tor := torrent("t")
	for _, bc := range []struct {
		name string
		rec  trace.Recorder
	}{{"off", nil}, {"on", &countRecorder{}}} {
		b.Run(bc.name, func(b *testing.B) {
			tr, err := New(env.OS{}, Config{Policy: negotiate.Prefer, Trace: bc.rec})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				tr.Connect(failEnv{}, "10.0.0.1:1", tor, transport.Hint{}, time.Second)
			}
		})
	}
}

// TestConnectTraceFullStrict covers the move between the two TLS modes of
// a Full Strict torrent, which the spec sees as a give-up and a new dial.
func TestConnectTraceFullStrict(t *testing.T) {
	p := newSwarmPKI(t)
	m := fullStrictTorrent(t, p, []int{1, 2})
	srvSec, err := SecurityFor(m, p.identity(t))
	if err != nil {
		t.Fatal(err)
	}
	served := &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: srvSec}
	bttls := echoPeer(t, newTransport(t, negotiate.Off, nil), registry{served}, nil)
	var attempts atomic.Int32
	legacy := legacyPeer(t, m.InfoHash, &attempts)
	md, err := checker.Load("../../models/tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, addr, want string
	}{
		{"mode 2 then mode 1, both refused", legacy, "hint dial tls-attempt tls-fail-before give-up dial tls-attempt tls-fail-before give-up"},
		{"mode 2 accepted", bttls, "hint dial tls-attempt tls-ok"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cliSec, err := SecurityFor(m, p.identity(t))
			if err != nil {
				t.Fatal(err)
			}
			rec := &memRecorder{}
			tor := &transport.Torrent{InfoHash: m.InfoHash, Name: m.Name, Security: cliSec}
			if conn, err := tracedTransport(t, negotiate.Off, rec).Connect(env.OS{}, c.addr, tor, transport.Hint{TLS: true}, 3*time.Second); err == nil {
				conn.Close()
			}
			if got := rec.kinds(); got != c.want {
				t.Fatalf("events %q, want %q", got, c.want)
			}
			if e := rec.evs[0]; e.Level != "FullStrict" || e.Policy != "require" {
				t.Fatalf("level %q policy %q", e.Level, e.Policy)
			}
			if _, errs, err := md.ValidateTrace(rec.evs); err != nil || len(errs) != 0 {
				t.Fatalf("rejected: %v %v", errs, err)
			}
		})
	}
}

// TestConnectTracePinnedPeerGone: a pinned address that stops answering
// is given up on without fallback, in the connection that made the pin
// (from a fresh initial state the spec would demand a fallback).
func TestConnectTracePinnedPeerGone(t *testing.T) {
	tor := torrent("gone")
	server := newTransport(t, negotiate.Prefer, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				if tc, err := server.Accept(env.OS{}, c, registry{tor}, 2*time.Second); err == nil {
					tc.Read(make([]byte, 1)) // until the client closes
					tc.Close()
				}
			}()
		}
	}()
	rec := &memRecorder{}
	client := tracedTransport(t, negotiate.Prefer, rec)
	addr := ln.Addr().String()
	c, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	ln.Close()
	for range 4 {
		if _, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 3*time.Second); err == nil {
			t.Fatal("connected to a closed listener")
		}
	}
	want := "dial tls-attempt tls-ok" + strings.Repeat(" dial tls-attempt tls-fail-before give-up", 4)
	if got := rec.kinds(); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	md, err := checker.Load("../../models/tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	n, errs, err := md.ValidateTrace(rec.evs)
	if err != nil || len(errs) != 0 || n != 1 {
		t.Fatalf("%d connections, rejected: %v %v", n, errs, err)
	}
}
