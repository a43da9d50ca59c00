// Package decoy makes a bttls listener answer anyone who is not a bttls
// peer exactly as an ordinary Go HTTPS server would, so that an active
// prober without the infohash cannot tell the port from a web server
// (docs/dpi.md, "Active probing"). It is a prototype for protocol/levels,
// measured by dpi/probe against a real net/http server.
//
// A listener hands over every connection it will not serve:
//
//   - ServeRaw: a stream that is not a TLS ClientHello (random bytes, a
//     plaintext HTTP request, a BEP 3 handshake on a TLS-only port), with
//     the bytes already read. They are replayed into a real crypto/tls +
//     net/http server, which reacts as it always does (closes, or answers
//     "HTTP/1.0 400 Bad Request" to plaintext HTTP).
//   - ServeTLS: a TLS connection whose handshake succeeded but whose first
//     application bytes are not a bttls level message (or whose proof
//     failed, or which negotiated TLS 1.2), with the bytes already read.
//     They are replayed into net/http's HTTP/1.1 server.
//
// The listener must then select ALPN "http/1.1" (not h2: a Go h2 server
// sends SETTINGS before the client speaks, which a bttls responder waiting
// for the level message cannot do), accept TLS 1.2 handshakes like a web
// server, and have no handshake timeout shorter than the web server's.
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

// Server is a web server that serves connections handed to it.
type Server struct {
	raw, inTLS *listener
	rawSrv     *http.Server
	tlsSrv     *http.Server
}

// New starts the decoy web server. cert is the certificate to present to
// raw streams (use the bttls throwaway certificate, so the two paths show
// the same one); handler serves every request (nil: 404 for every path,
// as an empty net/http mux does).
func New(cert tls.Certificate, handler http.Handler) *Server {
	if handler == nil {
		handler = http.NewServeMux()
	}
	quiet := log.New(io.Discard, "", 0)
	s := &Server{raw: newListener(), inTLS: newListener()}
	s.rawSrv = &http.Server{Handler: handler, ErrorLog: quiet,
		TLSConfig: HTTPServerTLSConfig(cert),
		// HTTP/1.1 only, like the bttls responder's ALPN.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	s.tlsSrv = &http.Server{Handler: handler, ErrorLog: quiet}
	go s.rawSrv.ServeTLS(s.raw, "", "")
	go s.tlsSrv.Serve(s.inTLS)
	return s
}

// HTTPServerTLSConfig is the server TLS configuration a bttls responder
// should use too: Go's default versions (TLS 1.2 and 1.3) and ALPN
// http/1.1 only.
func HTTPServerTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
}

// ServeRaw serves a raw TCP stream of which read was already consumed.
func (s *Server) ServeRaw(c net.Conn, read []byte) {
	s.raw.push(&prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(append([]byte(nil), read...)), c)})
}

// ServeTLS serves an established TLS connection of whose application data
// read was already consumed.
func (s *Server) ServeTLS(c *tls.Conn, read []byte) { s.inTLS.push(prefixed(c, read)) }

// Close stops the decoy server and the connections it serves.
func (s *Server) Close() {
	s.rawSrv.Close()
	s.tlsSrv.Close()
}

// prefixConn replays bytes already read before reading from the conn.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }

// Close discards the input already received before closing. A server that
// closes with unread bytes in its receive buffer makes the kernel send RST
// instead of FIN; crypto/tls reading a socket directly has consumed them in
// one large read, so a web server closes with FIN, and so must we.
func (p *prefixConn) Close() error {
	p.Conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	io.Copy(io.Discard, p.Conn)
	return p.Conn.Close()
}

func prefixed(c net.Conn, read []byte) net.Conn {
	if len(read) == 0 {
		return c
	}
	return &prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(append([]byte(nil), read...)), c)}
}

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
