package levels

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amse "github.com/anacrolix/torrent/mse"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

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

func torrent(name string) *transport.Torrent {
	return &transport.Torrent{InfoHash: sha1.Sum([]byte(name)), Name: name}
}

// logBuf collects a transport's log lines; safe for concurrent use.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
	l.mu.Unlock()
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newTransport(t testing.TB, p negotiate.Policy, logs *logBuf) *Transport {
	t.Helper()
	cfg := Config{Policy: p, Decoy: testDecoy, DeferProof: true}
	if logs != nil {
		cfg.Logf = logs.logf
	}
	tr, err := New(env.OS{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// serve accepts connections on a loopback listener and hands each to
// handle in its own goroutine; it returns the address.
func serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); handle(c) }()
		}
	}()
	return ln.Addr().String()
}

// echoPeer accepts with tr and echoes one line-sized message back; results
// go to accepted.
func echoPeer(t testing.TB, tr *Transport, reg registry, accepted chan<- *transport.Conn) string {
	return serve(t, func(c net.Conn) {
		tc, err := tr.Accept(env.OS{}, c, reg, 2*time.Second)
		if accepted != nil {
			accepted <- tc
		}
		if err != nil {
			return
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(tc, buf); err == nil {
			tc.Write(buf)
		}
		io.Copy(io.Discard, tc)
	})
}

func roundTrip(t *testing.T, c *transport.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q %v", buf, err)
	}
}

