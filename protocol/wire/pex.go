package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/anacrolix/torrent/bencode"
)

// PEX flags (BEP 11), one byte per added peer.
const (
	PEXPrefersEncryption = 0x01
	PEXSeedOnly          = 0x02
	PEXSupportsUTP       = 0x04
	PEXHolepunch         = 0x08
	PEXOutgoing          = 0x10
	// PEXSpeaksTLS marks a peer the sender has completed a bttls (TLS)
	// connection with (BEP bttls, "PEX flag"; a free BEP 11 bit).
	PEXSpeaksTLS = 0x20
)

// MaxPEXPeers bounds each list in a PEX message (BEP 11 asks senders for at
// most 50 added and 50 dropped; be lenient but bounded).
const MaxPEXPeers = 200

// PEX is a BEP 11 ut_pex message.
type PEX struct {
	Added      []netip.AddrPort
	AddedFlags []byte // one per Added entry (zero when the sender gave none)
	Dropped    []netip.AddrPort
}

type pexDict struct {
	Added    string `bencode:"added"`
	AddedF   string `bencode:"added.f"`
	Added6   string `bencode:"added6"`
	Added6F  string `bencode:"added6.f"`
	Dropped  string `bencode:"dropped"`
	Dropped6 string `bencode:"dropped6"`
}

// Marshal encodes p, splitting IPv4 and IPv6 peers into their own keys.
func (p PEX) Marshal() []byte {
	var d pexDict
	var a4, f4, a6, f6, d4, d6 []byte
	for i, ap := range p.Added {
		var f byte
		if i < len(p.AddedFlags) {
			f = p.AddedFlags[i]
		}
		if ap.Addr().Is4() || ap.Addr().Is4In6() {
			a4 = appendCompact(a4, ap)
			f4 = append(f4, f)
		} else {
			a6 = appendCompact(a6, ap)
			f6 = append(f6, f)
		}
	}
	for _, ap := range p.Dropped {
		if ap.Addr().Is4() || ap.Addr().Is4In6() {
			d4 = appendCompact(d4, ap)
		} else {
			d6 = appendCompact(d6, ap)
		}
	}
	d.Added, d.AddedF, d.Added6, d.Added6F = string(a4), string(f4), string(a6), string(f6)
	d.Dropped, d.Dropped6 = string(d4), string(d6)
	return bencode.MustMarshal(d)
}

func appendCompact(b []byte, ap netip.AddrPort) []byte {
	a := ap.Addr().Unmap()
	b = append(b, a.AsSlice()...)
	return binary.BigEndian.AppendUint16(b, ap.Port())
}

// ParseCompactPeers decodes BEP 23 compact peers: 6 bytes each for IPv4,
// 18 for IPv6 (stride 6 or 18).
func ParseCompactPeers(b []byte, stride int) ([]netip.AddrPort, error) {
	if len(b)%stride != 0 {
		return nil, fmt.Errorf("wire: compact peer list of %d bytes is not a multiple of %d", len(b), stride)
	}
	out := make([]netip.AddrPort, 0, len(b)/stride)
	for i := 0; i < len(b); i += stride {
		a, _ := netip.AddrFromSlice(b[i : i+stride-2])
		out = append(out, netip.AddrPortFrom(a, binary.BigEndian.Uint16(b[i+stride-2:])))
	}
	return out, nil
}

// ParsePEX decodes a ut_pex payload.
func ParsePEX(b []byte) (PEX, error) {
	var d pexDict
	if len(b) > MaxExtensionPayload {
		return PEX{}, fmt.Errorf("wire: ut_pex message of %d bytes, limit %d", len(b), MaxExtensionPayload)
	}
	if err := bencode.Unmarshal(b, &d); err != nil {
		return PEX{}, fmt.Errorf("wire: ut_pex message: %w", err)
	}
	var p PEX
	for _, l := range []struct {
		name   string
		data   string
		flags  string
		stride int
		added  bool
	}{
		{"added", d.Added, d.AddedF, 6, true},
		{"added6", d.Added6, d.Added6F, 18, true},
		{"dropped", d.Dropped, "", 6, false},
		{"dropped6", d.Dropped6, "", 18, false},
	} {
		peers, err := ParseCompactPeers([]byte(l.data), l.stride)
		if err != nil {
			return PEX{}, fmt.Errorf("wire: ut_pex %q: %w", l.name, err)
		}
		if len(peers) > MaxPEXPeers {
			return PEX{}, fmt.Errorf("wire: ut_pex %q: %d peers, limit %d", l.name, len(peers), MaxPEXPeers)
		}
		if !l.added {
			p.Dropped = append(p.Dropped, peers...)
			continue
		}
		for i, ap := range peers {
			var f byte
			if i < len(l.flags) {
				f = l.flags[i]
			}
			p.Added = append(p.Added, ap)
			p.AddedFlags = append(p.AddedFlags, f)
		}
	}
	return p, nil
}
