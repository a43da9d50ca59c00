// Package choker decides which peers may download from us (BEP 3's
// tit-for-tat): every round (10 s) the interested peers that gave us the
// best download rate keep their slots — or, when we seed, those we upload
// to fastest, so the swarm gets the most from our upload — and every third
// round (30 s) one more interested peer is unchoked at random, so newcomers
// get a chance to prove themselves.
//
// It is a plain state machine: the caller supplies the time and the rates.
package choker

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

const (
	// Round is how often the caller should call Round.
	Round = 10 * time.Second
	// OptimisticEvery is how many rounds an optimistic unchoke lasts.
	OptimisticEvery = 3
	// DefaultSlots is the number of upload slots, the optimistic one included.
	DefaultSlots = 4
)

// Peer is what the choker knows of one connection.
type Peer struct {
	// ID is the caller's handle for the connection; IDs must be unique.
	ID uint64
	// Interested is whether the peer wants our pieces.
	Interested bool
	// Rate is bytes per second: what the peer gave us while we leech, what
	// we gave it while we seed.
	Rate float64
	// Snubbed peers (no data from them for a long time) lose their
	// regular slot while we leech.
	Snubbed bool
}

// Choker remembers the optimistic unchoke between rounds.
type Choker struct {
	// Slots is the number of unchoked peers, optimistic included.
	Slots      int
	rand       *rand.Rand
	round      int
	optimistic uint64
	hasOpt     bool
}

// New returns a choker with slots upload slots (DefaultSlots if < 1).
func New(slots int, r *rand.Rand) *Choker {
	if slots < 1 {
		slots = DefaultSlots
	}
	return &Choker{Slots: slots, rand: r}
}

// Run computes one round: it returns the IDs to unchoke, sorted; every
// other peer is choked.
func (c *Choker) Run(peers []Peer, seeding bool) []uint64 {
	c.round++
	cands := make([]Peer, 0, len(peers))
	for _, p := range peers {
		if p.Interested && (seeding || !p.Snubbed) {
			cands = append(cands, p)
		}
	}
	// Best rate first; ID breaks ties so the result does not depend on the
	// order the caller listed peers in.
	slices.SortFunc(cands, func(a, b Peer) int {
		if c := cmp.Compare(b.Rate, a.Rate); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	regular := min(c.Slots-1, len(cands))
	if c.Slots == 1 {
		regular = min(1, len(cands))
	}
	unchoke := make([]uint64, 0, c.Slots)
	chosen := map[uint64]bool{}
	for _, p := range cands[:regular] {
		unchoke = append(unchoke, p.ID)
		chosen[p.ID] = true
	}
	rest := cands[regular:]
	// Keep the optimistic peer for OptimisticEvery rounds while it is still
	// a candidate; otherwise draw a new one.
	keep := c.hasOpt && c.round%OptimisticEvery != 1 && slices.ContainsFunc(rest, func(p Peer) bool { return p.ID == c.optimistic })
	if !keep {
		c.hasOpt = false
		// Snubbed peers may still win the optimistic slot: that is how they
		// get a second chance.
		var pool []uint64
		for _, p := range peers {
			if p.Interested && !chosen[p.ID] {
				pool = append(pool, p.ID)
			}
		}
		slices.Sort(pool)
		if len(pool) > 0 && c.Slots > 1 {
			c.optimistic, c.hasOpt = pool[c.rand.IntN(len(pool))], true
		}
	}
	if c.hasOpt && !chosen[c.optimistic] {
		unchoke = append(unchoke, c.optimistic)
	}
	slices.Sort(unchoke)
	return unchoke
}