func TestBasicEndToEnd(t *testing.T) {
	a, b := torrent("a"), torrent("b")
	server := newTransport(t, negotiate.Require, nil)
	acc := make(chan *transport.Conn, 1)
	addr := echoPeer(t, server, registry{a, b}, acc)
	client := newTransport(t, negotiate.Prefer, nil)
	c, err := client.Connect(env.OS{}, addr, b, transport.Hint{}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Kind != transport.TLSBasic {
		t.Fatalf("kind %v", c.Kind)
	}
	in := <-acc
	if in == nil || in.Torrent != b || in.Kind != transport.TLSBasic {
		t.Fatalf("acceptor got %+v", in)
	}
	roundTrip(t, c)
	if !client.cfg.Pins.Pinned(addr, time.Now()) {
		t.Fatal("a completed bttls handshake did not pin the address")
	}
}

// legacyPeer behaves as libtorrent and transmission do: it takes whatever
// arrives for an MSE Ya and answers with Yb (anacrolix's MSE receiver).
func legacyPeer(t testing.TB, ih [20]byte, attempts *atomic.Int32) string {
	return serve(t, func(c net.Conn) {
		attempts.Add(1)
		c.SetDeadline(time.Now().Add(3 * time.Second))
		rw, _, err := amse.ReceiveHandshake(context.Background(), c,
			func(f func([]byte) bool) { f(ih[:]) }, amse.DefaultCryptoSelector)
		if err != nil {
			return
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(rw, buf); err == nil {
			rw.Write(buf)
		}
	})
}

func TestPreferFallsBackToLegacy(t *testing.T) {
	tor := torrent("legacy")
	var attempts atomic.Int32
	var addr string

	t.Run("prefer, no hint: TLS fails on the first reply, MSE succeeds", func(t *testing.T) {
		attempts.Store(0)
		addr = legacyPeer(t, tor.InfoHash, &attempts)
		client := newTransport(t, negotiate.Prefer, nil)
		start := time.Now()
		c, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Kind != transport.MSE || attempts.Load() != 2 {
			t.Fatalf("kind %v after %d attempts", c.Kind, attempts.Load())
		}
		roundTrip(t, c)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("fallback took %v; the legacy reply must be detected at once", d)
		}
		if client.cfg.Pins.Pinned(addr, time.Now()) {
			t.Fatal("a legacy connection pinned the address")
		}
	})
	t.Run("prefer, legacy hint: no TLS attempt", func(t *testing.T) {
		attempts.Store(0)
		addr = legacyPeer(t, tor.InfoHash, &attempts)
		client := newTransport(t, negotiate.Prefer, nil)
		c, err := client.Connect(env.OS{}, addr, tor, transport.Hint{Legacy: true}, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if c.Kind != transport.MSE || attempts.Load() != 1 {
			t.Fatalf("kind %v after %d attempts", c.Kind, attempts.Load())
		}
	})
	t.Run("prefer, pinned: no fallback", func(t *testing.T) {
		attempts.Store(0)
		addr = legacyPeer(t, tor.InfoHash, &attempts)
		client := newTransport(t, negotiate.Prefer, nil)
		client.cfg.Pins.Pin(addr, time.Now())
		_, err := client.Connect(env.OS{}, addr, tor, transport.Hint{Legacy: true}, 5*time.Second)
		if err == nil || attempts.Load() != 1 || !strings.Contains(err.Error(), "no fallback") {
			t.Fatalf("pinned address fell back or did not explain: %v (%d attempts)", err, attempts.Load())
		}
	})
	t.Run("require: no fallback", func(t *testing.T) {
		attempts.Store(0)
		addr = legacyPeer(t, tor.InfoHash, &attempts)
		client := newTransport(t, negotiate.Require, nil)
		_, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 5*time.Second)
		if err == nil || attempts.Load() != 1 {
			t.Fatalf("require connected or retried: %v (%d attempts)", err, attempts.Load())
		}
	})
}

// TestBusyAlertDoesNotFallBack: a responder at its connection limit
// answers the ClientHello with the busy alert. A prefer initiator must
// give up on that attempt (the remote speaks TLS) without a legacy attempt
// and without pinning (the alert is unauthenticated). Any other alert is
// not the busy signal: the initiator falls back as it would from a
// legacy reply.
func TestBusyAlertDoesNotFallBack(t *testing.T) {
	tor := torrent("busy")
	var conns atomic.Int32
	busy := serve(t, func(c net.Conn) {
		conns.Add(1)
		if err := tlslevel.RefuseBusy(c); err != nil {
			t.Errorf("RefuseBusy: %v", err)
		}
	})
	client := newTransport(t, negotiate.Prefer, nil)
	_, err := client.Connect(env.OS{}, busy, tor, transport.Hint{}, 3*time.Second)
	if !errors.Is(err, tlslevel.ErrBusy) || !strings.Contains(err.Error(), "no fallback") {
		t.Fatalf("got %v; want the busy error and no fallback", err)
	}
	time.Sleep(20 * time.Millisecond)
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections to a busy peer, want 1 (no legacy attempt)", n)
	}
	if client.cfg.Pins.Pinned(busy, time.Now()) {
		t.Fatal("an unauthenticated busy alert pinned the address")
	}

	var other atomic.Int32
	handshakeFailure := serve(t, func(c net.Conn) {
		other.Add(1)
		// Read the whole opening (closing with unread input would reset
		// the connection), then answer with the alert and close.
		c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		io.Copy(io.Discard, c)
		c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40})
	})
	_, err = client.Connect(env.OS{}, handshakeFailure, tor, transport.Hint{}, 3*time.Second)
	if err == nil || errors.Is(err, tlslevel.ErrBusy) {
		t.Fatalf("got %v; want a failure that is not the busy one", err)
	}
	if n := other.Load(); n != 2 {
		t.Fatalf("%d connections after a handshake_failure alert, want 2 (TLS, then legacy)", n)
	}
}

func TestNoFallbackAfterTLS(t *testing.T) {
	served, wanted := torrent("served"), torrent("not served")
	var logs logBuf
	server := newTransport(t, negotiate.Prefer, &logs)
	addr := echoPeer(t, server, registry{served}, nil)
	client := newTransport(t, negotiate.Prefer, nil)
	_, err := client.Connect(env.OS{}, addr, wanted, transport.Hint{}, 3*time.Second)
	if err == nil || !strings.Contains(err.Error(), "after the TLS handshake") {
		t.Fatalf("got %v; want a failure after TLS with no fallback", err)
	}
	time.Sleep(50 * time.Millisecond)
	if !strings.Contains(logs.String(), "does not verify") {
		t.Fatalf("server logged no reason: %q", logs.String())
	}
}

