package pairs

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

// The issuer's client and server speak HTTP. net/http's Transport and
// Server start goroutines of their own, which a simulated run cannot
// schedule, so these two carry one request per connection inside the
// calling task instead: the same request and response bytes, read and
// written with net/http's own ReadRequest, Request.Write and ReadResponse.

// envTransport is an http.RoundTripper that dials through an env.Env.
type envTransport struct {
	e       env.Env
	timeout time.Duration
}

func (t envTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, err := t.e.Dial("tcp", req.URL.Host, t.timeout)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(t.e.Now().Add(t.timeout))
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

type closeBoth struct {
	io.ReadCloser
	c net.Conn
}

func (b closeBoth) Close() error {
	b.ReadCloser.Close()
	return b.c.Close()
}

// serveHTTP answers one request per connection accepted on l with h, each
// connection in a task of its own.
func serveHTTP(e env.Env, l net.Listener, h http.Handler) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		e.Go("http", func() {
			defer c.Close()
			c.SetDeadline(e.Now().Add(30 * time.Second))
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

// response is the http.ResponseWriter of serveHTTP.
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
