package tracker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// Server limits. They bound what one connection can cost the tracker.
const (
	// MaxHeaderBytes bounds a request line plus headers.
	MaxHeaderBytes = 8 << 10
	// MaxBodyBytes bounds a request body (announce and scrape have none;
	// mounted handlers, such as certificate issuance, may take a small one).
	MaxBodyBytes = 64 << 10
	// MaxResponseBytes bounds what a handler may write.
	MaxResponseBytes = 1 << 20
	// DefaultMaxConns bounds concurrent connections; more are closed at once.
	DefaultMaxConns = 512
	// maxRequestsPerConn closes a keep-alive connection after this many.
	maxRequestsPerConn = 1000
)

// Server is a small HTTP/1.1 server over an env.Env listener: an accept
// loop and one env.Go task per connection, requests parsed with
// http.ReadRequest under deadlines and size limits, and handlers run
// synchronously with a buffered ResponseWriter. It exists because
// net/http.Server starts goroutines and timers of its own, which the
// simulator cannot schedule.
type Server struct {
	e   env.Env
	mux *http.ServeMux

	// ReadTimeout bounds reading one request once its first byte arrived;
	// IdleTimeout bounds the wait for the next request on a kept-alive
	// connection; WriteTimeout bounds writing a response.
	ReadTimeout, IdleTimeout, WriteTimeout time.Duration
	// MaxConns bounds concurrent connections.
	MaxConns int
	// Logf, if set, receives connection-level errors.
	Logf func(format string, args ...any)

	mu        sync.Mutex
	closed    bool
	listeners []net.Listener
	conns     map[net.Conn]struct{}
}

// NewServer returns a server with t's announce and scrape handlers mounted
// at /announce and /scrape (t may be nil for a server with other handlers only).
func NewServer(e env.Env, t *Tracker) *Server {
	s := &Server{
		e:            e,
		mux:          http.NewServeMux(),
		ReadTimeout:  10 * time.Second,
		IdleTimeout:  60 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxConns:     DefaultMaxConns,
		conns:        make(map[net.Conn]struct{}),
	}
	if t != nil {
		s.Handle("GET /announce", http.HandlerFunc(t.ServeAnnounce))
		s.Handle("GET /scrape", http.HandlerFunc(t.ServeScrape))
	}
	return s
}

// Handle mounts h at pattern (net/http.ServeMux syntax, e.g. "POST /cert").
// Handlers run on the connection's task: they must follow the env contract
// and write at most MaxResponseBytes.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Serve accepts connections on l until l is closed or Close is called;
// then it returns nil. Other accept errors are returned.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return nil
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("tracker: accept: %w", err)
		}
		if !s.track(c) {
			c.Close()
			continue
		}
		s.e.Go("tracker-http-conn", func() {
			defer s.untrack(c)
			s.serveConn(c)
		})
	}
}

// Close stops every Serve loop and closes every open connection.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	ls, cs := s.listeners, make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.listeners = nil
	s.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	for _, c := range cs {
		c.Close()
	}
	return nil
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.conns) >= s.MaxConns {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// errTooLarge is returned by limitReader when a request outgrows its limit.
var errTooLarge = errors.New("tracker: request too large")

// limitReader fails with errTooLarge after n bytes; the server resets n for
// each request's header and body.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func (s *Server) serveConn(c net.Conn) {
	lr := &limitReader{r: c}
	br := bufio.NewReaderSize(lr, 4096)
	for n := 0; n < maxRequestsPerConn; n++ {
		lr.n = MaxHeaderBytes
		timeout := s.IdleTimeout
		if n == 0 {
			timeout = s.ReadTimeout
		}
		_ = c.SetReadDeadline(s.e.Now().Add(timeout))
		if _, err := br.Peek(1); err != nil {
			return // closed by the client, or idle too long
		}
		_ = c.SetReadDeadline(s.e.Now().Add(s.ReadTimeout))
		req, err := http.ReadRequest(br)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, errTooLarge) {
				status = http.StatusRequestHeaderFieldsTooLarge
			}
			var ne net.Error
			if !errors.As(err, &ne) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				s.writeError(c, status, fmt.Sprintf("tracker: bad HTTP request: %v", err))
			}
			return
		}
		if !s.serveRequest(c, br, lr, req, n == maxRequestsPerConn-1) {
			return
		}
	}
}

