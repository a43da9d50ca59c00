package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	utls "github.com/refraction-networking/utls"

	"github.com/bttls/bttls/dpi/mimic"
)

// HTTPSServer is the reference "generic TLS server": an ordinary Go HTTPS
// server (crypto/tls + net/http, ALPN h2 and http/1.1, a self-signed ECDSA
// certificate), answering 200 "ok" on every path.
type HTTPSServer struct {
	Addr string
	srv  *http.Server
}

// StartHTTPSServer listens on 127.0.0.1:port (0 picks one).
func StartHTTPSServer(port int) (*HTTPSServer, error) {
	cert, err := selfSignedCert("www.example.com")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		// net/http's defaults: no read timeout. A prober measures this.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go srv.ServeTLS(l, "", "")
	return &HTTPSServer{Addr: l.Addr().String(), srv: srv}, nil
}

// Close stops the server.
func (s *HTTPSServer) Close() { s.srv.Close() }

func selfSignedCert(host string) (tls.Certificate, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: randSerial(), Subject: pkix.Name{CommonName: host},
		DNSNames: []string{host}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, nil
}

// TLSClient is one client whose ClientHello the harness fingerprints.
type TLSClient struct {
	Name string
	// Fetch makes one HTTPS request (or at least one TLS handshake) to
	// 127.0.0.1:port; sni is the host name to send, "" for none.
	Fetch func(port int, sni string) error
}

// CurlClient runs the curl binary (OpenSSL, as Debian builds it).
func CurlClient() TLSClient {
	return TLSClient{Name: "curl", Fetch: func(port int, sni string) error {
		if _, err := LookTool("curl"); err != nil {
			return err
		}
		url := fmt.Sprintf("https://127.0.0.1:%d/", port)
		args := []string{"-sk", "--max-time", "5", "-o", "/dev/null"}
		if sni != "" {
			url = fmt.Sprintf("https://%s:%d/", sni, port)
			args = append(args, "--resolve", fmt.Sprintf("%s:%d:127.0.0.1", sni, port))
		}
		out, err := exec.Command("curl", append(args, url)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("harness: curl: %v %s", err, out)
		}
		return nil
	}}
}

// GoHTTPClientFetch is net/http's default Transport (only verification off).
func GoHTTPClientFetch() TLSClient {
	return TLSClient{Name: "Go net/http", Fetch: func(port int, sni string) error {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, ServerName: sni}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(fmt.Sprintf("https://127.0.0.1:%d/", port))
		if err != nil {
			return fmt.Errorf("harness: Go net/http: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}}
}

// ConfigClient handshakes with crypto/tls and the given config (ServerName
// set from sni), then closes: e.g. bttls's tlslevel.ClientConfig or
// mimic.GoHTTPClient.
func ConfigClient(name string, cfg func() *tls.Config) TLSClient {
	return TLSClient{Name: name, Fetch: func(port int, sni string) error {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		conf := cfg()
		conf.ServerName = sni
		tc := tls.Client(c, conf)
		if err := tc.HandshakeContext(context.Background()); err != nil {
			return fmt.Errorf("harness: %s: %w", name, err)
		}
		return tc.Close()
	}}
}

// UTLSChromeClient handshakes with uTLS parroting Chrome (dpi/mimic).
func UTLSChromeClient() TLSClient {
	return TLSClient{Name: "uTLS Chrome", Fetch: func(port int, sni string) error {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		u := mimic.ChromeClient(c, &utls.Config{InsecureSkipVerify: true, ServerName: sni})
		if err := u.Handshake(); err != nil {
			return fmt.Errorf("harness: uTLS Chrome: %w", err)
		}
		return u.Close()
	}}
}

// ChromiumClient loads the page with headless Chromium (Debian's
// `chromium`), if installed. Chromium opens more than one connection per
// page; the caller captures it alone and reads the first ClientHello.
func ChromiumClient(profile string) TLSClient {
	return TLSClient{Name: "Chromium", Fetch: func(port int, sni string) error {
		if _, err := LookTool("chromium"); err != nil {
			return err
		}
		host := "127.0.0.1"
		args := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors",
			"--no-first-run", "--user-data-dir=" + profile, "--dump-dom"}
		if sni != "" {
			host = sni
			args = append(args, "--host-resolver-rules=MAP "+sni+" 127.0.0.1")
		}
		out, err := runTimeout(30*time.Second, "chromium", append(args, fmt.Sprintf("https://%s:%d/", host, port))...)
		if err != nil || !strings.Contains(string(out), "ok") {
			return fmt.Errorf("harness: chromium: %v %s", err, lastLines(out, 3))
		}
		return nil
	}}
}
