package levels

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/demux"
	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/mse"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// Errors Accept wraps, for the caller's logs and tests.
var (
	// ErrLegacyRefused: a plaintext or MSE connection for a torrent that
	// must be carried over TLS (Strict, Full Strict, or policy require).
	ErrLegacyRefused = errors.New("bttls: legacy connection refused: the torrent requires TLS")
	// ErrUnknownTorrent: a plaintext handshake names a torrent not served.
	ErrUnknownTorrent = errors.New("bttls: plaintext handshake names a torrent not served here")
)

// Accept implements transport.Acceptor. timeout bounds the whole setup, so
// a stalled or half-open connection costs one task and a few KiB for at
// most timeout — or, with a decoy, at most the decoy web server's timeout
// when that is longer, since a web server waits that long for a silent
// client and so must we. A connection handed to the decoy is served
// before Accept returns (ErrDecoyServed).
func (t *Transport) Accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	if timeout <= 0 {
		timeout = env.DefaultDialTimeout
	}
	if t.decoy != nil {
		timeout = max(timeout, t.decoy.Timeout())
	}
	c.SetDeadline(e.Now().Add(timeout))
	out, err := t.accept(e, c, reg, timeout)
	if err != nil {
		err = fmt.Errorf("bttls: inbound from %v: %w", c.RemoteAddr(), err)
		if !errors.Is(err, ErrDecoyServed) { // logged when handed over
			t.cfg.Logf("%v", err)
		}
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return out, nil
}

func (t *Transport) accept(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	start := e.Now()
	class, rc, err := demux.Peek(c)
	if err != nil {
		return nil, err
	}
	switch class {
	case demux.TLS:
		return t.acceptTLS(e, rc, reg, timeout)
	case demux.Plain:
		if t.decoy != nil && !t.servesLegacy(reg) {
			return nil, t.toDecoyRaw(rc, nil, start, fmt.Errorf("%w (plaintext, and no torrent here is carried without TLS)", ErrLegacyRefused))
		}
		return t.acceptPlain(rc, reg, start)
	}
	if t.decoy != nil {
		if !t.servesLegacy(reg) {
			return nil, t.toDecoyRaw(rc, nil, start, fmt.Errorf("%w (not TLS, and no torrent here is carried without TLS)", ErrLegacyRefused))
		}
		// Plaintext HTTP is what a prober sends most; MSE cannot start so.
		var head [4]byte
		n, err := io.ReadFull(rc, head[:])
		rc = demux.NewReplay(rc, head[:n])
		if err != nil {
			return nil, fmt.Errorf("%w after %d bytes: %w", demux.ErrStalled, n, err)
		}
		if looksHTTP(head[:]) {
			return nil, t.toDecoyRaw(rc, nil, start, errors.New("bttls: plaintext HTTP request"))
		}
	}
	return t.acceptMSE(e, rc, reg)
}

