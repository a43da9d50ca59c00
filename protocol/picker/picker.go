// Package picker decides which blocks to request from which peer: random
// first pieces (so a new peer soon has something to trade), then rarest
// first, finishing started pieces before starting new ones, and endgame
// (duplicate requests for the last blocks) when nothing is left unrequested.
//
// It is a plain state machine: no clock, no I/O, no locking. One Picker
// serves one torrent; the caller serialises calls.
package picker

import (
	"math/rand/v2"
	"slices"

	"github.com/bttls/bttls/protocol/bitfield"
)

// BlockSize is the request size (BEP 3).
const BlockSize = 16 << 10

// RandomFirst is how many pieces are picked at random before rarest first.
const RandomFirst = 4

// Block is one request: Length bytes at Begin of piece Piece.
type Block struct {
	Piece, Begin, Length int
}

type partial struct {
	requested []uint8 // how many peers each block is requested from
	received  []bool
	nReceived int
	// nFree counts blocks neither received nor requested.
	nFree int
}

// Picker tracks what the torrent has, what peers have and what is in flight.
type Picker struct {
	pieceLength int64
	length      int64
	have        bitfield.Bitfield
	avail       []int
	partials    map[int]*partial
	// order lists in-progress pieces oldest first (maps have no stable order).
	order []int
	rand  *rand.Rand
}

// New returns a picker for a torrent of length bytes in pieces of pieceLength.
func New(numPieces int, pieceLength, length int64, r *rand.Rand) *Picker {
	return &Picker{
		pieceLength: pieceLength,
		length:      length,
		have:        bitfield.New(numPieces),
		avail:       make([]int, numPieces),
		partials:    map[int]*partial{},
		rand:        r,
	}
}

// NumPieces is the torrent's piece count.
func (p *Picker) NumPieces() int { return p.have.Len() }

// Have reports whether piece i is verified.
func (p *Picker) Have(i int) bool { return p.have.Has(i) }

// Bitfield returns a copy of the verified pieces.
func (p *Picker) Bitfield() bitfield.Bitfield {
	b, _ := bitfield.FromWire(p.have.Wire(), p.have.Len())
	return b
}

// NumHave is the number of verified pieces.
func (p *Picker) NumHave() int { return p.have.Count() }

// Done reports whether every piece is verified.
func (p *Picker) Done() bool { return p.have.Complete() }

// PieceSize is the length of piece i.
func (p *Picker) PieceSize(i int) int {
	if i == p.have.Len()-1 {
		return int(p.length - int64(i)*p.pieceLength)
	}
	return int(p.pieceLength)
}

func (p *Picker) numBlocks(i int) int { return (p.PieceSize(i) + BlockSize - 1) / BlockSize }

// BlockAt returns block number j of piece i.
func (p *Picker) BlockAt(i, j int) Block {
	begin := j * BlockSize
	return Block{Piece: i, Begin: begin, Length: min(BlockSize, p.PieceSize(i)-begin)}
}

// Valid reports whether b is exactly one of the blocks this picker requests.
func (p *Picker) Valid(b Block) bool {
	if b.Piece < 0 || b.Piece >= p.have.Len() || b.Begin < 0 || b.Begin%BlockSize != 0 {
		return false
	}
	j := b.Begin / BlockSize
	return j < p.numBlocks(b.Piece) && p.BlockAt(b.Piece, j) == b
}

// PeerHas records that one more peer has piece i.
func (p *Picker) PeerHas(i int) {
	if i >= 0 && i < len(p.avail) {
		p.avail[i]++
	}
}

// PeerHasAll records a peer's whole bitfield.
func (p *Picker) PeerHasAll(b bitfield.Bitfield) {
	for i := range p.avail {
		if b.Has(i) {
			p.avail[i]++
		}
	}
}

// PeerGone removes a departed peer's pieces from the availability counts.
func (p *Picker) PeerGone(b bitfield.Bitfield) {
	for i := range p.avail {
		if b.Has(i) && p.avail[i] > 0 {
			p.avail[i]--
		}
	}
}

// Wants reports whether a peer with pieces b has a piece we lack.
func (p *Picker) Wants(b bitfield.Bitfield) bool {
	if b.Count() == 0 || p.Done() {
		return false
	}
	for i := range p.avail {
		if b.Has(i) && !p.have.Has(i) {
			return true
		}
	}
	return false
}

// WantsPiece reports whether piece i is missing.
func (p *Picker) WantsPiece(i int) bool { return i >= 0 && i < p.have.Len() && !p.have.Has(i) }

