package levels

import (
	"bytes"
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

// TestLegacyAttemptReachesPlaintextOnlyPeer: a legacy attempt whose MSE
// opening gets no byte back retries in plaintext at once, within the same
// Connect, so a prefer (or off) peer reaches a client that speaks only
// plaintext BitTorrent instead of failing and backing off. Before, a
// bttls seeder could not reach such clients at all and they waited for
// their next tracker announce to learn of it (about 30 s in the
// simulator's censor study).
func TestLegacyAttemptReachesPlaintextOnlyPeer(t *testing.T) {
	tor := torrent("plain only")
	for _, tc := range []struct {
		name     string
		policy   negotiate.Policy
		hint     transport.Hint
		attempts int32
	}{
		{"prefer: TLS, MSE, plaintext", negotiate.Prefer, transport.Hint{}, 3},
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
			if _, err := c.Write([]byte("\x13BitTorrent protocolhello")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 5)
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
				t.Fatalf("echo: %q %v", buf, err)
			}
			if c.Kind != transport.Plain || attempts.Load() != tc.attempts {
				t.Fatalf("kind %v after %d attempts, want plain after %d", c.Kind, attempts.Load(), tc.attempts)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("reaching a plaintext-only peer took %v", d)
			}
			if client.cfg.Pins.Pinned(addr, time.Now()) {
				t.Fatal("a plaintext connection pinned the address")
			}
		})
	}
	t.Run("pinned and require never get there", func(t *testing.T) {
		for _, p := range []negotiate.Policy{negotiate.Prefer, negotiate.Require} {
			var attempts atomic.Int32
			addr := plainOnlyPeer(t, &attempts)
			client := newTransport(t, p, nil)
			if p == negotiate.Prefer {
				client.cfg.Pins.Pin(addr, time.Now())
			}
			if _, err := client.Connect(env.OS{}, addr, tor, transport.Hint{Legacy: true}, 5*time.Second); err == nil || attempts.Load() != 1 {
				t.Fatalf("%v: connected or retried: %v (%d attempts)", p, err, attempts.Load())
			}
		}
	})
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
// plaintext or MSE, and the trace validates.
func TestPlaintextRetryTrace(t *testing.T) {
	md, err := checker.Load("../../models/tla/Negotiation.tla", "")
	if err != nil {
		t.Fatal(err)
	}
	var attempts atomic.Int32
	addr := plainOnlyPeer(t, &attempts)
	rec := &memRecorder{}
	client := tracedTransport(t, negotiate.Prefer, rec)
	c, err := client.Connect(env.OS{}, addr, torrent("plain only"), transport.Hint{}, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got, want := rec.kinds(), "dial tls-attempt tls-fail-before fallback legacy-ok"; got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	if d := rec.evs[len(rec.evs)-1].Detail; d != "plain" {
		t.Fatalf("legacy-ok detail %q, want plain", d)
	}
	if n, errs, err := md.ValidateTrace(rec.evs); err != nil || len(errs) != 0 || n != 1 {
		t.Fatalf("%d connections, rejected: %v %v", n, errs, err)
	}
}
