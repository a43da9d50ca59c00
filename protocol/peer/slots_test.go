package peer

import (
	"slices"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/meta"
	"github.com/bttls/bttls/protocol/session"
	"github.com/bttls/bttls/protocol/storage"
	"github.com/bttls/bttls/protocol/wire"
)

// TestFreeSlotsFilledBetweenRounds has a seed with one upload slot and a
// choker round too long to come again during the test: the leechers that
// connect after the first round are served only if a free slot is filled
// at once: the first to show interest takes the slot, and the others only
// get it if the slot it frees on completing (it loses interest, then
// disconnects) passes on without waiting for a round.
func TestFreeSlotsFilledBetweenRounds(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 32<<10)
	seedCfg := fastConfig()
	seedCfg.UploadSlots = 1
	seedCfg.ChokeInterval = time.Hour
	seed := newClient(t, seedCfg)
	addSeed(t, seed, tor, data)
	// Let the seed run its one round while it has no peers.
	time.Sleep(4 * seedCfg.Tick)
	var leechers []*Torrent
	for range 3 {
		cfg := fastConfig()
		cfg.ListenAddr = "" // they only dial the seed, never each other
		cfg.ChokeInterval = time.Hour
		c := newClient(t, cfg)
		ls, _ := storage.NewMemory(tor, nil)
		lt, err := c.AddTorrent(tor, ls)
		if err != nil {
			t.Fatal(err)
		}
		lt.AddPeers(seed.Addr().String())
		leechers = append(leechers, lt)
	}
	waitComplete(t, 10*time.Second, leechers...)
}

// TestFreeSlotsTiesAtRandom: while every rate is equal (a torrent's first
// round, before anyone has sent anything), free slots go to interested
// peers at random, not to the earliest connections. In ID order the same
// early connections got every slot of every peer in a flash crowd, and
// with one seed which leechers those were (fast or slow uploaders) decided
// how fast the swarm spread, through the order in which connections
// happened to complete: most of why a swarm all on TLS (or all plaintext)
// finished later than an all-MSE one in the adoption study.
func TestFreeSlotsTiesAtRandom(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 32<<10)
	const peers, slots = 8, 2
	firstOnly := 0
	const trials = 20
	for range trials {
		c, tr := newSeedTorrent(t, tor, data, slots)
		tr.mu.Lock()
		now := c.e.Now()
		for i := range peers {
			s := session.New(session.Config{}, tr.picker, now)
			if err := s.Step(wire.Message{Type: wire.Interested}, now); err != nil {
				t.Fatal(err)
			}
			tr.conns = append(tr.conns, &conn{t: tr, id: uint64(i + 1), sess: s, wake: c.e.NewSignal()})
		}
		tr.fillSlotsLocked()
		var unchoked []uint64
		for _, cn := range tr.conns {
			if !cn.sess.AmChoking() {
				unchoked = append(unchoked, cn.id)
			}
		}
		tr.conns = nil
		tr.mu.Unlock()
		if len(unchoked) != slots {
			t.Fatalf("unchoked %v, want %d peers", unchoked, slots)
		}
		if unchoked[0] == 1 && unchoked[1] == 2 {
			firstOnly++
		}
	}
	// At random, the first two of eight take both slots once in 28.
	if firstOnly > trials/2 {
		t.Fatalf("the two earliest connections took the free slots %d times in %d", firstOnly, trials)
	}
}

