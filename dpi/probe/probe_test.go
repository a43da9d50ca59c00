package probe

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/dpi/harness"
	"github.com/bttls/bttls/protocol/tlslevel"
)

var update = flag.Bool("update", false, "rewrite results/dpi/probe.md")

func TestDPIReplyClass(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, "none"},
		{[]byte("HTTP/1.0 400 Bad Request\r\n\r\nx"), `"HTTP/1.0 400 Bad Request"`},
		{[]byte{22, 3, 3, 0, 1, 2, 20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 9, 0}, "tls-records(handshake,ccs,appdata,partial)"},
		{[]byte{21, 3, 3, 0, 2, 2, 70}, "tls-records(alert)"},
		{bytes.Repeat([]byte{0x99}, 96), "binary(65-1024B)"},
		{[]byte{0x99}, "binary(1-64B)"},
	}
	for _, tt := range tests {
		if got := replyClass(tt.in); got != tt.want {
			t.Errorf("replyClass(%x) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDPICompare(t *testing.T) {
	probes := []Probe{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	o := func(close string, ms int) Outcome {
		return Outcome{Close: close, Elapsed: time.Duration(ms) * time.Millisecond}
	}
	res := func(os ...Outcome) Result { return Result{Outcomes: os} }
	a := []Result{res(o("eof", 1), o("eof", 2), o("eof", 3)), res(o("eof", 100)), res(o("eof", 1000))}
	// c: 1 s against 3 s differs by more than max(TimingFloor, 25 % of 3 s).
	b := []Result{res(o("eof", 30), o("eof", 40), o("eof", 2)), res(o("open", 100)), res(o("eof", 3000))}
	d := Compare(probes, a, b)
	if len(d) != 2 || d[0].Probe != "b" || d[0].Timing || d[1].Probe != "c" || !d[1].Timing {
		t.Errorf("Compare = %v, want b (classes) and c (timing)", d)
	}
}

// strawman is a TLS server that is easy to tell from a web server: TLS 1.3
// only, no ALPN, and it hangs up at once on any application data.
func strawman(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cert := selfSigned(t)
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					tc.Read(make([]byte, 1))
				}
			}()
		}
	}()
	return l.Addr().String()
}

