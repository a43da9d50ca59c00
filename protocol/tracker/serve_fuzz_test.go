package tracker

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// FuzzServeConn feeds arbitrary bytes to one server connection: whatever
// arrives, the connection task must neither panic nor outlive its input.
func FuzzServeConn(f *testing.F) {
	f.Add([]byte("GET /announce?" + goodQuery() + " HTTP/1.1\r\nHost: x\r\n\r\n"))
	f.Add([]byte("GET /scrape HTTP/1.1\r\n\r\nGET /scrape HTTP/1.0\r\n\r\n"))
	f.Add([]byte("POST /announce HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"))
	e := env.OS{}
	s := NewServer(e, NewTracker(e, Config{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.serveConn(server)
			server.Close()
		}()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection task still running after its client closed; input %q", data)
		}
	})
}
