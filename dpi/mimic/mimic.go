// Package mimic makes a bttls TLS client's ClientHello look like that of a
// common client, so that JA3/JA4 fingerprinting cannot single bttls out.
//
// Two ways, measured in the DPI suite (docs/dpi.md):
//
//   - GoHTTPClient: plain crypto/tls configured exactly as net/http's
//     default Transport configures it. The ClientHello is then identical
//     to that of every Go program fetching an https:// URL by IP address
//     (same JA3, same JA4). Costs nothing; TLS 1.3 is enforced after the
//     handshake with RequireTLS13 instead of by MinVersion, which would
//     change the fingerprint.
//   - ChromeClient: refraction-networking/utls parroting Chrome's
//     ClientHello (GREASE, extension permutation, ALPS, ECH GREASE,
//     X25519MLKEM768). Matches a browser, at the cost of a second TLS
//     stack and a *utls.UConn instead of a *tls.Conn.
package mimic

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"

	utls "github.com/refraction-networking/utls"
)

// HTTPALPN is what net/http's Transport and Chrome offer, and what a Go
// HTTPS server (net/http) accepts.
var HTTPALPN = []string{"h2", "http/1.1"}

// GoHTTPClient returns a copy of base whose ClientHello matches net/http's
// default Transport: ALPN h2 and http/1.1, Go's default versions (1.2–1.3),
// cipher suites and groups. It clears the fields that would change the
// fingerprint; authentication settings (InsecureSkipVerify, RootCAs,
// Certificates, VerifyConnection) and Rand/Time are kept. ServerName should
// be empty when dialling an IP address, as net/http leaves it.
func GoHTTPClient(base *tls.Config) *tls.Config {
	c := base.Clone()
	c.MinVersion, c.MaxVersion = 0, 0
	c.CipherSuites = nil
	c.CurvePreferences = nil
	c.NextProtos = append([]string(nil), HTTPALPN...)
	c.SessionTicketsDisabled = false
	return c
}

// GoHTTPServer returns a copy of base that answers like a net/http HTTPS
// server: it selects h2 (or http/1.1) by ALPN, so the ServerHello and
// EncryptedExtensions match a web server's.
func GoHTTPServer(base *tls.Config) *tls.Config {
	c := base.Clone()
	c.MinVersion, c.MaxVersion = 0, 0
	c.NextProtos = append([]string(nil), HTTPALPN...)
	return c
}

// ErrNotTLS13 is returned by RequireTLS13 for a connection that negotiated
// an older version.
var ErrNotTLS13 = errors.New("bttls: TLS 1.3 required")

// RequireTLS13 rejects a handshake that did not negotiate TLS 1.3. A client
// using GoHTTPClient must call it right after the handshake (and close the
// connection on error): TLS 1.3's downgrade sentinel in the server random
// makes a forced downgrade fail the handshake itself, so this check only
// catches a server that really speaks at most 1.2.
func RequireTLS13(version uint16) error {
	if version != tls.VersionTLS13 {
		return fmt.Errorf("%w, negotiated %s", ErrNotTLS13, tls.VersionName(version))
	}
	return nil
}

// Chrome is a uTLS client connection parroting Chrome.
type Chrome struct {
	*utls.UConn
	cfg *utls.Config // shared with UConn: uTLS reads it at every call
}

// ChromeClient wraps c in a uTLS client whose ClientHello parrots the
// current Chrome (utls.HelloChrome_Auto). base carries the authentication
// settings (InsecureSkipVerify, VerifyConnection...). The caller runs
// Handshake, checks RequireTLS13 on ConnectionState().Version and uses
// ExportKeyingMaterial (not ConnectionState's) for the bttls level proof.
func ChromeClient(c net.Conn, base *utls.Config) *Chrome {
	cfg := base.Clone()
	cfg.NextProtos = append([]string(nil), HTTPALPN...)
	return &Chrome{UConn: utls.UClient(c, cfg, utls.HelloChrome_Auto), cfg: cfg}
}

// ExportKeyingMaterial is RFC 8446's exporter for the finished handshake.
// uTLS refuses it whenever Config.Renegotiation is not RenegotiateNever,
// and the Chrome preset sets RenegotiateOnceAsClient (Chrome sends
// renegotiation_info); TLS 1.3 has no renegotiation, so once TLS 1.3 is
// negotiated the setting is turned off and the exporter is safe to use.
func (c *Chrome) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	cs := c.ConnectionState()
	if err := RequireTLS13(cs.Version); err != nil {
		return nil, err
	}
	c.cfg.Renegotiation = utls.RenegotiateNever
	cs = c.ConnectionState()
	return cs.ExportKeyingMaterial(label, context, length)
}
