package levels

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/dpi/probe"
	"github.com/bttls/bttls/protocol/decoy"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/tlslevel"
)

// testDecoy, when set, gives every transport newTransport makes a decoy.
var testDecoy func(*tls.Config) Decoy

// decoyTimeout is the decoy's (and the reference web server's) wait in
// tests: short, so that probes see it expire.
const decoyTimeout = 2 * time.Second

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })

func withTestDecoy(t *testing.T) {
	var started []*decoy.Server
	testDecoy = func(cfg *tls.Config) Decoy {
		d := decoy.New(cfg, decoy.Options{Handler: okHandler, Timeout: decoyTimeout})
		started = append(started, d)
		return d
	}
	t.Cleanup(func() {
		testDecoy = nil
		for _, d := range started {
			d.Close()
		}
	})
}

// TestPeersWithDecoy: real peers still connect to a responder that hands
// everyone else to the decoy: Basic, Strict (the load tests), Full Strict
// modes 1 and 2, a prefer responder taking MSE and plaintext, and failed
// proofs that must still fail, with their reasons logged, and not fall
// back.
func TestPeersWithDecoy(t *testing.T) {
	withTestDecoy(t)
	t.Run("basic", TestBasicEndToEnd)
	t.Run("legacy accepted under prefer", TestAcceptLegacy)
	t.Run("no fallback after TLS", TestNoFallbackAfterTLS)
	if testing.Short() {
		// Each refused member waits for its own timeout: ~20 s in all.
		t.Skip("strict and full strict with a decoy: not in -short")
	}
	t.Run("full strict", TestFullStrictModes)
	t.Run("strict", TestStrictLevel)
}

// referenceServer is the web server the decoy imitates, on its own port:
// net/http over the responder's TLS configuration, HTTP/1.1 only, the
// decoy's timeouts.
func referenceServer(t *testing.T, cfg *tls.Config) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: okHandler, TLSConfig: cfg, ErrorLog: log.New(io.Discard, "", 0),
		ReadHeaderTimeout: decoyTimeout, IdleTimeout: decoyTimeout,
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	go srv.ServeTLS(l, "", "")
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// TestProbesSeeAWebServer runs every probe of dpi/probe (none knows an
// infohash: silence, random bytes, plaintext HTTP, a BEP 3 handshake, a
// replayed ClientHello, TLS then silence, an HTTP request or garbage, a
// TLS 1.2 client) against a bttls responder with a decoy and against the
// web server it imitates, and requires the same answers, alerts, close
// kinds (FIN, RST, open) and timings for each. Under policy prefer the
// port speaks MSE, which answers random bytes (an MSE opening) with its
// own; those two probes are the only ones allowed to differ, and must.
func TestProbesSeeAWebServer(t *testing.T) {
	withTestDecoy(t)
	hello := recordClientHello(t)
	probes := probe.Probes(hello)
	wait := decoyTimeout + 1500*time.Millisecond
	for _, tt := range []struct {
		policy  negotiate.Policy
		mayDiff []string
	}{
		{negotiate.Require, nil},
		{negotiate.Prefer, []string{"random-517", "random-96"}},
	} {
		t.Run(tt.policy.String(), func(t *testing.T) {
			var logs logBuf
			tr := newTransport(t, tt.policy, &logs)
			reg := registry{torrent("probed")}
			bt := serve(t, func(c net.Conn) {
				// The peer's handshake timeout is shorter than the decoy's:
				// the transport must wait as long as the web server anyway.
				if tc, err := tr.Accept(env.OS{}, c, reg, 500*time.Millisecond); err == nil {
					tc.Close()
					t.Errorf("a probe was accepted as a peer over %v", tc.Kind)
				}
			})
			web := referenceServer(t, tr.ServerTLSConfig())
			var rw, rb []probe.Result
			var ew, eb error
			done := make(chan bool)
			go func() { rw, ew = probe.Run(web, probes, 3, wait); done <- true }()
			rb, eb = probe.Run(bt, probes, 3, wait)
			<-done
			if ew != nil || eb != nil {
				t.Fatal(ew, eb)
			}
			for i, p := range probes {
				t.Logf("%-18s web: %s (%v)  bttls: %s (%v)", p.Name, strings.Join(rw[i].Classes(), " / "), rw[i].Median().Round(time.Millisecond),
					strings.Join(rb[i].Classes(), " / "), rb[i].Median().Round(time.Millisecond))
			}
			var differ []string
			for _, d := range probe.Compare(probes, rw, rb) {
				differ = append(differ, d.Probe)
				if !slices.Contains(tt.mayDiff, d.Probe) {
					t.Errorf("probe tells the responder from the web server: %v", d)
				}
			}
			if !slices.Equal(differ, tt.mayDiff) {
				t.Errorf("probes that differ: %v, want exactly %v (MSE answers an MSE-sized opening)", differ, tt.mayDiff)
			}
			if !strings.Contains(logs.String(), "answered as a web server") {
				t.Errorf("refusals not logged: %q", logs.String())
			}
		})
	}
}

