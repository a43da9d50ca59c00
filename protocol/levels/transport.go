package levels

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// Config is the transport's settings.
type Config struct {
	// Policy is the default TLS policy of Basic torrents.
	Policy negotiate.Policy
	// LegacyPlain makes the legacy transport dialled for a Basic torrent
	// carried without TLS plaintext BEP 3 instead of MSE (which offers RC4
	// and plaintext, as libtorrent and transmission do by default).
	LegacyPlain bool
	// Pins is the pin store; nil keeps pins in memory for this transport.
	Pins *negotiate.Pins
	// Curves overrides the TLS key-exchange groups (nil: Go's default with
	// X25519MLKEM768 first; the simulator passes X25519).
	Curves []tls.CurveID
	// Logf receives one line per refused or failed connection, with its
	// reason; nil discards them.
	Logf func(format string, args ...any)
	// DeferProof makes the acceptor hold the responder's Basic or Strict
	// proof until the caller's first Read or Write on the returned conn,
	// and send it in one TLS record with the caller's first bytes (docs/
	// levels.md, "Writing the opening at once"). Set it only when the
	// caller reads or writes every accepted conn (protocol/peer does); a
	// caller that does neither would leave the initiator waiting.
	DeferProof bool
	// Decoy, when set, makes the web server that answers every connection
	// the acceptor refuses, from the TLS server configuration the responder
	// uses (protocol/decoy.New fits). nil: refused connections are closed
	// (the simulator, whose transports must not start goroutines).
	Decoy func(server *tls.Config) Decoy
	// Trace, when set, receives the negotiation events of every Connect
	// (models/trace; docs/model.md, "Trace validation"), for btsim check
	// --trace. nil (or a nil *trace.Writer) records nothing and costs a
	// nil check per step.
	Trace trace.Recorder
	// TraceLocal names this peer in trace events (its listen address) and
	// prefixes its connection ids, so that peers sharing a recorder do not
	// collide.
	TraceLocal string
}

// Transport is a transport.Dialer and transport.Acceptor for all levels.
type Transport struct {
	cfg    Config
	legacy transport.Kind
	opts   tlslevel.Options
	cert   tls.Certificate
	// srv is the responder's TLS configuration, cloned per connection so
	// that every connection (and the decoy) shares its ticket key.
	srv   *tls.Config
	decoy Decoy
	trace *tracer // nil: not tracing
	// silent notes addresses that answered neither TLS nor MSE.
	silent *silentSet
}

var (
	_ transport.Dialer   = (*Transport)(nil)
	_ transport.Acceptor = (*Transport)(nil)
)

// New returns a transport whose randomness and clock come from e. It makes
// one throwaway certificate for the transport's lifetime.
func New(e env.Env, cfg Config) (*Transport, error) {
	legacy := transport.MSE
	if cfg.LegacyPlain {
		legacy = transport.Plain
	}
	if cfg.Pins == nil {
		cfg.Pins, _ = negotiate.OpenPins("", 0) // in memory: cannot fail
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	opts := tlslevel.Options{Rand: e.CryptoRand(), Time: e.Now, Curves: cfg.Curves}
	cert, err := tlslevel.ThrowawayCert(e.CryptoRand(), e.Now())
	if err != nil {
		return nil, err
	}
	srv := tlslevel.ServerConfig(opts, cert)
	// One ticket key for the transport's lifetime, as a web server has one
	// at a time: a prober that resumes a ticket on a second connection
	// must succeed, as it would at the web server.
	var ticketKey [32]byte
	if _, err := io.ReadFull(e.CryptoRand(), ticketKey[:]); err != nil {
		return nil, fmt.Errorf("bttls: drawing the session ticket key: %w", err)
	}
	srv.SetSessionTicketKeys([][32]byte{ticketKey})
	t := &Transport{cfg: cfg, legacy: legacy, opts: opts, cert: cert, srv: srv,
		trace: newTracer(cfg.Trace, cfg.TraceLocal), silent: newSilentSet()}
	if cfg.Decoy != nil {
		t.decoy = cfg.Decoy(t.ServerTLSConfig())
	}
	return t, nil
}

// ServerTLSConfig is the TLS configuration the acceptor presents to every
// ClientHello that does not name a Full Strict mode 1 torrent.
func (t *Transport) ServerTLSConfig() *tls.Config { return t.srv.Clone() }

func (t *Transport) policy(s *Security) negotiate.Policy {
	if s.Policy != nil {
		return *s.Policy
	}
	return t.cfg.Policy
}

// acceptsLegacy reports whether torrent s may be carried without TLS.
func (t *Transport) acceptsLegacy(s *Security) bool {
	if s.FullStrict != nil {
		return false
	}
	return s.Level == transport.TLSBasic && t.policy(s) != negotiate.Require
}

// acceptsTLS reports whether torrent s may be carried over TLS at level ty.
func (t *Transport) acceptsTLS(s *Security, ty tlslevel.Type) bool {
	if s.Credential.Type != ty || s.FullStrict != nil {
		return false
	}
	return s.Level != transport.TLSBasic || t.policy(s) != negotiate.Off
}

// mseConn is a net.Conn carrying an MSE stream.
type mseConn struct {
	net.Conn
	s *mse.Stream
}

func (c *mseConn) Read(p []byte) (int, error)  { return c.s.Read(p) }
func (c *mseConn) Write(p []byte) (int, error) { return c.s.Write(p) }

// chooseMSE picks RC4 when offered (the point of MSE is to hide the
// stream), else plaintext.
func chooseMSE(provided mse.Method) mse.Method {
	if provided&mse.RC4 != 0 {
		return mse.RC4
	}
	return provided & mse.Plaintext
}

func kindOf(ty tlslevel.Type) transport.Kind {
	switch ty {
	case tlslevel.TypeStrict:
		return transport.TLSStrict
	case tlslevel.TypeFullStrict2:
		return transport.TLSFullStrict2
	}
	return transport.TLSBasic
}

func timeoutErr(what string, d time.Duration) error {
	return fmt.Errorf("bttls: %s: setup did not finish within %v", what, d)
}
