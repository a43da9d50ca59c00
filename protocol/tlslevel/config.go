package tlslevel

import (
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

// HTTPALPN is what Go's net/http client (and Chrome) offers; bttls offers
// it only so that the handshake looks like HTTPS. Neither side acts on the
// result.
var HTTPALPN = []string{"h2", "http/1.1"}

// ServerALPN is what the responder selects from: http/1.1 only, as a web
// server with HTTP/2 off. Not h2: a Go h2 server speaks first (SETTINGS)
// right after the handshake, which a responder waiting for the initiator's
// level message cannot imitate; an HTTP/1.1 server, like the responder,
// waits for the client.
var ServerALPN = []string{"http/1.1"}

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

// ServerConfig is the responder's configuration, which is exactly that of
// a Go HTTPS server (net/http with HTTP/1.1 only) so that an active prober
// without the infohash cannot tell the two apart (docs/levels.md, "Probes
// and the decoy"): Go's default versions (TLS 1.2 is accepted at the TLS
// layer, and refused right after by the level code, or served by the decoy
// web server), ALPN http/1.1, session tickets on. The tickets do not link
// bttls connections: the initiator keeps no session cache, so it never
// offers one back.
func ServerConfig(o Options, cert tls.Certificate) *tls.Config {
	return &tls.Config{
		NextProtos:       append([]string(nil), ServerALPN...),
		Rand:             o.Rand,
		Time:             o.Time,
		CurvePreferences: o.Curves,
		Certificates:     []tls.Certificate{cert},
	}
}