func TestAcceptLegacy(t *testing.T) {
	basic, required := torrent("basic"), torrent("required")
	req := negotiate.Require
	required.Security = &Security{Level: transport.TLSBasic, Policy: &req, Credential: BasicSecurity(required.InfoHash[:]).Credential}
	var logs logBuf
	server := newTransport(t, negotiate.Prefer, &logs)
	addr := echoPeer(t, server, registry{basic, required}, nil)

	for _, tc := range []struct {
		name   string
		plain  bool
		ok     bool
		reason string // logged by the acceptor when refused
	}{
		{"basic", false, true, ""},
		{"basic", true, true, ""},
		{"required", false, false, "no served torrent matches"},
		{"required", true, false, "requires TLS"},
	} {
		t.Run(fmt.Sprintf("%s/plain=%v", tc.name, tc.plain), func(t *testing.T) {
			client, _ := New(env.OS{}, Config{Policy: negotiate.Off, LegacyPlain: tc.plain})
			// The client knows only the infohash, as a legacy client.
			tor := torrent(tc.name)
			c, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 3*time.Second)
			if err != nil {
				if tc.ok || tc.plain {
					t.Fatal(err)
				}
			} else {
				defer c.Close()
				if tc.plain {
					// The acceptor reads the handshake up to the infohash first.
					hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 8)...)
					c.Write(append(hs, tor.InfoHash[:]...))
				} else {
					c.Write([]byte("hello"))
				}
				buf := make([]byte, 5)
				c.SetReadDeadline(time.Now().Add(3 * time.Second))
				if _, err := io.ReadFull(c, buf); (err == nil) != tc.ok {
					t.Fatalf("echo: %v, want ok=%v", err, tc.ok)
				}
			}
			if !tc.ok {
				time.Sleep(50 * time.Millisecond)
				if !strings.Contains(logs.String(), tc.reason) {
					t.Fatalf("acceptor did not log %q: %q", tc.reason, logs.String())
				}
			}
		})
	}
}

// clientHelloPrefix returns the first n bytes of a real ClientHello.
func clientHelloPrefix(t testing.TB, n int) []byte {
	a, b := net.Pipe()
	defer b.Close()
	go func() {
		tls.Client(a, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}).Handshake()
	}()
	buf := make([]byte, 4096)
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	m, err := b.Read(buf)
	if err != nil || m < n {
		t.Fatalf("ClientHello: %d bytes, %v", m, err)
	}
	a.Close()
	return buf[:n]
}

// TestHalfOpenFlood opens 1,000 connections that stall (nothing, half a
// ClientHello, a partial MSE opening) while an honest peer connects; the
// honest peer is served at once, every stalled one is refused with a reason
// within the accept timeout, and memory stays bounded.
func TestHalfOpenFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 sockets")
	}
	tor := torrent("flood")
	var refused atomic.Int32
	server := newTransport(t, negotiate.Require, nil)
	const acceptTimeout = 700 * time.Millisecond
	addr := serve(t, func(c net.Conn) {
		tc, err := server.Accept(env.OS{}, c, registry{tor}, acceptTimeout)
		if err != nil {
			refused.Add(1)
			return
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(tc, buf); err == nil {
			tc.Write(buf)
		}
	})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 1000
	// Silent; half a TLS record header; the first 100 bytes of a real
	// ClientHello (classified TLS, then the TLS handshake stalls); 60
	// bytes of an MSE opening.
	openings := [][]byte{nil, {0x16, 0x03, 0x01, 0x02, 0x00}, clientHelloPrefix(t, 100), bytes.Repeat([]byte{0x42}, 60)}
	var conns []net.Conn
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		c.Write(openings[i%len(openings)])
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	start := time.Now()
	client := newTransport(t, negotiate.Require, nil)
	c, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 3*time.Second)
	if err != nil {
		t.Fatalf("honest peer not served during the flood: %v", err)
	}
	roundTrip(t, c)
	c.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("honest peer took %v during the flood", d)
	}
	var during runtime.MemStats
	runtime.ReadMemStats(&during)
	if grow := int64(during.HeapInuse) - int64(before.HeapInuse); grow > 64<<20 {
		t.Fatalf("1,000 half-open connections grew the heap by %d MiB", grow>>20)
	}
	waitUntil := time.Now().Add(acceptTimeout + 3*time.Second)
	for refused.Load() < n && time.Now().Before(waitUntil) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := refused.Load(); got != n {
		t.Fatalf("%d of %d stalled connections refused in time", got, n)
	}
}
