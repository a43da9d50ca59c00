package peer

import (
	"testing"
	"time"

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
	ss, _ := storage.NewMemory(tor, data)
	if _, err := seed.AddTorrent(tor, ss); err != nil {
		t.Fatal(err)
	}
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
		cfg := fastConfig()
		cfg.ListenAddr = ""
		cfg.UploadSlots = slots
		c := newClient(t, cfg)
		ss, _ := storage.NewMemory(tor, data)
		tr, err := c.AddTorrent(tor, ss)
		if err != nil {
			t.Fatal(err)
		}
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