func selfSigned(t *testing.T) tls.Certificate {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkixName("strawman.example"),
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

func pkixName(cn string) pkix.Name { return pkix.Name{CommonName: cn} }

// bttlsHello is a ClientHello made with bttls's TLS client configuration.
func bttlsHello(t *testing.T) []byte {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
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
	go tls.Client(c, tlslevel.ClientConfig(tlslevel.Options{})).Handshake()
	h := <-got
	if len(h) < 100 {
		t.Fatalf("recorded ClientHello of %d bytes", len(h))
	}
	return h
}

// TestDPIProbeSelfCheck: two instances of the reference server are
// indistinguishable, and a server built to differ is told apart. Without
// this the comparison with bttls would prove nothing.
func TestDPIProbeSelfCheck(t *testing.T) {
	probes := Probes(bttlsHello(t))
	var addrs []string
	for i := 0; i < 2; i++ {
		s, err := harness.StartHTTPSServer(0)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		addrs = append(addrs, s.Addr)
	}
	addrs = append(addrs, strawman(t))
	res := make([][]Result, len(addrs))
	var wg sync.WaitGroup
	errs := make([]error, len(addrs))
	for i, a := range addrs {
		wg.Add(1)
		go func() { defer wg.Done(); res[i], errs[i] = Run(a, probes, 3, 1500*time.Millisecond) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if d := Compare(probes, res[0], res[1]); len(d) > 0 {
		t.Errorf("two identical HTTPS servers told apart: %v", d)
	}
	d := Compare(probes, res[0], res[2])
	names := map[string]bool{}
	for _, x := range d {
		names[x.Probe] = true
	}
	for _, want := range []string{"tls12-only", "tls-idle", "tls-http"} {
		if !names[want] {
			t.Errorf("probe %s did not tell the TLS 1.3-only, no-ALPN server apart (differences: %v)", want, d)
		}
	}
}

// needGo builds bttls; the DPI suite's rule: skip when something is
// missing, fail under CI=true.
func needGo(t *testing.T) string {
	bin, err := harness.BuildBttls(t.TempDir())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return bin
}

// TestDPIProbeBttls probes bttls seeders (a Basic torrent, --tls=require
// and --tls=prefer) and an ordinary Go HTTPS server with the same probes,
// all at once, and reports every difference. It asserts what must hold
// whatever the differences: nothing a bttls peer sends to a prober names
// BitTorrent or the torrent, and its certificate carries no fingerprint.
// Waiting past bttls's 15 s handshake timeout takes 17 s; -short waits 2 s.
func TestDPIProbeBttls(t *testing.T) {
	bin := needGo(t)
	b := &harness.Bttls{Bin: bin}
	wait := 17 * time.Second
	if testing.Short() {
		wait = 2 * time.Second
	}
	type target struct {
		name, addr string
		started    time.Time
		needles    []harness.Needle
	}
	var targets []target
	ref, err := harness.StartHTTPSServer(0)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	targets = append(targets, target{name: "Go HTTPS server", addr: ref.Addr})
	for _, policy := range []string{"require", "prefer"} {
		s, err := b.Prepare(t.TempDir(), "basic", 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range s.SeedFlags {
			if f == "--tls=require" {
				s.SeedFlags[i] = "--tls=" + policy
			}
		}
		port, err := harness.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		seed, err := b.StartSeed(s, port)
		if err != nil {
			t.Fatal(err)
		}
		defer seed.Stop()
		needles, err := s.Needles()
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, target{"bttls seed --tls=" + policy, fmt.Sprintf("127.0.0.1:%d", port), started, needles})
	}

	probes := Probes(bttlsHello(t))
	res := make([][]Result, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, tg := range targets {
		wg.Add(1)
		go func() { defer wg.Done(); res[i], errs[i] = Run(tg.addr, probes, 3, wait) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	var report strings.Builder
	for i, tg := range targets[1:] {
		r := res[i+1]
		for _, pr := range r {
			for _, o := range pr.Outcomes {
				if bytes.Contains(o.Reply, []byte("BitTorrent")) {
					t.Errorf("%s answered probe %s with the string BitTorrent", tg.name, pr.Probe)
				}
				if found := harness.FindNeedles(tg.needles, o.Reply); len(found) > 0 {
					t.Errorf("%s answered probe %s with the infohash (%v)", tg.name, pr.Probe, found)
				}
			}
		}
		diffs := Compare(probes, res[0], r)
		fmt.Fprintf(&report, "\n### %s vs %s: %d of %d probes tell them apart\n\n", targets[0].name, tg.name, len(diffs), len(probes))
		fmt.Fprintf(&report, "| probe | %s | %s |\n|---|---|---|\n", targets[0].name, tg.name)
		for j, p := range probes {
			mark := ""
			for _, d := range diffs {
				if d.Probe == p.Name {
					mark = " **≠**"
				}
			}
			fmt.Fprintf(&report, "| %s%s | %s (%v) | %s (%v) |\n", p.Name, mark,
				strings.Join(res[0][j].Classes(), " / "), res[0][j].Median().Round(time.Millisecond),
				strings.Join(r[j].Classes(), " / "), r[j].Median().Round(time.Millisecond))
		}
		for _, d := range diffs {
			t.Logf("%s vs %s: %v", targets[0].name, tg.name, d)
		}
	}

	// The certificate: one per process, so take one from each seeder.
	var certs []*x509.Certificate
	var started []time.Time
	for _, tg := range targets[1:] {
		c, err := PeerCertificate(tg.addr)
		if err != nil {
			t.Fatal(err)
		}
		certs, started = append(certs, c), append(started, tg.started)
		fmt.Fprintf(&report, "\nCertificate of %s: CN %q, SAN %v, serial %d bits, %s key, valid %v from %s (process started %s).\n",
			tg.name, c.Subject.CommonName, c.DNSNames, c.SerialNumber.BitLen(), c.PublicKeyAlgorithm,
			c.NotAfter.Sub(c.NotBefore), c.NotBefore.Format(time.RFC3339), tg.started.UTC().Format(time.RFC3339))
	}
	for _, issue := range CertFingerprints(certs, started) {
		t.Errorf("bttls certificate fingerprint: %s", issue)
	}
	t.Log(report.String())
	if *update && !testing.Short() {
		writeProbeReport(t, probes, wait, report.String())
	}
}

func writeProbeReport(t *testing.T, probes []Probe, wait time.Duration, body string) {
	var b strings.Builder
	fmt.Fprintf(&b, `# Active probing: bttls vs an ordinary Go HTTPS server (generated)

Regenerate: `+"`go test ./dpi/probe -run DPIProbeBttls -update`"+`. Each probe runs 3 times
against each server at once, waiting up to %v for the server to answer and
hang up. Two servers are *indistinguishable to a probe* when the sets of
outcome classes (handshake result or alert, TLS version, ALPN, what came back
— TLS record types, an HTTP status line, or a size bucket — and how the
connection ended: FIN, RST, or still open) are equal and the median times to
close differ by at most max(%v, %.0f%% of the larger). See docs/dpi.md.

Probes (none knows an infohash):

`, wait, TimingFloor, 100*TimingFraction)
	for _, p := range probes {
		fmt.Fprintf(&b, "- `%s`: %s\n", p.Name, p.Why)
	}
	b.WriteString(body)
	path := filepath.Join("..", "..", "results", "dpi", "probe.md")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDPICertFingerprints(t *testing.T) {
	now := time.Now()
	good := func(cn string, serial int64) *x509.Certificate {
		return &x509.Certificate{SerialNumber: new(big.Int).Lsh(big.NewInt(serial), 100),
			Subject: pkixName(cn), Issuer: pkixName(cn), DNSNames: []string{cn}, PublicKeyAlgorithm: x509.ECDSA,
			NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(-72*time.Hour + 90*24*time.Hour)}
	}
	if issues := CertFingerprints([]*x509.Certificate{good("a.com", 1), good("b.net", 2)}, []time.Time{now, now}); len(issues) > 0 {
		t.Errorf("good certificates flagged: %v", issues)
	}
	bad := good("bttls", 1)
	bad.SerialNumber = big.NewInt(7)
	bad.NotBefore = now
	bad.NotAfter = now.Add(1000 * time.Hour)
	issues := CertFingerprints([]*x509.Certificate{bad, good("bttls", 2)}, []time.Time{now, now})
	if len(issues) < 4 {
		t.Errorf("bad certificates: %d issues, want shared subject, short serial, odd validity, NotBefore = start: %v", len(issues), issues)
	}
}

// FuzzReplyClass: any reply gets a class without panicking, and a reply
// that starts like TLS records is named by its record types.
func FuzzReplyClass(f *testing.F) {
	f.Add([]byte{22, 3, 3, 0, 1, 2})
	f.Add([]byte("HTTP/1.1 200 OK\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := replyClass(b)
		if c == "" || len(b) >= 5 && b[0] >= 20 && b[0] <= 23 && b[1] == 3 && !strings.HasPrefix(c, "tls-records(") {
			t.Fatalf("replyClass(%x) = %q", b, c)
		}
	})
}

// TestDPIRandomOpeningIsNoise: a crypto/tls server closes on every random
// opening without a byte of reply, whatever its first byte, so that two
// servers compared on fresh random bytes cannot differ by chance. Every
// first byte a random opening may start with is tried.
func TestDPIRandomOpeningIsNoise(t *testing.T) {
	s, err := harness.StartHTTPSServer(0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for c := 0; c < 256; c++ {
		if isRecordLike(byte(c)) {
			continue
		}
		b := randomOpening(96)
		b[0] = byte(c)
		// A length that fits the 91 bytes after the header, so that a
		// server parsing the record would not simply wait for more.
		b[3], b[4] = 0, 2
		o, err := raw(s.Addr, b, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Reply) > 0 || o.Close == "open" {
			t.Errorf("first byte %#02x: the server answered %q and closed %s", c, o.Reply, o.Close)
		}
	}
	for i := 0; i < 10000; i++ {
		if b := randomOpening(8); isRecordLike(b[0]) {
			t.Fatalf("randomOpening began with %#02x", b[0])
		}
	}
}
