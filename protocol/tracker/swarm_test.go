package tracker

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// clockEnv is the OS with a clock the test moves by hand.
type clockEnv struct {
	env.OS
	now time.Time
}

func (c *clockEnv) Now() time.Time { return c.now }

func newClockTracker(cfg Config) (*Tracker, *clockEnv) {
	e := &clockEnv{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewTracker(e, cfg), e
}

func query(id byte, port uint16, left int64) announceQuery {
	return announceQuery{infoHash: testHash, peerID: peerID(id), port: port, left: left, numWant: -1, compact: true}
}

var loopback = netip.MustParseAddr("127.0.0.1")

func TestPeerExpiry(t *testing.T) {
	tr, e := newClockTracker(Config{Interval: time.Minute, PeerTimeout: 2 * time.Minute})
	mustAnnounce(t, tr, query(1, 1001, 0), loopback)
	e.now = e.now.Add(90 * time.Second)
	mustAnnounce(t, tr, query(2, 1002, 5), loopback)
	res := mustAnnounce(t, tr, query(3, 1003, 5), loopback)
	if len(res.peers) != 2 {
		t.Fatalf("before expiry: %d peers, want 2", len(res.peers))
	}
	// Peer 1 was last heard 2 min 1 s ago: more than 2×interval.
	e.now = e.now.Add(31 * time.Second)
	res = mustAnnounce(t, tr, query(3, 1003, 5), loopback)
	if len(res.peers) != 1 || res.peers[0].id != peerID(2) || res.complete != 0 {
		t.Fatalf("after expiry: %+v", res)
	}
	// A whole torrent that goes quiet is forgotten by the periodic sweep.
	e.now = e.now.Add(10 * time.Minute)
	other := query(9, 1009, 5)
	other.infoHash[0] ^= 0xff
	mustAnnounce(t, tr, other, loopback)
	if _, ok := tr.torrents[testHash]; ok || len(tr.torrents) != 1 {
		t.Fatalf("quiet torrent not swept: %d torrents", len(tr.torrents))
	}
}

func mustAnnounce(t *testing.T, tr *Tracker, q announceQuery, remote netip.Addr) announceResult {
	t.Helper()
	res, err := tr.announce(q, remote)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestLimits(t *testing.T) {
	tr, e := newClockTracker(Config{Interval: time.Minute, PeerTimeout: 2 * time.Minute, MaxTorrents: 2, MaxPeersPerTorrent: 3, MaxNumWant: 2})
	for i := byte(1); i <= 3; i++ {
		mustAnnounce(t, tr, query(i, 1000+uint16(i), 5), loopback)
	}
	if _, err := tr.announce(query(4, 1004, 5), loopback); err == nil || !strings.Contains(err.Error(), "torrent has 3 peers, the limit") {
		t.Fatalf("4th peer: %v", err)
	}
	big := query(1, 1001, 5)
	big.numWant = 100
	if res := mustAnnounce(t, tr, big, loopback); len(res.peers) != 2 {
		t.Errorf("numwant 100 with MaxNumWant 2 gave %d peers", len(res.peers))
	}
	q := query(1, 1001, 5)
	q.infoHash[0] = 0xaa
	mustAnnounce(t, tr, q, loopback)
	q.infoHash[0] = 0xbb
	if _, err := tr.announce(q, loopback); err == nil || !strings.Contains(err.Error(), "tracking 2 torrents, the limit") {
		t.Fatalf("3rd torrent: %v", err)
	}
	// Once the old ones expire there is room again.
	e.now = e.now.Add(3 * time.Minute)
	mustAnnounce(t, tr, q, loopback)
}

func TestKeyAndAddressPolicy(t *testing.T) {
	tr, _ := newClockTracker(Config{})
	public := netip.MustParseAddr("203.0.113.7")
	other := netip.MustParseAddr("198.51.100.1")
	q := query(1, 1001, 5)
	q.key = "k1"
	mustAnnounce(t, tr, q, public)
	q.key = "k2"
	if _, err := tr.announce(q, other); err == nil || !strings.Contains(err.Error(), "another key") {
		t.Fatalf("peer_id hijack from another address: %v", err)
	}
	q.key = "k1"
	mustAnnounce(t, tr, q, other) // the right key may move

	// ip= from a public source is ignored, with a warning.
	q2 := query(2, 1002, 5)
	q2.ip = netip.MustParseAddr("192.0.2.99")
	res := mustAnnounce(t, tr, q2, public)
	if !strings.Contains(res.warning, "ignored") || tr.torrents[testHash].byID[peerID(2)].addr4.Addr() != public {
		t.Fatalf("untrusted ip= honoured: %+v", res)
	}
	// From loopback it is honoured, and ipv6= adds an IPv6 endpoint.
	q3 := query(3, 1003, 5)
	q3.ip = netip.MustParseAddr("192.0.2.99")
	q3.ipv6, q3.ipv6Port = netip.MustParseAddr("2001:db8::1"), 7777
	mustAnnounce(t, tr, q3, loopback)
	p := tr.torrents[testHash].byID[peerID(3)]
	if p.addr4.String() != "192.0.2.99:1003" || p.addr6.String() != "[2001:db8::1]:7777" {
		t.Fatalf("trusted ip/ipv6: %v %v", p.addr4, p.addr6)
	}
}

func TestTLSPortListing(t *testing.T) {
	p := &peerEntry{addr4: netip.MustParseAddrPort("10.0.0.1:6881")}
	tests := []struct {
		tls          bool
		tlsPort      uint16
		requesterTLS bool
		port         uint16
		flag         byte
	}{
		{false, 0, true, 6881, 0},
		{true, 0, false, 6881, FlagTLS},
		{true, 0, true, 6881, FlagTLS},
		{true, 6882, true, 6882, FlagTLS},
		{true, 6882, false, 6881, 0},
	}
	for _, tt := range tests {
		p.tls, p.tlsPort = tt.tls, tt.tlsPort
		port, flag := p.listing(p.addr4, tt.requesterTLS)
		if port != tt.port || flag != tt.flag {
			t.Errorf("tls=%v tlsport=%d requester tls=%v: got %d/%#x, want %d/%#x",
				tt.tls, tt.tlsPort, tt.requesterTLS, port, flag, tt.port, tt.flag)
		}
	}
}

func TestSeedsGetNoSeeds(t *testing.T) {
	tr, _ := newClockTracker(Config{})
	mustAnnounce(t, tr, query(1, 1001, 0), loopback)
	mustAnnounce(t, tr, query(2, 1002, 7), loopback)
	res := mustAnnounce(t, tr, query(3, 1003, 0), loopback)
	if len(res.peers) != 1 || res.peers[0].id != peerID(2) || res.complete != 2 || res.incomplete != 1 {
		t.Fatalf("seed got %+v", res)
	}
}

func TestDefaultPeerTimeout(t *testing.T) {
	tests := []struct{ interval, want time.Duration }{
		{30 * time.Second, MinPeerTimeout},
		{30 * time.Minute, time.Hour},
	}
	for _, tt := range tests {
		tr, _ := newClockTracker(Config{Interval: tt.interval})
		if got := tr.Config().PeerTimeout; got != tt.want {
			t.Errorf("interval %v: PeerTimeout %v, want %v", tt.interval, got, tt.want)
		}
	}
}

// TestPickOrdersAtRandom: with fewer peers than numwant, every peer is
// returned, in a random order — not the order they joined, which would
// have every newcomer dial the same peers first.
func TestPickOrdersAtRandom(t *testing.T) {
	tr, _ := newClockTracker(Config{})
	const peers = 20
	for i := range peers {
		mustAnnounce(t, tr, query(byte(i+1), uint16(1001+i), 5), loopback)
	}
	firsts := map[[20]byte]int{}
	const asks = 40
	for range asks {
		res := mustAnnounce(t, tr, query(99, 1099, 5), loopback)
		if len(res.peers) != peers {
			t.Fatalf("%d peers returned, want all %d", len(res.peers), peers)
		}
		seen := map[[20]byte]bool{}
		for _, p := range res.peers {
			seen[p.id] = true
		}
		if len(seen) != peers {
			t.Fatalf("a response repeats peers: %d distinct of %d", len(seen), peers)
		}
		firsts[res.peers[0].id]++
	}
	// Uniform: each peer comes first with probability 1/20; 40 draws
	// hitting at most 5 distinct peers has probability below 1e-9.
	if len(firsts) <= 5 {
		t.Fatalf("over %d responses only %d distinct peers came first: %v", asks, len(firsts), firsts)
	}
}
