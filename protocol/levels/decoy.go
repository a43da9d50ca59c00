package levels

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/transport"
)

// Decoy serves the connections the acceptor refuses as the web server it
// imitates (protocol/decoy), so that an active prober without the infohash
// gets the answers, alerts and timeouts of an ordinary HTTPS server
// (docs/levels.md, "Probes and the decoy"). Both Serve methods return when
// the web server is done with the connection.
type Decoy interface {
	// ServeRaw serves a stream that is not a TLS ClientHello, of which read
	// was already consumed; since is when it was accepted (the web
	// server's handshake timeout runs from then).
	ServeRaw(c net.Conn, read []byte, since time.Time)
	// ServeTLS serves a TLS connection of whose application data read was
	// already consumed; since is when its TLS handshake ended (the web
	// server's wait for the first request runs from then).
	ServeTLS(c *tls.Conn, read []byte, since time.Time)
	// Timeout is how long the web server waits for a handshake or a
	// request; the acceptor waits at least as long before hanging up.
	Timeout() time.Duration
}

// ErrDecoyServed is wrapped by Accept when it handed a refused connection
// to the decoy web server, which has since closed it.
var ErrDecoyServed = errors.New("bttls: refused, answered as a web server")

// servedByDecoy is the error Accept returns for a connection it handed to
// the decoy: why it was refused, and that the decoy answered.
func servedByDecoy(why error) error { return fmt.Errorf("%w: %w", ErrDecoyServed, why) }

// toDecoyRaw hands a refused non-TLS stream to the decoy, or returns why
// when there is none (the caller closes c).
func (t *Transport) toDecoyRaw(c net.Conn, read []byte, since time.Time, why error) error {
	if t.decoy == nil {
		return why
	}
	t.logDecoy(c, why)
	t.decoy.ServeRaw(c, read, since)
	return servedByDecoy(why)
}

// toDecoyTLS hands a refused TLS connection to the decoy, or returns why
// when there is none.
func (t *Transport) toDecoyTLS(c *tls.Conn, read []byte, since time.Time, why error) error {
	if t.decoy == nil {
		return why
	}
	t.logDecoy(c, why)
	t.decoy.ServeTLS(c, read, since)
	return servedByDecoy(why)
}

// logDecoy logs the refusal when it happens: the decoy may hold the
// connection for minutes.
func (t *Transport) logDecoy(c net.Conn, why error) {
	t.cfg.Logf("bttls: inbound from %v: %v; answered as a web server", c.RemoteAddr(), why)
}

// AnswersBusy implements transport.BusyAnswerer. A port that answers every
// refused connection as a web server (a decoy, and no torrent carried
// without TLS) must not answer a ClientHello with an alert no web server
// sends: a prober would see it whenever the peer is full. Its peer runs
// the handshake and refuses after it, as before. Any other port may: one
// without a decoy closes refused connections anyway, and one that serves
// legacy peers already answers random bytes with an MSE reply.
func (t *Transport) AnswersBusy(reg transport.Registry) bool {
	return t.decoy == nil || t.servesLegacy(reg)
}

// servesLegacy reports whether any torrent in reg may be carried without
// TLS: only then does the port answer MSE or plaintext BitTorrent at all.
func (t *Transport) servesLegacy(reg transport.Registry) bool {
	for _, tor := range reg.Torrents() {
		if t.acceptsLegacy(securityOf(tor)) {
			return true
		}
	}
	return false
}

// httpMethods open a plaintext HTTP request; an MSE opening starts with one
// of them with probability about 10·2⁻³².
var httpMethods = []string{"GET ", "HEAD", "POST", "PUT ", "DELE", "OPTI", "CONN", "TRAC", "PATC", "PRI "}

// looksHTTP reports whether b (at least 4 bytes) opens an HTTP request.
func looksHTTP(b []byte) bool {
	for _, m := range httpMethods {
		if string(b[:4]) == m {
			return true
		}
	}
	return false
}
