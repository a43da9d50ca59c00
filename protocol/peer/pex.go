package peer

import (
	"net/netip"
	"slices"
	"time"

	"github.com/bttls/bttls/protocol/wire"
)

// maxPEXAdded is how many peers one PEX message adds (BEP 11 asks for at most 50).
const maxPEXAdded = 50

func (cn *conn) remoteAddrPort() netip.AddrPort {
	ap, _ := netip.ParseAddrPort(cn.tc.RemoteAddr().String())
	return ap
}

func withPort(ap netip.AddrPort, port int) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr(), uint16(port))
}

// sendPEXLocked sends each PEX-capable peer the peers it has not heard of
// from us, and those that left, at most once per PEXInterval.
func (t *Torrent) sendPEXLocked(now time.Time) {
	if t.meta != nil && t.meta.Private {
		return // BEP 27: private torrents get peers from their tracker only
	}
	for _, cn := range t.conns {
		if now.Before(cn.nextPEX) || cn.sess.PeerExt() == nil {
			continue
		}
		if _, ok := cn.sess.PeerExt().M[wire.ExtPEX]; !ok {
			continue
		}
		current := t.pexScratch[:0]
		var p wire.PEX
		for _, o := range t.conns {
			if o == cn || !o.listenAddr.IsValid() {
				continue
			}
			current.add(o.listenAddr)
			if !cn.pexSent.has(o.listenAddr) && len(p.Added) < maxPEXAdded {
				var f byte
				if o.sess.PeerIsSeed() {
					f |= wire.PEXSeedOnly
				}
				if o.outbound {
					f |= wire.PEXOutgoing
				}
				if o.tc.Kind.IsTLS() {
					f |= wire.PEXSpeaksTLS
				}
				p.Added = append(p.Added, o.listenAddr)
				p.AddedFlags = append(p.AddedFlags, f)
				cn.pexSent.add(o.listenAddr)
			}
		}
		t.pexScratch = current
		for _, ap := range cn.pexSent {
			if !current.has(ap) {
				p.Dropped = append(p.Dropped, ap)
			}
		}
		// Sorted, so the message does not depend on map order (the
		// simulator's runs must be byte-identical).
		slices.SortFunc(p.Dropped, func(a, b netip.AddrPort) int { return a.Compare(b) })
		if len(p.Dropped) > maxPEXAdded {
			p.Dropped = p.Dropped[:maxPEXAdded]
		}
		for _, ap := range p.Dropped {
			cn.pexSent.remove(ap)
		}
		cn.nextPEX = now.Add(t.c.cfg.PEXInterval)
		if len(p.Added) == 0 && len(p.Dropped) == 0 {
			continue
		}
		if cn.sess.SendExtended(wire.ExtPEX, p.Marshal()) {
			cn.wake.Notify()
		}
	}
}
