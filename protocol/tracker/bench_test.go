package tracker

import (
	"net/netip"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// BenchmarkAnnounceHTTP: one announce per op through the client and the
// HTTP server over loopback TCP (a new connection each, as clients do).
func BenchmarkAnnounceHTTP(b *testing.B) {
	_, u := startServer(b, Config{})
	e := env.OS{}
	req := AnnounceRequest{InfoHash: testHash, Port: 6881, Left: 1}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.PeerID[0], req.PeerID[1] = byte(i%1000), byte(i%1000>>8)
		if _, err := Announce(e, u, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSwarmAnnounce: the in-memory work of one announce in a swarm of
// 2,000 peers, returning 50.
func BenchmarkSwarmAnnounce(b *testing.B) {
	tr := NewTracker(env.OS{}, Config{Interval: time.Hour})
	remote := netip.MustParseAddr("10.1.2.3")
	for i := 0; i < 1999; i++ {
		q := query(0, uint16(1000+i), 1)
		q.peerID[0], q.peerID[1] = byte(i), byte(i>>8)
		if _, err := tr.announce(q, remote); err != nil {
			b.Fatal(err)
		}
	}
	q := query(0, 999, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.announce(q, remote); err != nil {
			b.Fatal(err)
		}
	}
}
