// Package envhttp speaks HTTP/1.1 over an env.Env: a client transport and
// a server, each carrying one request per connection inside the calling
// task. net/http's own Transport and Server start goroutines of their
// own, which a simulated run cannot schedule; these read and write the
// same bytes with net/http's Request.Write, ReadResponse and ReadRequest.
package envhttp

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// Transport is an http.RoundTripper that dials through Env, one
// connection per request, with Timeout for the dial and the exchange.
type Transport struct {
	Env     env.Env
	Timeout time.Duration
}

// RoundTrip sends req and reads its response; closing the response body
// closes the connection.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, err := t.Env.Dial("tcp", req.URL.Host, t.Timeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(t.Env.Now().Add(t.Timeout))
	req.Close = true
	if err := req.Write(c); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		c.Close()
		return nil, err
	}
	resp.Body = closeBoth{resp.Body, c}
	return resp, nil
}

// closeBoth closes a response body and its connection.
type closeBoth struct {
	io.ReadCloser
	c net.Conn
}

func (b closeBoth) Close() error {
	b.ReadCloser.Close()
	return b.c.Close()
}

// Serve answers one request per connection accepted on l with h, each
// connection in a task of its own, until l fails. A request must arrive
// within timeout of the connection.
func Serve(e env.Env, l net.Listener, h http.Handler, timeout time.Duration) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		e.Go("http", func() {
			defer c.Close()
			c.SetDeadline(e.Now().Add(timeout))
			req, err := http.ReadRequest(bufio.NewReader(c))
			if err != nil {
				return
			}
			req.RemoteAddr = c.RemoteAddr().String()
			w := &response{header: http.Header{}, status: http.StatusOK}
			h.ServeHTTP(w, req)
			var out bytes.Buffer
			fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
			w.header.Set("Content-Length", strconv.Itoa(w.body.Len()))
			w.header.Set("Connection", "close")
			w.header.Write(&out)
			out.WriteString("\r\n")
			out.Write(w.body.Bytes())
			c.Write(out.Bytes())
		})
	}
}

// response is the http.ResponseWriter of Serve.
type response struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
}

func (w *response) Write(p []byte) (int, error) {
	w.wrote = true
	return w.body.Write(p)
}