// TestSeedUnchokesThoseThatLackMost: a seed's choker round, run every tick,
// unchokes the interested peers that lack the most pieces, so a peer it
// has just served gives its slot to one it has not.
func TestSeedUnchokesThoseThatLackMost(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 32<<10) // 32 pieces
	c, tr := newSeedTorrent(t, tor, data, 3)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tick := c.cfg.Tick
	if got := tr.chokeIntervalLocked(); got != tick {
		t.Fatalf("a seed's choker round is %v, want every tick (%v)", got, tick)
	}
	now := c.e.Now()
	// Peers 1–4 have 30, 0, 10 and 0 of the 32 pieces.
	for i, have := range []int{30, 0, 10, 0} {
		s := session.New(session.Config{}, tr.picker, now)
		for p := range have {
			if err := s.Step(wire.Message{Type: wire.Have, Index: uint32(p)}, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Step(wire.Message{Type: wire.Interested}, now); err != nil {
			t.Fatal(err)
		}
		tr.conns = append(tr.conns, &conn{t: tr, id: uint64(i + 1), sess: s, wake: c.e.NewSignal()})
	}
	defer func() { tr.conns = nil }()
	for round := range 5 {
		tr.runChokerLocked(now.Add(time.Duration(round+1) * tick))
		var unchoked []uint64
		for _, cn := range tr.conns {
			if !cn.sess.AmChoking() {
				unchoked = append(unchoked, cn.id)
			}
		}
		// The two regular slots go to the peers with nothing (2 and 4),
		// the optimistic one to one of the others. (Ranked by rate, all
		// zero here, both would be unchoked in half the rounds.)
		if len(unchoked) != 3 || !slices.Contains(unchoked, 2) || !slices.Contains(unchoked, 4) {
			t.Fatalf("round %d: unchoked %v, want 2 and 4 (they lack every piece) and one other", round, unchoked)
		}
	}
}

// newSeedTorrent returns a client that seeds tor (data) with slots upload
// slots and does not listen, for tests that drive its choker by hand.
func newSeedTorrent(t *testing.T, tor *meta.Torrent, data []byte, slots int) (*Client, *Torrent) {
	t.Helper()
	cfg := fastConfig()
	cfg.ListenAddr = ""
	cfg.UploadSlots = slots
	c := newClient(t, cfg)
	return c, addSeed(t, c, tor, data)
}

// TestLeecherLendsFreeSlots: a leecher lends the slots no interested peer
// uses to peers that are not interested yet (never to seeds), so that a
// request can follow its next HAVE at once; interested peers get their
// slots first, and lent ones they need are taken back.
func TestLeecherLendsFreeSlots(t *testing.T) {
	tor, _ := makeTorrent(t, 1<<20, 32<<10) // 32 pieces
	cfg := fastConfig()
	cfg.ListenAddr = ""
	cfg.UploadSlots = 2
	c := newClient(t, cfg)
	ls, err := storage.NewMemory(tor, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.AddTorrent(tor, ls)
	if err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	defer func() { tr.conns = nil }()
	now := c.e.Now()
	// Peer 1 is a seed; peers 2–5 have nothing; nobody is interested.
	for i := range 5 {
		s := session.New(session.Config{}, tr.picker, now)
		if i == 0 {
			for p := range tr.picker.NumPieces() {
				if err := s.Step(wire.Message{Type: wire.Have, Index: uint32(p)}, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		tr.conns = append(tr.conns, &conn{t: tr, id: uint64(i + 1), sess: s, wake: c.e.NewSignal()})
	}
	unchoked := func() (interested, lent []uint64) {
		for _, cn := range tr.conns {
			if !cn.sess.AmChoking() {
				if cn.sess.PeerInterested() {
					interested = append(interested, cn.id)
				} else {
					lent = append(lent, cn.id)
				}
			}
		}
		return interested, lent
	}
	tr.fillSlotsLocked()
	if in, lent := unchoked(); len(in) != 0 || len(lent) != 2 || slices.Contains(lent, 1) {
		t.Fatalf("nobody interested: unchoked interested %v, lent %v; want two lent slots, none to the seed (1)", in, lent)
	}
	// Two peers that were not lent a slot become interested: they take
	// both slots, and the lent ones are taken back.
	_, lent := unchoked()
	var want []uint64
	for _, cn := range tr.conns[1:] {
		if !slices.Contains(lent, cn.id) && len(want) < 2 {
			if err := cn.sess.Step(wire.Message{Type: wire.Interested}, now); err != nil {
				t.Fatal(err)
			}
			want = append(want, cn.id)
		}
	}
	tr.fillSlotsLocked()
	if in, lent := unchoked(); !slices.Equal(in, want) || len(lent) != 0 {
		t.Fatalf("two interested: unchoked interested %v, lent %v; want %v and none lent", in, lent, want)
	}
	// One loses interest: it keeps its slot (BEP 3 lets it), so nothing
	// else is unchoked.
	for _, cn := range tr.conns {
		if cn.id == want[0] {
			if err := cn.sess.Step(wire.Message{Type: wire.NotInterested}, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	tr.fillSlotsLocked()
	if in, lent := unchoked(); !slices.Equal(in, want[1:]) || !slices.Equal(lent, want[:1]) {
		t.Fatalf("one lost interest: unchoked interested %v, lent %v; want %v and %v", in, lent, want[1:], want[:1])
	}
}

// TestSeedLendsNoSlots: a seed's peers that are not interested never will
// be, so it lends them no slot.
func TestSeedLendsNoSlots(t *testing.T) {
	tor, data := makeTorrent(t, 1<<20, 32<<10)
	c, tr := newSeedTorrent(t, tor, data, 2)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	defer func() { tr.conns = nil }()
	for i := range 3 {
		s := session.New(session.Config{}, tr.picker, c.e.Now())
		tr.conns = append(tr.conns, &conn{t: tr, id: uint64(i + 1), sess: s, wake: c.e.NewSignal()})
	}
	tr.fillSlotsLocked()
	for _, cn := range tr.conns {
		if !cn.sess.AmChoking() {
			t.Fatalf("the seed unchoked peer %d, which is not interested", cn.id)
		}
	}
}
