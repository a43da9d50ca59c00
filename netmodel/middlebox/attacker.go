package middlebox

import (
	"encoding/binary"
	"net/netip"

	"github.com/bttls/bttls/netmodel"
)

// attacker sits on a fraction of paths and attacks every TLS attempt across
// them, trying to push bttls peers back to legacy BitTorrent.
type attacker struct {
	cfg   AttackerConfig
	env   Env
	st    *Stats
	paths map[[2]netip.Addr]bool // paths seen so far, and whether attacked
	flows map[uint64]*attackFlow
}

type attackFlow struct {
	tls      bool // the client opened with a ClientHello: under attack
	rewrote  bool // fake-legacy: the server's first flight has been replaced
	finished bool
}

func newAttacker(c AttackerConfig, e Env, st *Stats) *attacker {
	if c.Action == "" {
		c.Action = "fake-legacy"
	}
	return &attacker{cfg: c, env: e, st: st, paths: map[[2]netip.Addr]bool{}, flows: map[uint64]*attackFlow{}}
}

// OnPath reports whether the attacker with this seed and fraction sits on
// the path between hosts a and b (either way round).
func OnPath(seed uint64, fraction float64, a, b netip.Addr) bool {
	if b.Less(a) {
		a, b = b, a
	}
	return chance(hash(seed, 0xa7, addrKey(a), addrKey(b)), fraction)
}

func addrKey(a netip.Addr) uint64 {
	b := a.As16()
	return binary.BigEndian.Uint64(b[:8]) ^ binary.BigEndian.Uint64(b[8:])*31
}

// IsClientHello reports whether b starts a TLS handshake record carrying a
// ClientHello (RFC 8446, Section 5.1: content type 22, legacy version 3.x;
// handshake type 1).
func IsClientHello(b []byte) bool {
	return len(b) >= 6 && b[0] == 0x16 && b[1] == 0x03 && b[5] == 0x01
}

func (a *attacker) onPath(f *netmodel.Flow) bool {
	x, y := f.Client.Addr(), f.Server.Addr()
	if y.Less(x) {
		x, y = y, x
	}
	k := [2]netip.Addr{x, y}
	on, seen := a.paths[k]
	if !seen {
		on = OnPath(a.env.Seed, a.cfg.Fraction, x, y)
		a.paths[k] = on
		if on {
			a.st.AttackerPaths++
		}
	}
	return on
}

func (a *attacker) Inspect(p *netmodel.Packet) netmodel.Verdict {
	f := a.flows[p.Flow.ID]
	if f == nil {
		// Judge a flow by its first client payload, on attacked paths only,
		// once the attacker is there.
		if p.Kind != netmodel.Data || p.Dir != netmodel.ClientToServer || p.Offset != 0 ||
			a.env.Clock.Now() < seconds(a.cfg.StartS) || !a.onPath(p.Flow) {
			return netmodel.Verdict{}
		}
		f = &attackFlow{tls: IsClientHello(p.Data)}
		a.flows[p.Flow.ID] = f
		if f.tls {
			a.st.AttackerFlows++
		}
	}
	if !f.tls {
		if p.Kind == netmodel.FIN {
			delete(a.flows, p.Flow.ID) // legacy flows pass untouched
		}
		return netmodel.Verdict{}
	}
	switch a.cfg.Action {
	case "reset":
		return netmodel.Verdict{Reset: true}
	case "blackhole":
		return netmodel.Verdict{Drop: true}
	}
	return a.fakeLegacy(f, p)
}

// fakeLegacy lets the ClientHello through and replaces the server's first
// flight by as many random bytes, the way a legacy peer answers a
// ClientHello with its MSE public key and padding (96+ bytes, see
// PRIOR-ART.md). The client sees a non-TLS reply, as from a legacy peer.
// Later server bytes are dropped: the client has given up on TLS by then.
func (a *attacker) fakeLegacy(f *attackFlow, p *netmodel.Packet) netmodel.Verdict {
	if p.Dir != netmodel.ServerToClient || p.Kind != netmodel.Data {
		return netmodel.Verdict{}
	}
	if p.Offset != 0 {
		return netmodel.Verdict{Drop: f.rewrote}
	}
	f.rewrote = true
	fake := make([]byte, len(p.Data))
	for i := 0; i < len(fake); i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], hash(a.env.Seed, 0xfa, p.Flow.ID, uint64(i)))
		copy(fake[i:], w[:])
	}
	// An MSE reply never looks like TLS: make sure the random bytes don't
	// start a TLS record by chance (1 in 256), so the client falls back.
	if len(fake) > 0 && fake[0] == 0x16 {
		fake[0] ^= 0x80
	}
	return netmodel.Verdict{Rewrite: fake}
}