// recordClientHello is the ClientHello a bttls initiator sends.
func recordClientHello(t *testing.T) []byte {
	got := make(chan []byte, 1)
	addr := serve(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		got <- buf[:n]
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	go tls.Client(c, tlslevel.ClientConfig(tlslevel.Options{})).Handshake()
	h := <-got
	if len(h) < 100 {
		t.Fatalf("recorded ClientHello of %d bytes", len(h))
	}
	return h
}

// TestTicketsResume: a prober that keeps the session ticket of one
// connection resumes on the next, at the web server and at a bttls
// responder alike (a responder with a fresh ticket key per connection
// would answer with a full handshake).
func TestTicketsResume(t *testing.T) {
	withTestDecoy(t)
	tr := newTransport(t, negotiate.Require, nil)
	reg := registry{torrent("resumed")}
	bt := serve(t, func(c net.Conn) { tr.Accept(env.OS{}, c, reg, time.Second) })
	web := referenceServer(t, tr.ServerTLSConfig())
	for _, addr := range []string{web, bt} {
		cache := tls.NewLRUClientSessionCache(4)
		var resumed []bool
		for i := 0; i < 2; i++ {
			c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ClientSessionCache: cache, NextProtos: []string{"http/1.1"}})
			if err != nil {
				t.Fatal(err)
			}
			// The ticket arrives after the handshake; a short read takes it.
			c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			c.Read(make([]byte, 1))
			resumed = append(resumed, c.ConnectionState().DidResume)
			c.Close()
		}
		if resumed[0] || !resumed[1] {
			t.Errorf("%s: resumed %v, want [false true]", addr, resumed)
		}
	}
}

// TestPartialOpeningsSeeAWebServer: a prober that knows the level message
// format sends the start of one and waits. The acceptor waits for the
// rest as long as the web server waits for a request line, and then the
// web server's answer (400, since bytes came) arrives at the same time.
// The one residual: a Full Strict mode 2 header and a partial body with a
// line break, which the web server answers at once (docs/levels.md).
func TestPartialOpeningsSeeAWebServer(t *testing.T) {
	withTestDecoy(t)
	tr := newTransport(t, negotiate.Require, nil)
	reg := registry{torrent("partial")}
	bt := serve(t, func(c net.Conn) { tr.Accept(env.OS{}, c, reg, 500*time.Millisecond) })
	web := referenceServer(t, tr.ServerTLSConfig())
	type answer struct {
		reply string
		after time.Duration
	}
	ask := func(addr, in string) answer {
		c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.Write([]byte(in))
		c.SetReadDeadline(time.Now().Add(decoyTimeout + 2*time.Second))
		buf := make([]byte, 24)
		n, _ := io.ReadFull(c, buf)
		return answer{string(buf[:n]), time.Since(start)}
	}
	ins := []string{"\x01", "\x01\x03", "\x01\x03\x04\x00abc", "\x01\x01\x00\x20abc"}
	w, b := make([]answer, len(ins)), make([]answer, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Add(2)
		go func() { defer wg.Done(); w[i] = ask(web, in) }()
		go func() { defer wg.Done(); b[i] = ask(bt, in) }()
	}
	wg.Wait()
	for i, in := range ins {
		d := w[i].after - b[i].after
		if w[i].reply != b[i].reply || d < -500*time.Millisecond || d > 500*time.Millisecond {
			t.Errorf("%q: web server %q after %v, bttls %q after %v", in, w[i].reply, w[i].after.Round(time.Millisecond), b[i].reply, b[i].after.Round(time.Millisecond))
		}
	}
}

// TestAnswersBusy: only a port that poses as a web server for every
// refused connection (a decoy, and no torrent carried without TLS) keeps
// the busy alert, which no web server sends, from its ClientHellos.
func TestAnswersBusy(t *testing.T) {
	withTestDecoy(t)
	reg := registry{torrent("busy")}
	for _, c := range []struct {
		name   string
		policy negotiate.Policy
		decoy  bool
		want   bool
	}{
		{"require with a decoy", negotiate.Require, true, false},
		{"prefer with a decoy (the port answers MSE anyway)", negotiate.Prefer, true, true},
		{"require without a decoy", negotiate.Require, false, true},
	} {
		cfg := Config{Policy: c.policy, DeferProof: true}
		if c.decoy {
			cfg.Decoy = testDecoy
		}
		tr, err := New(env.OS{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.AnswersBusy(reg); got != c.want {
			t.Errorf("%s: AnswersBusy = %v, want %v", c.name, got, c.want)
		}
	}
}
