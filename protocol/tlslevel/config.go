package tlslevel

import (
	"crypto/tls"
	"io"
	"time"
)

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
// authenticate inside the tunnel. It sends no SNI (ServerName is empty, as
// any TLS client dialling a bare IP address) and does not verify the
// server's throwaway certificate: the level proof does, bound to this
// connection by the exporter.
func ClientConfig(o Options) *tls.Config {
	return &tls.Config{
		Rand:               o.Rand,
		Time:               o.Time,
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		CurvePreferences:   o.Curves,
		InsecureSkipVerify: true, // authenticated by the in-tunnel proof
	}
}

// ServerConfig is the matching server configuration. Session tickets are
// off: a resumed session would save about 0.2 ms of CPU but the ticket costs
// bytes on every connection and the peer rarely reconnects to the same peer.
func ServerConfig(o Options, cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Rand:                   o.Rand,
		Time:                   o.Time,
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		CurvePreferences:       o.Curves,
		Certificates:           []tls.Certificate{cert},
		SessionTicketsDisabled: true,
	}
}
