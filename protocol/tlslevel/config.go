package tlslevel

import (
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

// HTTPALPN is what Go's net/http client (and Chrome) offers; bttls offers
// and selects it only so that the handshake looks like HTTPS. Neither side
// acts on the result.
var HTTPALPN = []string{"h2", "http/1.1"}

// Options is what differs between the real peer and the simulator.
type Options struct {
	// Rand and Time feed tls.Config (env.Env's CryptoRand and Now).
	Rand io.Reader
	Time func() time.Time
	// Curves overrides the key-exchange groups offered; nil keeps Go's
	// default, which offers the hybrid post-quantum X25519MLKEM768 first.
	// The simulator passes X25519 alone (ML-KEM cannot be seeded).
	Curves []tls.CurveID
}

// ClientConfig is the TLS client configuration for the levels that
// authenticate inside the tunnel. Its ClientHello is that of Go's net/http
// client dialling an IP address (same versions, suites, groups, ALPN; no
// SNI), so JA3/JA4 cannot tell bttls from any Go program fetching an
// https:// URL (measured in dpi/harness). That client offers TLS 1.2 too:
// TLS 1.3 is enforced right after the handshake (Handshake), and TLS 1.3's
// downgrade sentinel makes a forced downgrade fail the handshake itself.
// It does not verify the server's throwaway certificate: the level proof
// does, bound to this connection by the exporter.
func ClientConfig(o Options) *tls.Config {
	return &tls.Config{
		Rand:               o.Rand,
		Time:               o.Time,
		CurvePreferences:   o.Curves,
		NextProtos:         append([]string(nil), HTTPALPN...),
		InsecureSkipVerify: true, // authenticated by the in-tunnel proof
	}
}

// Handshake runs the TLS handshake on tc and refuses anything but TLS 1.3.
func Handshake(tc *tls.Conn) error {
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("bttls: TLS handshake: %w", err)
	}
	if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
		return fmt.Errorf("bttls: TLS 1.3 required, negotiated %s", tls.VersionName(v))
	}
	return nil
}

// ServerConfig is the matching server configuration: TLS 1.3 only, and
// ALPN h2/http/1.1 selected as a Go HTTPS server would. Session tickets
// are off: a resumed session would save about 0.2 ms of CPU but the ticket
// costs bytes on every connection and would link connections.
func ServerConfig(o Options, cert tls.Certificate) *tls.Config {
	return &tls.Config{
		NextProtos:             append([]string(nil), HTTPALPN...),
		Rand:                   o.Rand,
		Time:                   o.Time,
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		CurvePreferences:       o.Curves,
		Certificates:           []tls.Certificate{cert},
		SessionTicketsDisabled: true,
	}
}
