package mimic

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	utls "github.com/refraction-networking/utls"

	"github.com/bttls/bttls/dpi/fingerprint"
)

// recordConn keeps what a client writes and fails its reads, so a
// handshake stops right after the ClientHello.
type recordConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *recordConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(b)
}
func (c *recordConn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (c *recordConn) Close() error                     { return nil }
func (c *recordConn) SetDeadline(time.Time) error      { return nil }
func (c *recordConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recordConn) SetWriteDeadline(time.Time) error { return nil }
func (c *recordConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *recordConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }

func parse(t *testing.T, raw []byte) *fingerprint.ClientHello {
	t.Helper()
	h, err := fingerprint.ParseStream(raw)
	if err != nil {
		t.Fatalf("ClientHello: %v", err)
	}
	return h
}

// netHTTPHello is the ClientHello net/http's default Transport really sends
// for https://127.0.0.1/ (its dialer is swapped for one that records).
func netHTTPHello(t *testing.T) *fingerprint.ClientHello {
	c := &recordConn{}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(context.Context, string, string) (net.Conn, error) { return c, nil }
	(&http.Client{Transport: tr, Timeout: time.Second}).Get("https://127.0.0.1:8443/")
	return parse(t, c.buf.Bytes())
}

func TestDPIGoHTTPClientMatchesNetHTTP(t *testing.T) {
	want := netHTTPHello(t)
	// A bttls-like base: TLS 1.3 only, no ALPN, skip verification.
	base := &tls.Config{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13, InsecureSkipVerify: true}
	c := &recordConn{}
	tls.Client(c, GoHTTPClient(base)).Handshake()
	got := parse(t, c.buf.Bytes())
	if got.JA4() != want.JA4() || got.JA3() != want.JA3() {
		t.Errorf("GoHTTPClient JA4 %s JA3 %s\nnet/http   JA4 %s JA3 %s\n%s\n%s",
			got.JA4(), got.JA3(), want.JA4(), want.JA3(), got.JA4R(), want.JA4R())
	}
	c = &recordConn{}
	tls.Client(c, base).Handshake()
	if plain := parse(t, c.buf.Bytes()); plain.JA4() == want.JA4() {
		t.Errorf("a TLS 1.3-only config already matched net/http: the test cannot tell configs apart")
	}
}

// Chrome's cipher list hashes to 8daaf6152771 in JA4_b (the FoxIO example
// and every Chrome since 110); the ALPN is h2.
func TestDPIChromeClientLooksLikeChrome(t *testing.T) {
	c := &recordConn{}
	ChromeClient(c, &utls.Config{InsecureSkipVerify: true}).Handshake()
	h := parse(t, c.buf.Bytes())
	ja4 := h.JA4()
	if ja4[:4] != "t13i" || ja4[8:10] != "h2" || ja4[11:23] != "8daaf6152771" {
		t.Errorf("uTLS Chrome JA4 %s (%s), want t13i....h2_8daaf6152771_...", ja4, h.JA4R())
	}
	greased := false
	for _, e := range h.Extensions {
		greased = greased || fingerprint.IsGREASE(e.Type)
	}
	if !greased {
		t.Errorf("uTLS Chrome ClientHello has no GREASE extension")
	}
}

// tcpPair returns both ends of a loopback TCP connection (buffered, unlike
// net.Pipe, so a TLS flight never blocks on the peer reading it), with a
// deadline so a failed handshake cannot hang the test.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	dl := time.Now().Add(10 * time.Second)
	a.SetDeadline(dl)
	b.SetDeadline(dl)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func selfSigned(t testing.TB) tls.Certificate {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "x.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// Both mimicking clients complete a TLS 1.3 handshake with a crypto/tls
// server and agree with it on an exporter value: the bttls level proof
// works unchanged over them.
func TestDPIMimicHandshakeAndExporter(t *testing.T) {
	srvCfg := GoHTTPServer(&tls.Config{Certificates: []tls.Certificate{selfSigned(t)}})
	for _, name := range []string{"gohttp", "chrome"} {
		a, b := tcpPair(t)
		srvEKM := make(chan []byte, 1)
		go func() {
			s := tls.Server(b, srvCfg)
			if err := s.Handshake(); err != nil {
				t.Logf("%s: server handshake: %v", name, err)
				srvEKM <- nil
				return
			}
			cs := s.ConnectionState()
			k, _ := cs.ExportKeyingMaterial("EXPORTER-bttls test", nil, 32)
			srvEKM <- k
		}()
		var version uint16
		var alpn string
		var ekm []byte
		switch name {
		case "gohttp":
			c := tls.Client(a, GoHTTPClient(&tls.Config{InsecureSkipVerify: true}))
			if err := c.Handshake(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			cs := c.ConnectionState()
			version, alpn = cs.Version, cs.NegotiatedProtocol
			ekm, _ = cs.ExportKeyingMaterial("EXPORTER-bttls test", nil, 32)
		case "chrome":
			c := ChromeClient(a, &utls.Config{InsecureSkipVerify: true})
			if err := c.Handshake(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			cs := c.ConnectionState()
			version, alpn = cs.Version, cs.NegotiatedProtocol
			var err error
			ekm, err = c.ExportKeyingMaterial("EXPORTER-bttls test", nil, 32)
			if err != nil {
				t.Logf("uTLS exporter: %v", err)
			}
		}
		if err := RequireTLS13(version); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if alpn != "h2" {
			t.Errorf("%s: ALPN %q, want h2 (what a web server picks)", name, alpn)
		}
		if s := <-srvEKM; s == nil || !bytes.Equal(s, ekm) {
			t.Errorf("%s: exporter values differ: server %x, client %x", name, s, ekm)
		}
		a.Close()
	}
}

func TestDPIRequireTLS13(t *testing.T) {
	if err := RequireTLS13(tls.VersionTLS12); err == nil {
		t.Error("TLS 1.2 accepted")
	}
	if err := RequireTLS13(tls.VersionTLS13); err != nil {
		t.Error(err)
	}
}

// handshakes runs n full handshakes (client and server on one pipe) and
// returns the mean wall time of one, and the ClientHello size.
func benchHandshake(b *testing.B, chrome bool) {
	srvCfg := GoHTTPServer(&tls.Config{Certificates: []tls.Certificate{selfSigned(b)}})
	for i := 0; i < b.N; i++ {
		x, y := tcpPair(b)
		done := make(chan struct{})
		go func() { tls.Server(y, srvCfg).Handshake(); close(done) }()
		var err error
		if chrome {
			err = ChromeClient(x, &utls.Config{InsecureSkipVerify: true}).Handshake()
		} else {
			err = tls.Client(x, GoHTTPClient(&tls.Config{InsecureSkipVerify: true})).Handshake()
		}
		if err != nil {
			b.Fatal(err)
		}
		<-done
		x.Close()
		y.Close()
	}
}

func BenchmarkHandshakeGoHTTP(b *testing.B)     { benchHandshake(b, false) }
func BenchmarkHandshakeUTLSChrome(b *testing.B) { benchHandshake(b, true) }
