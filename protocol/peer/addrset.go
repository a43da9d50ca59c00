package peer

import (
	"net/netip"
	"slices"
)

// addrSet is a small set of addresses kept sorted: for the few dozen
// addresses a connection's PEX state holds, a slice costs a fraction of a
// map's memory (thousands of them in a simulated swarm) and searches as
// fast.
type addrSet []netip.AddrPort

func (s addrSet) find(ap netip.AddrPort) (int, bool) {
	return slices.BinarySearchFunc(s, ap, netip.AddrPort.Compare)
}

func (s addrSet) has(ap netip.AddrPort) bool {
	_, ok := s.find(ap)
	return ok
}

func (s *addrSet) add(ap netip.AddrPort) {
	if i, ok := s.find(ap); !ok {
		*s = slices.Insert(*s, i, ap)
	}
}

func (s *addrSet) remove(ap netip.AddrPort) {
	if i, ok := s.find(ap); ok {
		*s = slices.Delete(*s, i, i+1)
	}
}
