package peer

import (
	"net/netip"
	"slices"
	"testing"
)

func TestAddrSet(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.2:6881")
	b := netip.MustParseAddrPort("10.0.0.1:6882")
	c := netip.MustParseAddrPort("[::1]:6881")
	tests := []struct {
		name string
		ops  func(s *addrSet)
		want addrSet
	}{
		{"empty", func(s *addrSet) {}, nil},
		{"sorted", func(s *addrSet) { s.add(c); s.add(a); s.add(b) }, addrSet{b, a, c}},
		{"duplicate", func(s *addrSet) { s.add(a); s.add(a) }, addrSet{a}},
		{"remove", func(s *addrSet) { s.add(a); s.add(b); s.remove(a); s.remove(c) }, addrSet{b}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s addrSet
			tt.ops(&s)
			if !slices.Equal(s, tt.want) {
				t.Fatalf("set %v, want %v", s, tt.want)
			}
			for _, ap := range []netip.AddrPort{a, b, c} {
				if s.has(ap) != slices.Contains(tt.want, ap) {
					t.Fatalf("has(%v) = %v", ap, s.has(ap))
				}
			}
		})
	}
}
