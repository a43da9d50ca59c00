// Package decoy answers anyone who connects to a bttls port and is not a
// bttls peer exactly as an ordinary Go HTTPS server would, so that an
// active prober without the infohash cannot tell the port from a web
// server (docs/levels.md, "Probes and the decoy"; measured by dpi/probe).
//
// protocol/levels hands over every connection it will not serve:
//
//   - ServeRaw: a stream that is not a TLS ClientHello (random bytes, a
//     plaintext HTTP request, a BEP 3 handshake on a port that serves no
//     legacy torrent), with the bytes already read. They are replayed into
//     a real crypto/tls + net/http server, which reacts as it always does
//     (closes, or answers "HTTP/1.0 400 Bad Request" to plaintext HTTP).
//   - ServeTLS: a TLS connection that negotiated TLS 1.2, or whose first
//     application data is not a valid level message or proof, with the
//     bytes already read. They are replayed into net/http's HTTP/1.1
//     server.
//
// The decoy is real net/http, with goroutines and the wall clock: the real
// peer uses it, the simulator does not (its transports have no decoy).
package decoy

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultTimeout is the web server's ReadHeaderTimeout and IdleTimeout:
// how long it waits for a TLS handshake, for a request's header and, on a
// kept-alive connection, for the next request. A bounded wait keeps what
// probers can hold bounded; a minute is within what web servers use
// (nginx: 60 s for the header, 75 s idle).
const DefaultTimeout = time.Minute

// Options configures the web server.
type Options struct {
	// Handler serves every request; nil answers 404 to every path, as an
	// empty net/http mux does.
	Handler http.Handler
	// Timeout replaces DefaultTimeout.
	Timeout time.Duration
}

// Server is a web server that serves connections handed to it.
type Server struct {
	raw, inTLS *listener
	rawSrv     *http.Server
	tlsSrv     *http.Server
	timeout    time.Duration
}

// New starts the web server. cfg is the TLS configuration it presents to
// raw streams; pass the bttls responder's own (tlslevel.ServerConfig), so
// both paths show the same certificate, versions and ALPN.
func New(cfg *tls.Config, o Options) *Server {
	if o.Handler == nil {
		o.Handler = http.NewServeMux()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	quiet := log.New(io.Discard, "", 0)
	s := &Server{raw: newListener(), inTLS: newListener(), timeout: o.Timeout}
	srv := func() *http.Server {
		return &http.Server{Handler: o.Handler, ErrorLog: quiet,
			ReadHeaderTimeout: o.Timeout, IdleTimeout: o.Timeout,
			// HTTP/1.1 only, like the responder's ALPN.
			TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	}
	s.rawSrv, s.tlsSrv = srv(), srv()
	s.rawSrv.TLSConfig = cfg.Clone()
	go s.rawSrv.ServeTLS(s.raw, "", "")
	go s.tlsSrv.Serve(s.inTLS)
	return s
}

// Timeout is the web server's wait for a handshake or a request: the
// responder must not hang up on a silent connection any sooner.
func (s *Server) Timeout() time.Duration { return s.timeout }

// ServeRaw serves a raw TCP stream of which read was already consumed, and
// returns when the web server has closed it. since is when the stream was
// accepted: the web server's handshake timeout runs from then.
func (s *Server) ServeRaw(c net.Conn, read []byte, since time.Time) {
	s.serve(s.raw, c, read, since)
}

// ServeTLS serves an established TLS connection of whose application data
// read was already consumed, and returns when the web server has closed it.
// since is when the TLS handshake ended: the web server's wait for the
// first request runs from then.
func (s *Server) ServeTLS(c *tls.Conn, read []byte, since time.Time) {
	s.serve(s.inTLS, c, read, since)
}

func (s *Server) serve(l *listener, c net.Conn, read []byte, since time.Time) {
	// The responder's deadlines are the web server's to set now.
	c.SetDeadline(time.Time{})
	p := &prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(append([]byte(nil), read...)), c), done: make(chan struct{})}
	if !since.IsZero() {
		p.notAfter = since.Add(s.timeout)
	}
	l.push(p)
	<-p.done
}

// Close stops the web server and the connections it serves.
func (s *Server) Close() {
	s.raw.Close()
	s.inTLS.Close()
	s.rawSrv.Close()
	s.tlsSrv.Close()
}

// prefixConn replays bytes already read before reading from the conn, and
// says when it is closed.
type prefixConn struct {
	net.Conn
	r    io.Reader
	once sync.Once
	done chan struct{}

	mu sync.Mutex
	// notAfter clamps the web server's first read deadline (its TLS
	// handshake or first request header timeout) to when it would have
	// expired had the web server accepted the connection itself; zero: no
	// clamp. net/http clears the deadline once that wait is over, and so
	// the clamp.
	notAfter time.Time
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

func (p *prefixConn) SetReadDeadline(t time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.notAfter.IsZero() {
		if t.IsZero() {
			p.notAfter = time.Time{}
		} else if t.After(p.notAfter) {
			t = p.notAfter
		}
	}
	return p.Conn.SetReadDeadline(t)
}

// CloseWrite lets net/http half-close before closing, as it does on a
// *tls.Conn or *net.TCPConn of its own.
func (p *prefixConn) CloseWrite() error {
	if cw, ok := p.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close discards the input already received before closing. A server that
// closes with unread bytes in its receive buffer makes the kernel send RST
// instead of FIN; crypto/tls reading a socket directly has consumed them in
// one large read, so a web server closes with FIN, and so must we.
func (p *prefixConn) Close() error {
	Discard(p.Conn)
	err := p.Conn.Close()
	p.once.Do(func() { close(p.done) })
	return err
}

// Discard reads and drops what c has already received, so that closing c
// afterwards sends FIN rather than RST. It waits at most discardWait for
// more: the window must outlast a busy scheduler, because a read whose
// deadline has already passed returns at once without draining anything.
func Discard(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(discardWait))
	io.Copy(io.Discard, c)
}

// discardWait bounds how long Discard delays a close (a web server's close
// after a bad request is not timed closer than this by a prober: the probe
// tests compare close times within max(1 s, 25 %)).
const discardWait = 50 * time.Millisecond

// listener is a net.Listener fed by push, so http.Server can serve
// connections accepted elsewhere.
type listener struct {
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func newListener() *listener { return &listener{ch: make(chan net.Conn), done: make(chan struct{})} }

func (l *listener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *listener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
