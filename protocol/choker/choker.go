// Package choker decides which peers may download from us (BEP 3's
// tit-for-tat): every round (10 s) the interested peers that gave us the
// best download rate keep their slots — or, when we seed, those we upload
// to fastest, so the swarm gets the most from our upload — and every third
// round (30 s) one more interested peer is unchoked at random, so newcomers
// get a chance to prove themselves. Between rounds, Fill hands slots that
// fell free to waiting peers.
//
// Peers with equal rates are ranked at random, not by ID: at the start of a
// flash crowd every rate is zero, and a fixed order hands every slot to
// the same early connections round after round, starving peers that
// connected late (in sim/swarm's Kumar–Ross flash crowd, the last peer to
// finish had been unchoked by one or two of its thirty neighbours until
// the round at 10 s).
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
	// Round is how often the caller should call Run.
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
	c.rank(cands)
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

// Fill picks up to free of cands, the interested peers we choke, to
// unchoke between rounds (when unchoked peers lose interest or leave):
// best rate first, ties at random. Snubbed peers are skipped unless
// seeding, as in Run. The IDs come back best first.
func (c *Choker) Fill(cands []Peer, free int, seeding bool) []uint64 {
	if free <= 0 {
		return nil
	}
	pool := make([]Peer, 0, len(cands))
	for _, p := range cands {
		if p.Interested && (seeding || !p.Snubbed) {
			pool = append(pool, p)
		}
	}
	c.rank(pool)
	out := make([]uint64, 0, min(free, len(pool)))
	for _, p := range pool[:min(free, len(pool))] {
		out = append(out, p.ID)
	}
	return out
}

// rank sorts peers best rate first, equal rates in random order. The
// shuffle starts from ID order, so the result depends on the random source
// only, never on the order the caller listed peers in.
func (c *Choker) rank(peers []Peer) {
	slices.SortFunc(peers, func(a, b Peer) int { return cmp.Compare(a.ID, b.ID) })
	c.rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
	slices.SortStableFunc(peers, func(a, b Peer) int { return cmp.Compare(b.Rate, a.Rate) })
}