func (t *Transport) acceptTLS(e env.Env, c net.Conn, reg transport.Registry, timeout time.Duration) (*transport.Conn, error) {
	cfg := t.ServerTLSConfig()
	// Full Strict mode 1 (libtorrent SSL torrents) names the torrent in the
	// SNI as 40 hex digits; the certificate and client authentication then
	// come from that torrent. Every other ClientHello gets the throwaway
	// certificate and the level message decides.
	var mode1 *transport.Torrent
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		if !isHexInfoHash(h.ServerName) {
			return nil, nil
		}
		for _, tor := range reg.Torrents() {
			s := securityOf(tor)
			if fs := s.FullStrict; fs != nil && fs.Swarm.HasMode(1) && fs.Swarm.SNI() == h.ServerName {
				mode1 = tor
				return fullstrict.ServerConfig1(t.opts, fs), nil
			}
		}
		if t.decoy != nil {
			// A web server answers any name with its certificate.
			t.cfg.Logf("bttls: inbound from %v: SNI %s names no full strict mode 1 torrent served here; answered as a web server", c.RemoteAddr(), h.ServerName)
			return nil, nil
		}
		return nil, fmt.Errorf("bttls: SNI %s names no full strict mode 1 torrent served here", h.ServerName)
	}
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("bttls: TLS handshake: %w", err)
	}
	if mode1 != nil {
		return &transport.Conn{Conn: tc, Kind: transport.TLSFullStrict1, Torrent: mode1}, nil
	}
	shook := e.Now()
	if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
		// Accepted at the TLS layer as a web server does (docs/levels.md).
		return nil, t.toDecoyTLS(tc, nil, shook, fmt.Errorf("bttls: TLS 1.3 required, negotiated %s", tls.VersionName(v)))
	}
	// A web server waits this long for a request after the handshake.
	c.SetDeadline(e.Now().Add(timeout))
	m, read, err := tlslevel.ReadOpening(tc)
	if err != nil {
		// Not a level message, or the stream ended or timed out part way:
		// the web server gets the same bytes and the same end (a timeout
		// already due, as its own would be), and answers as it would.
		return nil, t.toDecoyTLS(tc, read, shook, err)
	}
	if m.Type == tlslevel.TypeFullStrict2 {
		var cands []fullstrict.Candidate
		for _, tor := range reg.Torrents() {
			if fs := securityOf(tor).FullStrict; fs != nil && fs.Swarm.HasMode(2) {
				cands = append(cands, fullstrict.Candidate{Material: fs, Torrent: tor})
			}
		}
		// Respond2 sends nothing unless the initiator's credentials verify.
		found, _, err := fullstrict.Respond2(tc, m, cands, e.CryptoRand(), e.Now)
		if err != nil {
			return nil, t.toDecoyTLS(tc, read, shook, err)
		}
		return &transport.Conn{Conn: tc, Kind: transport.TLSFullStrict2, Torrent: found.Torrent.(*transport.Torrent)}, nil
	}
	found, reply, err := tlslevel.Answer(tc.ConnectionState(), m, func(ty tlslevel.Type) []tlslevel.Candidate {
		var out []tlslevel.Candidate
		for _, tor := range reg.Torrents() {
			if s := securityOf(tor); t.acceptsTLS(s, ty) {
				out = append(out, tlslevel.Candidate{Credential: s.Credential, Torrent: tor})
			}
		}
		return out
	})
	if err != nil {
		return nil, t.toDecoyTLS(tc, read, shook, err)
	}
	out := &transport.Conn{Conn: tc, Kind: kindOf(found.Type), Torrent: found.Torrent.(*transport.Torrent)}
	if t.cfg.DeferProof {
		// The proof leaves with the caller's first bytes, in one record.
		out.Conn = newOpeningConn(tc, reply)
		return out, nil
	}
	if _, err := tc.Write(reply); err != nil {
		return nil, fmt.Errorf("bttls: sending %v proof: %w", found.Type, err)
	}
	return out, nil
}

// isHexInfoHash reports whether s is 40 lowercase hex digits.
func isHexInfoHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// acceptPlain reads as far as the infohash of the BEP 3 handshake (pstr,
// reserved, infohash: 48 bytes) so that a torrent requiring TLS is refused
// before anything is sent, then replays those bytes to the peer.
func (t *Transport) acceptPlain(c net.Conn, reg transport.Registry, start time.Time) (*transport.Conn, error) {
	var hs [48]byte
	if _, err := io.ReadFull(c, hs[:]); err != nil {
		return nil, fmt.Errorf("bttls: reading plaintext handshake: %w", err)
	}
	var ih [20]byte
	copy(ih[:], hs[28:])
	tor, ok := reg.Lookup(ih)
	if !ok {
		return nil, t.toDecoyRaw(c, hs[:], start, fmt.Errorf("%w (%x)", ErrUnknownTorrent, ih))
	}
	if !t.acceptsLegacy(securityOf(tor)) {
		return nil, t.toDecoyRaw(c, hs[:], start, fmt.Errorf("%w (plaintext, %x)", ErrLegacyRefused, ih))
	}
	return &transport.Conn{Conn: demux.NewReplay(c, hs[:]), Kind: transport.Plain, Torrent: tor}, nil
}

func (t *Transport) acceptMSE(e env.Env, c net.Conn, reg transport.Registry) (*transport.Conn, error) {
	byHash := map[[20]byte]*transport.Torrent{}
	for _, tor := range reg.Torrents() {
		byHash[mse.SKeyHash(tor.InfoHash[:])] = tor
	}
	var matched *transport.Torrent
	res, err := mse.Receive(c, e.CryptoRand(), func(h [20]byte) ([]byte, bool) {
		tor, ok := byHash[h]
		if !ok || !t.acceptsLegacy(securityOf(tor)) {
			// A torrent that requires TLS is treated as unknown: an MSE
			// prober learns nothing about what is served.
			return nil, false
		}
		matched = tor
		return tor.InfoHash[:], true
	}, chooseMSE)
	if err != nil {
		if t.decoy != nil {
			// No web server answers MSE; at least hang up with FIN, not RST.
			discard(e, c)
		}
		return nil, err
	}
	return &transport.Conn{Conn: &mseConn{Conn: c, s: res.Stream}, Kind: transport.MSE, Torrent: matched}, nil
}
