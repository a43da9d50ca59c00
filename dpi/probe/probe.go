// Package probe is an active prober: it connects to a TCP port without
// knowing any infohash and records how the server answers a set of probes a
// censor would send to a suspected proxy (Alice, Ensafi et al., "Detecting
// Probe-resistant Proxies", NDSS 2020, and the GFW's probing of Shadowsocks
// and Tor bridges). Compare compares the answers of a bttls peer with those
// of an ordinary HTTPS server and lists every probe that tells them apart.
package probe

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Outcome is what one probe saw.
type Outcome struct {
	// Handshake is "ok", a TLS alert name ("alert: protocol version"), or
	// how the connection ended during the handshake ("eof", "reset",
	// "timeout"); empty for raw probes.
	Handshake string
	Version   string // negotiated TLS version, "" if none
	ALPN      string // negotiated ALPN, "" if none
	// Reply is what the server sent after the probe's bytes: for raw
	// probes the raw bytes; for TLS probes the decrypted application data.
	Reply []byte
	// Close is how the connection ended: "eof" (FIN), "reset" (RST) or
	// "open" (still open when the probe gave up after Wait).
	Close string
	// Elapsed is the time from the probe's last write to Close (Wait for
	// "open").
	Elapsed time.Duration
}

// Class is the part of an outcome compared exactly: everything but the
// reply's bytes (random for MSE, encrypted for TLS) and the timing.
func (o Outcome) Class() string {
	return fmt.Sprintf("handshake=%s version=%s alpn=%s reply=%s close=%s",
		dashIfEmpty(o.Handshake), dashIfEmpty(o.Version), dashIfEmpty(o.ALPN), replyClass(o.Reply), o.Close)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// replyClass describes a reply by what an observer can read from it: TLS
// record types, an HTTP status line, or else its size bucket.
func replyClass(b []byte) string {
	switch {
	case len(b) == 0:
		return "none"
	case bytes.HasPrefix(b, []byte("HTTP/")):
		line, _, _ := strings.Cut(string(b), "\r\n")
		return fmt.Sprintf("%q", line)
	case len(b) >= 5 && b[0] >= 20 && b[0] <= 23 && b[1] == 3:
		return "tls-records(" + recordTypes(b) + ")"
	case len(b) <= 64:
		return "binary(1-64B)"
	case len(b) <= 1024:
		return "binary(65-1024B)"
	}
	return "binary(>1KiB)"
}

// recordTypes lists the content types of the TLS records in b.
func recordTypes(b []byte) string {
	var ts []string
	for len(b) >= 5 {
		n := int(b[3])<<8 | int(b[4])
		ts = append(ts, map[byte]string{20: "ccs", 21: "alert", 22: "handshake", 23: "appdata"}[b[0]])
		if len(b) < 5+n {
			ts = append(ts, "partial")
			break
		}
		b = b[5+n:]
	}
	return strings.Join(ts, ",")
}

// Probe is one way of poking a server.
type Probe struct {
	Name string
	Why  string
	Run  func(addr string, wait time.Duration) (Outcome, error)
}

// Probes returns the probes, none of which needs an infohash. replay is a
// recorded ClientHello (e.g. a real bttls peer's) to send verbatim.
func Probes(replay []byte) []Probe {
	return []Probe{
		{"empty", "connect and send nothing: how long until the server hangs up",
			func(a string, w time.Duration) (Outcome, error) { return raw(a, nil, w) }},
		{"random-517", "517 random bytes, the size of a ClientHello (the GFW's Shadowsocks probe)",
			func(a string, w time.Duration) (Outcome, error) { return raw(a, randomOpening(517), w) }},
		{"random-96", "96 random bytes, the size of an MSE opening",
			func(a string, w time.Duration) (Outcome, error) { return raw(a, randomOpening(96), w) }},
		{"http-plain", "an HTTP/1.1 request in the clear",
			func(a string, w time.Duration) (Outcome, error) {
				return raw(a, []byte("GET / HTTP/1.1\r\nHost: "+a+"\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"), w)
			}},
		{"bt-handshake", "a BEP 3 handshake for a random infohash",
			func(a string, w time.Duration) (Outcome, error) {
				hs := append([]byte("\x13BitTorrent protocol"), make([]byte, 8)...)
				return raw(a, append(append(hs, randomBytes(20)...), []byte("-XX0000-")...), w)
			}},
		{"replay-clienthello", "a recorded ClientHello replayed verbatim, then silence",
			func(a string, w time.Duration) (Outcome, error) { return raw(a, replay, w) }},
		{"tls-idle", "a TLS handshake (Go client, h2 and http/1.1 offered), then silence",
			func(a string, w time.Duration) (Outcome, error) {
				return tlsProbe(a, &tls.Config{NextProtos: []string{"h2", "http/1.1"}}, nil, w)
			}},
		{"tls-http", "a TLS handshake offering only http/1.1, then GET /",
			func(a string, w time.Duration) (Outcome, error) {
				return tlsProbe(a, &tls.Config{NextProtos: []string{"http/1.1"}},
					[]byte("GET / HTTP/1.1\r\nHost: "+a+"\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"), w)
			}},
		{"tls-garbage", "a TLS handshake (no ALPN), then 64 random bytes (no line break) of application data",
			func(a string, w time.Duration) (Outcome, error) {
				return tlsProbe(a, &tls.Config{}, noLineBreaks(randomBytes(64)), w)
			}},
		{"tls12-only", "a TLS 1.2-only client (every HTTPS server still accepts one)",
			func(a string, w time.Duration) (Outcome, error) {
				return tlsProbe(a, &tls.Config{MaxVersion: tls.VersionTLS12}, nil, w)
			}},
	}
}

// noLineBreaks replaces CR and LF, so that an HTTP server waits for the
// end of a request line instead of answering 400 depending on chance.
func noLineBreaks(b []byte) []byte {
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return b
}

// randomOpening is n random bytes whose first byte is none of those a TLS
// server treats as more than noise: 0x16 (a handshake record), 0x15 (an
// alert record, which crypto/tls parses before any handshake and answers
// with an alert of its own), 0x80 (an SSLv2 hello, answered with a
// protocol-version alert), nor 0x13 (a BEP 3 handshake). With one of them
// the reply would depend on chance (4 runs in 256) and the comparison of
// two servers would flake.
func randomOpening(n int) []byte {
	b := randomBytes(n)
	for isRecordLike(b[0]) {
		b[0] = randomBytes(1)[0]
	}
	return b
}

func isRecordLike(c byte) bool { return c == 0x16 || c == 0x15 || c == 0x80 || c == 0x13 }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// raw sends payload (if any) over TCP and records the reply.
func raw(addr string, payload []byte, wait time.Duration) (Outcome, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return Outcome{}, fmt.Errorf("probe: dial %s: %w", addr, err)
	}
	defer c.Close()
	if len(payload) > 0 {
		if _, err := c.Write(payload); err != nil {
			return Outcome{Close: closeKind(err)}, nil
		}
	}
	var o Outcome
	o.Reply, o.Close, o.Elapsed = readUntilClose(c, wait)
	return o, nil
}

