package tracker

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/anacrolix/torrent/bencode"

	"github.com/bttls/bttls/protocol/env"
)

// startServer runs a tracker on a loopback port and returns its announce URL.
func startServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	e := env.OS{}
	l, err := e.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(e, NewTracker(e, cfg))
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, "http://" + l.Addr().String() + "/announce"
}

func peerID(n byte) [20]byte {
	var id [20]byte
	copy(id[:], "-BT0001-")
	id[19] = n
	return id
}

func TestAnnounceSwarm(t *testing.T) {
	_, u := startServer(t, Config{Interval: 45 * time.Second})
	e := env.OS{}
	seed := AnnounceRequest{InfoHash: testHash, PeerID: peerID(1), Port: 7001, Left: 0, Event: EventStarted,
		Extra: url.Values{ParamSupportTLS: {"1"}}}
	r, err := Announce(e, u, seed)
	if err != nil {
		t.Fatal(err)
	}
	if r.Interval != 45*time.Second || len(r.Peers) != 0 || r.Complete != 1 || r.Incomplete != 0 {
		t.Fatalf("first announce: %+v", r)
	}
	if r.ExternalIP != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("external ip = %v, want 127.0.0.1 (BEP 24)", r.ExternalIP)
	}
	leech := AnnounceRequest{InfoHash: testHash, PeerID: peerID(2), Port: 7002, Left: 100, Event: EventStarted}
	r, err = Announce(e, u, leech)
	if err != nil {
		t.Fatal(err)
	}
	want := Peer{Addr: netip.MustParseAddrPort("127.0.0.1:7001"), TLS: true}
	if len(r.Peers) != 1 || r.Peers[0].Addr != want.Addr || !r.Peers[0].TLS || r.Complete != 1 || r.Incomplete != 1 {
		t.Fatalf("leecher got %+v, want the TLS seed %v", r, want)
	}
	// The seed learns of the leecher, flagged as not speaking TLS.
	seed.Event = EventNone
	r, err = Announce(e, u, seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Peers) != 1 || r.Peers[0].Addr.Port() != 7002 || r.Peers[0].TLS || !r.Peers[0].TLSReported {
		t.Fatalf("seed got %+v, want the leecher reported as not speaking TLS", r.Peers)
	}
	// A stopped peer leaves the swarm.
	leech.Event = EventStopped
	if _, err := Announce(e, u, leech); err != nil {
		t.Fatal(err)
	}
	r, err = Announce(e, u, seed)
	if err != nil || len(r.Peers) != 0 || r.Incomplete != 0 {
		t.Fatalf("after stop: %+v, %v", r, err)
	}
}

func TestAnnounceFailureReason(t *testing.T) {
	_, u := startServer(t, Config{})
	_, err := Announce(env.OS{}, u, AnnounceRequest{InfoHash: testHash, PeerID: peerID(1), Port: 0})
	var fe *FailureError
	if !errorsAs(err, &fe) || !strings.Contains(fe.Reason, "port=0") {
		t.Fatalf("err = %v, want a failure reason about port=0", err)
	}
}

