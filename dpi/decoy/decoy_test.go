package decoy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/dpi/mimic"
	"github.com/bttls/bttls/dpi/probe"
	"github.com/bttls/bttls/protocol/decoy"
	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/tlslevel"
)

func cert(t *testing.T) tls.Certificate {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "qwertyuiop.com"},
		DNSNames: []string{"qwertyuiop.com"}, NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(-72*time.Hour + 90*24*time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

// serverConfig is the bttls responder's TLS configuration, which the
// reference web server uses too.
func serverConfig(c tls.Certificate) *tls.Config { return tlslevel.ServerConfig(tlslevel.Options{}, c) }

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })

func listen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// webServer is the reference: net/http over crypto/tls, HTTP/1.1 only
// (TLSNextProto empty, as many deployments), no timeouts.
func webServer(t *testing.T, c tls.Certificate) string {
	l := listen(t)
	srv := &http.Server{Handler: okHandler, ErrorLog: log.New(io.Discard, "", 0),
		TLSConfig:    serverConfig(c),
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){}}
	go srv.ServeTLS(l, "", "")
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// Level message of the prototype (the layout of docs/levels.md): version 1,
// type 1 (Basic), length 32, then HMAC-SHA256(key, exporter).
func proof(key []byte, cs tls.ConnectionState, role string) ([]byte, error) {
	ekm, err := cs.ExportKeyingMaterial("EXPORTER-bttls-basic-"+role, nil, 32)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write(ekm)
	return append([]byte{1, 1, 0, 32}, m.Sum(nil)...), nil
}

// responder is a bttls-like listener built as docs/dpi.md recommends: it
// serves bttls peers that prove the key and hands everything else to the
// decoy web server.
func responder(t *testing.T, c tls.Certificate, key []byte) string {
	l := listen(t)
	dec := decoy.New(serverConfig(c), decoy.Options{Handler: okHandler})
	t.Cleanup(dec.Close)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				start := time.Now()
				class, rc, err := demux.Peek(conn)
				if err != nil {
					conn.Close()
					return
				}
				if class != demux.TLS { // MSE and plaintext refused on this port
					dec.ServeRaw(rc, nil, start)
					return
				}
				tc := tls.Server(rc, serverConfig(c))
				if err := tc.Handshake(); err != nil {
					conn.Close()
					return
				}
				shook := time.Now()
				cs := tc.ConnectionState()
				if cs.Version != tls.VersionTLS13 {
					dec.ServeTLS(tc, nil, shook)
					return
				}
				want, _ := proof(key, cs, "initiator")
				got := make([]byte, len(want))
				n, err := io.ReadFull(tc, got[:4])
				if err != nil || got[0] != 1 || got[1] != 1 {
					dec.ServeTLS(tc, got[:n], shook)
					return
				}
				m, _ := io.ReadFull(tc, got[4:])
				if !hmac.Equal(got, want) {
					dec.ServeTLS(tc, got[:4+m], shook)
					return
				}
				reply, _ := proof(key, cs, "responder")
				tc.Write(reply)
				io.Copy(tc, tc) // echo: the "peer wire" of the prototype
			}()
		}
	}()
	return l.Addr().String()
}

// TestDPIDecoyServesPeers: a peer with the key still gets through.
func TestDPIDecoyServesPeers(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	addr := responder(t, cert(t), key)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	tc := tls.Client(c, mimic.GoHTTPClient(&tls.Config{InsecureSkipVerify: true}))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	cs := tc.ConnectionState()
	if err := mimic.RequireTLS13(cs.Version); err != nil {
		t.Fatal(err)
	}
	p, _ := proof(key, cs, "initiator")
	tc.Write(append(p, "hello"...))
	want, _ := proof(key, cs, "responder")
	got := make([]byte, len(want)+5)
	if _, err := io.ReadFull(tc, got); err != nil || string(got[:len(want)]) != string(want) || string(got[len(want):]) != "hello" {
		t.Fatalf("peer exchange failed: %v %q", err, got)
	}
	// A wrong key gets a web server.
	c2, _ := net.Dial("tcp", addr)
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(5 * time.Second))
	tc2 := tls.Client(c2, mimic.GoHTTPClient(&tls.Config{InsecureSkipVerify: true}))
	tc2.Handshake()
	bad, _ := proof([]byte("wrong key"), tc2.ConnectionState(), "initiator")
	tc2.Write(append(bad, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"...))
	buf := make([]byte, 64)
	n, _ := tc2.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 400 Bad Request") {
		t.Errorf("wrong proof answered %q, want net/http's 400", buf[:n])
	}
}

// TestDPIDecoyIndistinguishable: the active prober of dpi/probe cannot
// tell the recommended responder from an ordinary HTTPS server.
func TestDPIDecoyIndistinguishable(t *testing.T) {
	c := cert(t)
	web := webServer(t, c)
	bt := responder(t, c, []byte("0123456789abcdef0123456789abcdef"))
	hello := recordHello(t)
	probes := probe.Probes(hello)
	wait := 3 * time.Second
	if testing.Short() {
		wait = 1500 * time.Millisecond
	}
	var rw, rb []probe.Result
	var ew, eb error
	done := make(chan bool)
	go func() { rw, ew = probe.Run(web, probes, 3, wait); done <- true }()
	rb, eb = probe.Run(bt, probes, 3, wait)
	<-done
	if ew != nil || eb != nil {
		t.Fatal(ew, eb)
	}
	for _, d := range probe.Compare(probes, rw, rb) {
		t.Errorf("prober tells the decoy responder apart: %v", d)
	}
}

// recordHello is the ClientHello of a bttls-configured client.
func recordHello(t *testing.T) []byte {
	l := listen(t)
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		got <- buf[:n]
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	go tls.Client(c, mimic.GoHTTPClient(&tls.Config{InsecureSkipVerify: true})).Handshake()
	return <-got
}