// readUntilClose reads everything until the server closes or wait passes.
func readUntilClose(c net.Conn, wait time.Duration) ([]byte, string, time.Duration) {
	start := time.Now()
	c.SetReadDeadline(start.Add(wait))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	elapsed := time.Since(start)
	kind := closeKind(err)
	if kind == "open" {
		elapsed = wait
	}
	return buf.Bytes(), kind, elapsed
}

// alertClose is a TLS alert the server closed with after the handshake.
type alertClose struct{ alert tls.AlertError }

func (a alertClose) Error() string { return "alert: " + a.alert.Error() }

func closeKind(err error) string {
	var ac alertClose
	switch {
	case errors.As(err, &ac):
		return ac.Error()
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "eof (no close_notify)"
	case err == nil, errors.Is(err, io.EOF):
		return "eof"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "open"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset"
	}
	return "error: " + err.Error()
}

// tlsProbe handshakes (verification off, no SNI: the prober dials an
// address), sends payload as application data, and records the reply.
func tlsProbe(addr string, cfg *tls.Config, payload []byte, wait time.Duration) (Outcome, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return Outcome{}, fmt.Errorf("probe: dial %s: %w", addr, err)
	}
	defer c.Close()
	cfg = cfg.Clone()
	cfg.InsecureSkipVerify = true
	tc := tls.Client(c, cfg)
	start := time.Now()
	tc.SetDeadline(start.Add(wait))
	var o Outcome
	if err := tc.Handshake(); err != nil {
		o.Handshake = handshakeError(err)
		o.Close = "eof"
		if o.Handshake == "timeout" {
			o.Close = "open"
		} else if o.Handshake == "reset" {
			o.Close = "reset"
		}
		o.Elapsed = time.Since(start)
		return o, nil
	}
	cs := tc.ConnectionState()
	o.Handshake, o.Version, o.ALPN = "ok", tls.VersionName(cs.Version), cs.NegotiatedProtocol
	if len(payload) > 0 {
		if _, err := tc.Write(payload); err != nil {
			o.Close = closeKind(err)
			return o, nil
		}
	}
	o.Reply, o.Close, o.Elapsed = readUntilClose(tlsReader{tc}, wait)
	return o, nil
}

// tlsReader names the alert a TLS peer closes with (a prober sees which
// alert the server chose); close_notify is io.EOF, a clean close.
type tlsReader struct{ *tls.Conn }

func (r tlsReader) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	var alert tls.AlertError
	if errors.As(err, &alert) {
		err = alertClose{alert}
	}
	return n, err
}

func handshakeError(err error) string {
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	switch {
	case errors.As(err, &alert):
		return "alert: " + alert.Error()
	case errors.As(err, &rec):
		return "not TLS"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	}
	if s := err.Error(); strings.Contains(s, "remote error: tls: ") {
		return "alert: " + strings.TrimPrefix(s[strings.Index(s, "remote error: tls: "):], "remote error: tls: ")
	}
	return "error"
}

// Result is the outcomes of one probe against one server, over N runs.
type Result struct {
	Probe    string
	Outcomes []Outcome
}

// Median is the median Elapsed of the outcomes.
func (r Result) Median() time.Duration {
	ds := make([]time.Duration, len(r.Outcomes))
	for i, o := range r.Outcomes {
		ds[i] = o.Elapsed
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// Classes is the set of distinct outcome classes, sorted.
func (r Result) Classes() []string {
	seen := map[string]bool{}
	for _, o := range r.Outcomes {
		seen[o.Class()] = true
	}
	var out []string
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
