package levels

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bttls/bttls/models/checker"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/transport"
)

// plainOnlyPeer behaves as a client with encryption disabled: it reads the
// BEP 3 protocol string and closes on anything else (a ClientHello, an MSE
// Ya) without sending a byte; given the string, it echoes five bytes.
func plainOnlyPeer(t testing.TB, attempts *atomic.Int32) string {
	return serve(t, func(c net.Conn) {
		attempts.Add(1)
		c.SetDeadline(time.Now().Add(3 * time.Second))
		pstr := make([]byte, 20)
		if _, err := io.ReadFull(c, pstr); err != nil || !bytes.Equal(pstr, []byte("\x13BitTorrent protocol")) {
			return
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err == nil {
			c.Write(buf)
		}
	})
}

// TestLegacyAttemptReachesPlaintextOnlyPeer: a legacy attempt that opens
// a Connect and gets no byte back to its MSE opening retries in plaintext
// at once, so a peer reaches a client that speaks only plaintext
// BitTorrent instead of failing and backing off. Before, a bttls seeder
// could not reach such clients at all and they waited for their next
// tracker announce to learn of it (about 30 s in the simulator's censor
// study).
func TestLegacyAttemptReachesPlaintextOnlyPeer(t *testing.T) {
	tor := torrent("plain only")
	for _, tc := range []struct {
		name     string
		policy   negotiate.Policy
		hint     transport.Hint
		attempts int32
	}{
		{"prefer, legacy hint: MSE, plaintext", negotiate.Prefer, transport.Hint{Legacy: true}, 2},
		{"off: MSE, plaintext", negotiate.Off, transport.Hint{}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var attempts atomic.Int32
			addr := plainOnlyPeer(t, &attempts)
			client := newTransport(t, tc.policy, nil)
			start := time.Now()
			c, err := client.Connect(env.OS{}, addr, tor, tc.hint, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			plainEcho(t, c)
			if c.Kind != transport.Plain || attempts.Load() != tc.attempts {
				t.Fatalf("kind %v after %d attempts, want plain after %d", c.Kind, attempts.Load(), tc.attempts)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("reaching a plaintext-only peer took %v", d)
			}
		})
	}
}

// TestPreferReachesPlaintextOnlyPeerOnRedial: with no hint, prefer's TLS
// attempt and its MSE fallback both get no byte back, as from a bttls peer
// refusing connections while it is flooded with handshakes; that Connect
// gives up without a plaintext attempt, which would show such a peer the
// infohash. The address is noted, and the next Connect, silent again to
// TLS and MSE, retries in plaintext and reaches the plaintext-only peer.
func TestPreferReachesPlaintextOnlyPeerOnRedial(t *testing.T) {
	tor := torrent("plain only")
	var attempts atomic.Int32
	addr := plainOnlyPeer(t, &attempts)
	client := newTransport(t, negotiate.Prefer, nil)
	if _, err := client.Connect(env.OS{}, addr, tor, transport.Hint{}, 5*time.Second); err == nil || attempts.Load() != 2 {
		t.Fatalf("first connect: %v after %d attempts, want a failure after TLS and MSE", err, attempts.Load())
	}
	attempts.Store(0)
	c, err := client.Connect(env.OS{}, addr, tor, transport.Hint{TLS: true}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	plainEcho(t, c)
	if c.Kind != transport.Plain || attempts.Load() != 3 {
		t.Fatalf("redial: kind %v after %d attempts, want plain after TLS, MSE and plaintext", c.Kind, attempts.Load())
	}
	if client.cfg.Pins.Pinned(addr, time.Now()) {
		t.Fatal("a plaintext connection pinned the address")
	}

	t.Run("pinned and require never get there", func(t *testing.T) {
		for _, p := range []negotiate.Policy{negotiate.Prefer, negotiate.Require} {
			var attempts atomic.Int32
			addr := plainOnlyPeer(t, &attempts)
			client := newTransport(t, p, nil)
			client.silent.add(addr, time.Now())
			if p == negotiate.Prefer {
				client.cfg.Pins.Pin(addr, time.Now())
			}
			if _, err := client.Connect(env.OS{}, addr, tor, transport.Hint{Legacy: true}, 5*time.Second); err == nil || attempts.Load() != 1 {
				t.Fatalf("%v: connected or retried: %v (%d attempts)", p, err, attempts.Load())
			}
		}
	})
}

// plainEcho sends a BEP 3 protocol string and five bytes over c and checks
// that plainOnlyPeer echoes them.
func plainEcho(t *testing.T, c net.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("\x13BitTorrent protocolhello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q %v", buf, err)
	}
}

// TestMSEPeerIsNotRetriedInPlaintext: a peer that answered in MSE speaks
// MSE; when the MSE handshake then fails (here: the peer does not serve the
// torrent) a plaintext retry would only show the infohash to the path.
func TestMSEPeerIsNotRetriedInPlaintext(t *testing.T) {
	served, wanted := torrent("served"), torrent("wanted")
	var attempts atomic.Int32
	addr := legacyPeer(t, served.InfoHash, &attempts)
	client := newTransport(t, negotiate.Off, nil)
	_, err := client.Connect(env.OS{}, addr, wanted, transport.Hint{}, 3*time.Second)
	if err == nil || attempts.Load() != 1 || strings.Contains(err.Error(), "plaintext retry") {
		t.Fatalf("got %v after %d attempts; want one failed MSE attempt", err, attempts.Load())
	}
}

// TestPlaintextRetryTrace: the MSE attempt and its plaintext retry are one
// legacy attempt of models/tla/Negotiation.tla, whose "legacy" is
// plaintext or MSE, and the traces of both Connects validate.
func TestPlaintextRetryTrace(t *testing.T) {
	md, err := checker.Load("../../models/tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	addr := plainOnlyPeer(t, &attempts)
	rec := &memRecorder{}
	client := tracedTransport(t, negotiate.Prefer, rec)
	if _, err := client.Connect(env.OS{}, addr, torrent("plain only"), transport.Hint{}, 3*time.Second); err == nil {
		t.Fatal("first connect went through")
	}
	c, err := client.Connect(env.OS{}, addr, torrent("plain only"), transport.Hint{}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got, want := rec.kinds(), "dial tls-attempt tls-fail-before fallback legacy-fail give-up dial tls-attempt tls-fail-before fallback legacy-ok"; got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	if d := rec.evs[len(rec.evs)-1].Detail; d != "plain" {
		t.Fatalf("legacy-ok detail %q, want plain", d)
	}
	if n, errs, err := md.ValidateTrace(rec.evs); err != nil || len(errs) != 0 || n != 2 {
		t.Fatalf("%d connections, rejected: %v %v", n, errs, err)
	}
}

func TestSilentSet(t *testing.T) {
	s := newSilentSet()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.add("10.0.0.1:1", now)
	if !s.has("10.0.0.1:1", now.Add(silentTTL-time.Second)) || s.has("10.0.0.1:1", now.Add(silentTTL)) {
		t.Fatal("silent note does not last exactly silentTTL")
	}
	s.forget("10.0.0.1:1")
	if s.has("10.0.0.1:1", now) || len(s.order) != 0 {
		t.Fatal("forget left the address")
	}
	for i := range maxSilent + 10 {
		s.add(fmt.Sprintf("10.0.%d.%d:1", i/256, i%256), now)
	}
	if len(s.until) != maxSilent || len(s.order) != maxSilent || s.has("10.0.0.0:1", now) || !s.has("10.0.0.10:1", now) {
		t.Fatalf("eviction: %d notes, %d in order", len(s.until), len(s.order))
	}
}