// Pick returns up to n blocks to request from a peer holding pieces b, and
// counts them as requested. outstanding reports blocks already requested
// from this peer (skipped in endgame, where blocks are requested twice).
func (p *Picker) Pick(b bitfield.Bitfield, n int, outstanding func(Block) bool) []Block {
	var out []Block
	// Finish what is started, oldest first.
	for _, i := range p.order {
		if len(out) >= n {
			return out
		}
		if b.Has(i) {
			out = p.takeFree(i, n, out)
		}
	}
	// Then start new pieces.
	for len(out) < n {
		i := p.choose(b)
		if i < 0 {
			break
		}
		p.start(i)
		out = p.takeFree(i, n, out)
	}
	if len(out) > 0 || !p.Endgame() {
		return out
	}
	// Endgame: every missing block is requested from someone; ask this
	// peer too for blocks in flight elsewhere. The caller cancels the
	// duplicates when one copy arrives.
	for _, i := range p.order {
		pp := p.partials[i]
		if !b.Has(i) {
			continue
		}
		for j := range pp.requested {
			if len(out) >= n {
				return out
			}
			blk := p.BlockAt(i, j)
			if pp.received[j] || pp.requested[j] >= 2 || outstanding(blk) {
				continue
			}
			pp.requested[j]++
			out = append(out, blk)
		}
	}
	return out
}

func (p *Picker) takeFree(i, n int, out []Block) []Block {
	pp := p.partials[i]
	if pp.nFree == 0 {
		return out
	}
	for j := range pp.requested {
		if len(out) >= n {
			break
		}
		if pp.requested[j] == 0 && !pp.received[j] {
			pp.requested[j] = 1
			pp.nFree--
			out = append(out, p.BlockAt(i, j))
		}
	}
	return out
}

// choose picks a missing, unstarted piece the peer has: at random for the
// first RandomFirst pieces, else the rarest, ties at random. Every piece
// among the rarest is equally likely (reservoir sampling): taking the
// first one found after a random starting point instead favours pieces
// that follow long runs of pieces we cannot pick, so in a flash crowd the
// peers start the same pieces and have less to trade.
func (p *Picker) choose(b bitfield.Bitfield) int {
	n := len(p.avail)
	if n == 0 {
		return -1
	}
	if p.have.Count() < RandomFirst {
		start := p.rand.IntN(n)
		for k := range n {
			i := start + k
			if i >= n {
				i -= n
			}
			if p.pickable(b, i) {
				return i
			}
		}
		return -1
	}
	best, bestAvail, ties := -1, 0, 0
	for i := range n {
		if !p.pickable(b, i) {
			continue
		}
		switch a := p.avail[i]; {
		case best < 0 || a < bestAvail:
			best, bestAvail, ties = i, a, 1
		case a == bestAvail:
			ties++
			if p.rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
}

// pickable reports whether piece i can be started from a peer holding b.
func (p *Picker) pickable(b bitfield.Bitfield, i int) bool {
	return b.Has(i) && !p.have.Has(i) && p.partials[i] == nil
}

func (p *Picker) start(i int) {
	nb := p.numBlocks(i)
	p.partials[i] = &partial{requested: make([]uint8, nb), received: make([]bool, nb), nFree: nb}
	p.order = append(p.order, i)
}

// Cancelled returns a request that will not be answered (choke, reject,
// disconnect, timeout) to the pool.
func (p *Picker) Cancelled(b Block) {
	pp := p.partials[b.Piece]
	if pp == nil || !p.Valid(b) {
		return
	}
	j := b.Begin / BlockSize
	if pp.requested[j] > 0 {
		pp.requested[j]--
		if pp.requested[j] == 0 && !pp.received[j] {
			pp.nFree++
		}
	}
}

// Received records a block's data and reports whether it was wanted (not a
// duplicate) and whether the piece now has all its blocks.
func (p *Picker) Received(b Block) (wanted, full bool) {
	pp := p.partials[b.Piece]
	if pp == nil || !p.Valid(b) {
		return false, false
	}
	j := b.Begin / BlockSize
	wasFree := pp.requested[j] == 0 && !pp.received[j]
	if pp.requested[j] > 0 {
		pp.requested[j]--
	}
	if pp.received[j] {
		return false, false
	}
	if wasFree {
		// An unrequested block arrived (its request had been cancelled):
		// it is no longer free.
		pp.nFree--
	}
	pp.received[j] = true
	pp.nReceived++
	return true, pp.nReceived == len(pp.received)
}

// Requests is how many peers block b is still requested from (after a
// Received, the endgame duplicates to cancel).
func (p *Picker) Requests(b Block) int {
	pp := p.partials[b.Piece]
	if pp == nil || !p.Valid(b) {
		return 0
	}
	return int(pp.requested[b.Begin/BlockSize])
}

// PieceVerified marks piece i complete.
func (p *Picker) PieceVerified(i int) {
	p.have.Set(i)
	p.drop(i)
}

// PieceFailed forgets piece i's blocks after a failed hash check, so it is
// downloaded again.
func (p *Picker) PieceFailed(i int) { p.drop(i) }

func (p *Picker) drop(i int) {
	if p.partials[i] == nil {
		return
	}
	delete(p.partials, i)
	if k := slices.Index(p.order, i); k >= 0 {
		p.order = slices.Delete(p.order, k, k+1)
	}
}

// Endgame reports whether every missing block is requested: no piece is
// left unstarted and no started piece has a free block. Only then are
// blocks requested twice; earlier, a peer with nothing new to offer simply
// gets no requests.
func (p *Picker) Endgame() bool {
	if p.have.Count()+len(p.order) < p.have.Len() {
		return false
	}
	for _, i := range p.order {
		if p.partials[i].nFree > 0 {
			return false
		}
	}
	return true
}