// serveRequest runs one request and reports whether the connection stays open.
func (s *Server) serveRequest(c net.Conn, br *bufio.Reader, lr *limitReader, req *http.Request, last bool) bool {
	if req.ContentLength > MaxBodyBytes {
		s.writeError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("tracker: body of %d bytes, limit %d", req.ContentLength, MaxBodyBytes))
		return false
	}
	lr.n = MaxBodyBytes
	if req.Header.Get("Expect") == "100-continue" {
		_ = c.SetWriteDeadline(s.e.Now().Add(s.WriteTimeout))
		if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return false
		}
	}
	req.RemoteAddr = c.RemoteAddr().String()
	w := &bufferedResponse{header: make(http.Header)}
	s.runHandler(w, req)
	// The next request starts after this one's body: read what the handler left.
	_, drainErr := io.Copy(io.Discard, req.Body)
	keepAlive := !req.Close && !last && drainErr == nil && !w.overflow
	if w.overflow {
		w = &bufferedResponse{header: make(http.Header)}
		http.Error(w, fmt.Sprintf("tracker: response exceeds %d bytes", MaxResponseBytes), http.StatusInternalServerError)
	}
	_ = c.SetWriteDeadline(s.e.Now().Add(s.WriteTimeout))
	if err := w.writeTo(c, req, keepAlive, s.e.Now()); err != nil {
		return false
	}
	return keepAlive
}

// runHandler calls the mux, turning a handler panic into a 500 so that one
// bad request cannot take the tracker down.
func (s *Server) runHandler(w *bufferedResponse, req *http.Request) {
	defer func() {
		if r := recover(); r != nil {
			s.logf("tracker: handler for %s panicked: %v", req.URL.Path, r)
			*w = bufferedResponse{header: make(http.Header)}
			http.Error(w, "tracker: internal error", http.StatusInternalServerError)
		}
	}()
	s.mux.ServeHTTP(w, req)
}

func (s *Server) writeError(c net.Conn, status int, msg string) {
	w := &bufferedResponse{header: make(http.Header)}
	http.Error(w, msg, status)
	_ = c.SetWriteDeadline(s.e.Now().Add(s.WriteTimeout))
	_ = w.writeTo(c, nil, false, s.e.Now())
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// bufferedResponse is the ResponseWriter handlers get: the whole response is
// buffered (bounded by MaxResponseBytes) and sent with a Content-Length.
type bufferedResponse struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	overflow bool
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.body.Len()+len(p) > MaxResponseBytes {
		w.overflow = true
		return 0, fmt.Errorf("tracker: response exceeds %d bytes", MaxResponseBytes)
	}
	return w.body.Write(p)
}

// writeTo sends the response; req is nil for errors before a request was parsed.
func (w *bufferedResponse) writeTo(c io.Writer, req *http.Request, keepAlive bool, now time.Time) error {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	h := w.header
	h.Set("Content-Length", strconv.Itoa(w.body.Len()))
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	switch {
	case !keepAlive:
		h.Set("Connection", "close")
	case req != nil && req.ProtoMajor == 1 && req.ProtoMinor == 0:
		h.Set("Connection", "keep-alive") // HTTP/1.0 closes by default
	}
	bw := bufio.NewWriterSize(c, 4096)
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	if err := h.Write(bw); err != nil {
		return err
	}
	bw.WriteString("\r\n")
	if req == nil || req.Method != http.MethodHead {
		bw.Write(w.body.Bytes())
	}
	return bw.Flush()
}
