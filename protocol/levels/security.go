// Package levels carries peer connections over the bttls TLS levels, MSE/PE
// and plaintext on one port: a transport.Dialer that plans attempts by
// policy, pins and hints (protocol/negotiate), and a transport.Acceptor that
// classifies each inbound stream by its first bytes (protocol/demux) and
// runs the matching handshake (protocol/tlslevel, protocol/mse).
package levels

import (
	"github.com/bttls/bttls/protocol/fullstrict"
	"github.com/bttls/bttls/protocol/negotiate"
	"github.com/bttls/bttls/protocol/tlslevel"
	"github.com/bttls/bttls/protocol/transport"
)

// Security is a torrent's TLS material, carried in transport.Torrent.Security.
// A torrent whose Security is nil is a Basic v1 torrent under the
// transport's default policy.
type Security struct {
	// Level is TLSBasic, TLSStrict, or for a Full Strict torrent
	// TLSFullStrict2 (modes 1 and 2 are then chosen per connection from
	// FullStrict.Swarm.Modes).
	Level transport.Kind
	// Policy overrides the transport's default policy for a Basic torrent.
	Policy *negotiate.Policy
	// Credential is what this peer proves on a Basic or Strict connection:
	// the Basic key (from the v1 infohash, or the full v2 infohash of a pure
	// v2 torrent) or the current epoch's Strict key.
	Credential tlslevel.Credential
	// AnnounceHash replaces the infohash in tracker announces (Strict);
	// zero means announce the infohash.
	AnnounceHash [20]byte
	// FullStrict is the swarm CA and this peer's certificate (Full Strict).
	FullStrict *fullstrict.Material
}

// BasicSecurity returns the Security of a Basic torrent whose proof key
// derives from keyHash: the 20-byte v1 infohash (v1 and hybrid torrents) or
// the 32-byte v2 infohash (pure v2 torrents).
func BasicSecurity(keyHash []byte) *Security {
	return &Security{
		Level:      transport.TLSBasic,
		Credential: tlslevel.Credential{Type: tlslevel.TypeBasic, Key: tlslevel.BasicKey(keyHash)},
	}
}

// securityOf returns t's Security, deriving the Basic default for a torrent
// that has none.
func securityOf(t *transport.Torrent) *Security {
	if s, ok := t.Security.(*Security); ok && s != nil {
		return s
	}
	return BasicSecurity(t.InfoHash[:])
}
