package tracker

import (
	"net"
	"net/netip"
	"testing"

	"github.com/bttls/bttls/protocol/env"
)

// TestAnnounceIPv6 runs the tracker on [::1]: IPv6 peers come back in
// peers6 (BEP 7) with their TLS flags in peers6_tls.
func TestAnnounceIPv6(t *testing.T) {
	e := env.OS{}
	l, err := e.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	s := NewServer(e, NewTracker(e, Config{}))
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	u := "http://" + l.Addr().(*net.TCPAddr).String() + "/announce"

	seed := AnnounceRequest{InfoHash: testHash, PeerID: peerID(1), Port: 7001, Event: EventStarted}
	seed.Extra = map[string][]string{ParamSupportTLS: {"1"}}
	if _, err := Announce(e, u, seed); err != nil {
		t.Fatal(err)
	}
	r, err := Announce(e, u, AnnounceRequest{InfoHash: testHash, PeerID: peerID(2), Port: 7002, Left: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddrPort("[::1]:7001")
	if len(r.Peers) != 1 || r.Peers[0].Addr != want || !r.Peers[0].TLS {
		t.Fatalf("peers = %+v, want %v flagged TLS", r.Peers, want)
	}
}
