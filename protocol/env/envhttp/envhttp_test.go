package envhttp

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// TestRoundTrip: a request through Transport reaches a handler served by
// Serve, over real TCP, with its body, status and headers both ways.
func TestRoundTrip(t *testing.T) {
	e := env.OS{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go Serve(e, l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("got " + string(b)))
	}), 5*time.Second)
	client := &http.Client{Transport: Transport{e, 5 * time.Second}}
	resp, err := client.Post("http://"+l.Addr().String()+"/issue", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || string(body) != "got hello" || resp.Header.Get("X-Seen") != "POST /issue" {
		t.Fatalf("status %d, body %q, X-Seen %q", resp.StatusCode, body, resp.Header.Get("X-Seen"))
	}
}

// TestRoundTripErrors: a refused dial and a server that closes without a
// response give errors, not hangs.
func TestRoundTripErrors(t *testing.T) {
	e := env.OS{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	client := &http.Client{Transport: Transport{e, 2 * time.Second}}
	if _, err := client.Get("http://" + addr + "/"); err == nil {
		t.Fatal("a server that closed at once gave a response")
	}
	l.Close()
	if _, err := client.Get("http://" + addr + "/"); err == nil {
		t.Fatal("a dial to a closed port succeeded")
	}
}