func errorsAs(err error, fe **FailureError) bool {
	for err != nil {
		if f, ok := err.(*FailureError); ok {
			*fe = f
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestAnnounceClientErrors(t *testing.T) {
	e := env.OS{}
	// A port nobody listens on: take one and close it.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	tests := []struct{ url, want string }{
		{"udp://127.0.0.1:1/announce", `scheme "udp" not supported`},
		{"https://127.0.0.1:1/announce", `scheme "https" not supported`},
		{"http:///announce", "has no host"},
		{"::", "announce URL"},
		{"http://" + dead + "/announce", "connection refused"},
	}
	for _, tt := range tests {
		_, err := Announce(e, tt.url, AnnounceRequest{Port: 1})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "tracker: ") {
			t.Errorf("Announce(%q) = %v, want %q", tt.url, err, tt.want)
		}
	}
}

// rawGet sends one request over a new connection and returns the response.
func rawGet(t *testing.T, base, target string) (*http.Response, []byte) {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestNonCompactAndScrape(t *testing.T) {
	_, u := startServer(t, Config{})
	e := env.OS{}
	for i := byte(1); i <= 3; i++ {
		left := int64(10)
		ev := EventStarted
		if i == 1 {
			left, ev = 0, EventCompleted
		}
		if _, err := Announce(e, u, AnnounceRequest{InfoHash: testHash, PeerID: peerID(i), Port: 7000 + uint16(i), Left: left, Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	q := "/announce?" + strings.Replace(goodQuery(), "compact=1", "compact=0", 1)
	_, body := rawGet(t, u, q)
	var d struct {
		Peers []struct {
			IP     string `bencode:"ip"`
			PeerID []byte `bencode:"peer id"`
			Port   int    `bencode:"port"`
		} `bencode:"peers"`
	}
	if err := bencode.Unmarshal(body, &d); err != nil {
		t.Fatalf("non-compact body %q: %v", body, err)
	}
	if len(d.Peers) != 3 || d.Peers[0].IP != "127.0.0.1" || len(d.Peers[0].PeerID) != 20 {
		t.Fatalf("non-compact peers: %+v", d.Peers)
	}
	r, err := decodeAnnounce(body)
	if err != nil || len(r.Peers) != 3 || len(r.Peers[0].ID) != 20 {
		t.Fatalf("client decode of non-compact: %+v, %v", r, err)
	}

	_, body = rawGet(t, u, "/scrape?info_hash="+escapeBytes(testHash[:])+"&info_hash="+escapeBytes(testID[:]))
	var sc struct {
		Files map[string]scrapeEntry `bencode:"files"`
	}
	if err := bencode.Unmarshal(body, &sc); err != nil {
		t.Fatalf("scrape body %q: %v", body, err)
	}
	got := sc.Files[string(testHash[:])]
	// Peers 1-3 plus the non-compact announcer (left=100).
	if got != (scrapeEntry{Complete: 1, Downloaded: 1, Incomplete: 3}) {
		t.Errorf("scrape = %+v", got)
	}
	if unknown, ok := sc.Files[string(testID[:])]; !ok || unknown != (scrapeEntry{}) {
		t.Errorf("scrape of unknown torrent = %+v, %v", unknown, ok)
	}
}

func TestHTTPServerEdges(t *testing.T) {
	s, u := startServer(t, Config{})
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(w, r.Body)
	}))
	host := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/announce")
	exchange := func(raw string) string {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, raw)
		b, _ := io.ReadAll(c)
		return string(b)
	}
	tests := []struct{ name, raw, want string }{
		{"keep-alive serves two requests", "GET /scrape HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "d5:filesdeeHTTP/1.1 404"},
		{"garbage", "HELLO\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"header too large", "GET /scrape HTTP/1.1\r\nX: " + strings.Repeat("a", MaxHeaderBytes) + "\r\n\r\n", "HTTP/1.1 431"},
		{"body too large", fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", MaxBodyBytes+1), "HTTP/1.1 413"},
		{"mounted handler", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", "Content-Length: 5\r\nDate: "},
		{"method not allowed", "POST /announce HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "HTTP/1.1 405"},
		{"head has no body", "HEAD /scrape HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "Content-Length: 11\r\n"},
		{"http/1.0 closes", "GET /scrape HTTP/1.0\r\n\r\n", "Connection: close"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := exchange(tt.raw)
			if !strings.Contains(got, tt.want) {
				t.Errorf("response %q does not contain %q", got, tt.want)
			}
			if tt.name == "head has no body" && strings.HasSuffix(got, "d5:filesdee") {
				t.Errorf("HEAD response has a body: %q", got)
			}
		})
	}
}

func TestServerConnLimitAndClose(t *testing.T) {
	s, u := startServer(t, Config{})
	host := strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/announce")
	s.mu.Lock()
	s.MaxConns = 1
	s.mu.Unlock()
	idle, err := net.Dial("tcp", host) // holds the only slot
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(50 * time.Millisecond)
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("second conn over the limit was served: %d, %v", n, err)
	}
	c.Close()
	s.Close()
	idle.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil {
		t.Fatal("Close left an open connection")
	}
}
