package picker

import (
	"math/rand/v2"
	"testing"

	"github.com/bttls/bttls/protocol/bitfield"
)

func none(Block) bool { return false }

func newPicker(pieces int, pieceLen int64) *Picker {
	return New(pieces, pieceLen, int64(pieces)*pieceLen-100, rand.New(rand.NewPCG(1, 2)))
}

func TestPickFinishesStartedPiecesFirst(t *testing.T) {
	p := newPicker(10, 4*BlockSize)
	all := bitfield.Full(10)
	p.PeerHasAll(all)
	got := p.Pick(all, 2, none)
	if len(got) != 2 || got[0].Piece != got[1].Piece || got[1].Begin != BlockSize {
		t.Fatalf("first pick %v", got)
	}
	// The next pick continues the same piece before starting another.
	more := p.Pick(all, 3, none)
	if more[0].Piece != got[0].Piece || more[1].Piece != got[0].Piece || more[2].Piece == got[0].Piece {
		t.Fatalf("second pick %v after %v", more, got)
	}
}

func TestRarestFirst(t *testing.T) {
	p := newPicker(8, BlockSize)
	for i := range RandomFirst {
		p.PieceVerified(i) // past the random-first phase
	}
	// Pieces 4..7 held by 3, 1, 2, 3 peers.
	for i, n := range map[int]int{4: 3, 5: 1, 6: 2, 7: 3} {
		for range n {
			p.PeerHas(i)
		}
	}
	peer := bitfield.Full(8)
	var order []int
	for range 4 {
		b := p.Pick(peer, 1, none)
		order = append(order, b[0].Piece)
	}
	if order[0] != 5 || order[1] != 6 {
		t.Fatalf("order %v, want 5 then 6 first", order)
	}
}

func TestRarestTiesUniform(t *testing.T) {
	// Sixteen pieces, four verified (past random first). The peer holds
	// pieces 0..3 and 12, all equally rare: each must be about equally
	// likely. (Taking the first candidate after a random starting point
	// would pick 12 more than half the time: every start from 4 to 12
	// reaches it first.)
	peer := bitfield.New(16)
	for _, i := range []int{0, 1, 2, 3, 12} {
		peer.Set(i)
	}
	counts := map[int]int{}
	const runs = 2000
	for seed := range uint64(runs) {
		p := New(16, BlockSize, 16*BlockSize, rand.New(rand.NewPCG(seed, 7)))
		for _, i := range []int{8, 13, 14, 15} {
			p.PieceVerified(i)
		}
		p.PeerHasAll(bitfield.Full(16))
		b := p.Pick(peer, 1, none)
		if len(b) != 1 {
			t.Fatalf("seed %d: picked %v", seed, b)
		}
		counts[b[0].Piece]++
	}
	for _, i := range []int{0, 1, 2, 3, 12} {
		if c := counts[i]; c < runs/5-100 || c > runs/5+100 {
			t.Errorf("piece %d picked %d times of %d, want about %d: %v", i, c, runs, runs/5, counts)
		}
	}
}

func TestLastPieceShortBlock(t *testing.T) {
	p := New(2, 2*BlockSize, 2*BlockSize+100, rand.New(rand.NewPCG(1, 1)))
	if p.PieceSize(1) != 100 || p.BlockAt(1, 0).Length != 100 {
		t.Fatalf("last piece %d", p.PieceSize(1))
	}
	if p.Valid(Block{1, 0, BlockSize}) || !p.Valid(Block{1, 0, 100}) || p.Valid(Block{0, 1, BlockSize}) {
		t.Error("Valid wrong")
	}
}

func TestReceiveVerifyFailAndEndgame(t *testing.T) {
	p := newPicker(1, 2*BlockSize)
	all := bitfield.Full(1)
	a := p.Pick(all, 10, none)
	if len(a) != 2 {
		t.Fatalf("pick %v", a)
	}
	// Nothing free: a second peer gets endgame duplicates, but not blocks
	// it has outstanding itself.
	dup := p.Pick(all, 10, func(b Block) bool { return b == a[0] })
	if len(dup) != 1 || dup[0] != a[1] {
		t.Fatalf("endgame pick %v", dup)
	}
	if wanted, full := p.Received(a[0]); !wanted || full {
		t.Fatal("first block")
	}
	if wanted, full := p.Received(a[1]); !wanted || !full {
		t.Fatal("second block should complete the piece")
	}
	if wanted, _ := p.Received(dup[0]); wanted {
		t.Fatal("duplicate counted as wanted")
	}
	// A failed hash check frees the piece for download again.
	p.PieceFailed(0)
	if again := p.Pick(all, 10, none); len(again) != 2 {
		t.Fatalf("after failure %v", again)
	}
	p.PieceVerified(0)
	if !p.Done() || p.Wants(all) {
		t.Fatal("not done after verify")
	}
	if got := p.Pick(all, 10, none); len(got) != 0 {
		t.Fatalf("picked %v when done", got)
	}
}

func TestCancelledReturnsBlocks(t *testing.T) {
	p := newPicker(1, 3*BlockSize)
	all := bitfield.Full(1)
	a := p.Pick(all, 3, none)
	p.Cancelled(a[1])
	b := p.Pick(all, 3, func(b Block) bool { return b != a[1] })
	if len(b) != 1 || b[0] != a[1] {
		t.Fatalf("after cancel picked %v", b)
	}
}

func TestPickOnlyWhatPeerHas(t *testing.T) {
	p := newPicker(16, BlockSize)
	b := bitfield.New(16)
	b.Set(3)
	p.PeerHasAll(b)
	for range 3 {
		for _, blk := range p.Pick(b, 4, none) {
			if blk.Piece != 3 {
				t.Fatalf("picked piece %d the peer lacks", blk.Piece)
			}
		}
	}
}

func TestFreeCountStaysConsistent(t *testing.T) {
	p := newPicker(1, 2*BlockSize)
	all := bitfield.Full(1)
	a := p.Pick(all, 1, none)
	p.Received(a[0])
	// One block left, free: exactly it is picked.
	if b := p.Pick(all, 5, none); len(b) != 1 || b[0].Begin != BlockSize {
		t.Fatalf("picked %v", b)
	}
	// Cancelled, then the data arrives anyway: it completes the piece.
	p.Cancelled(p.BlockAt(0, 1))
	if _, full := p.Received(p.BlockAt(0, 1)); !full {
		t.Fatal("late block did not complete the piece")
	}
	if b := p.Pick(all, 5, none); len(b) != 0 {
		t.Fatalf("picked %v from a full piece", b)
	}
}

func TestNoDuplicatesBeforeEndgame(t *testing.T) {
	p := newPicker(4, BlockSize)
	all := bitfield.Full(4)
	one := bitfield.New(4)
	one.Set(0)
	p.PeerHasAll(all)
	p.PeerHasAll(one)
	// Peer A takes piece 0 (among others); peer B has only piece 0.
	a := p.Pick(one, 1, none)
	if len(a) != 1 || a[0].Piece != 0 {
		t.Fatalf("pick %v", a)
	}
	// Pieces 1..3 are unrequested, so this is not endgame: B gets nothing.
	if p.Endgame() {
		t.Fatal("endgame with unstarted pieces")
	}
	if b := p.Pick(one, 4, func(b Block) bool { return false }); len(b) != 0 {
		t.Fatalf("duplicate request %v before endgame", b)
	}
	// Everything else requested: now B may duplicate piece 0's block.
	p.Pick(all, 10, none)
	if !p.Endgame() {
		t.Fatal("not endgame with every block requested")
	}
	if b := p.Pick(one, 4, func(b Block) bool { return false }); len(b) != 1 {
		t.Fatalf("endgame pick %v", b)
	}
}

func TestRequestsCountsDuplicates(t *testing.T) {
	p := newPicker(1, BlockSize)
	all := bitfield.Full(1)
	a := p.Pick(all, 1, none)
	if p.Requests(a[0]) != 1 {
		t.Fatal("one request not counted")
	}
	dup := p.Pick(all, 1, none) // endgame: the same block again
	if len(dup) != 1 || p.Requests(a[0]) != 2 {
		t.Fatalf("endgame duplicate %v, requests %d", dup, p.Requests(a[0]))
	}
	p.Received(a[0])
	if p.Requests(a[0]) != 1 {
		t.Fatalf("after one copy arrived, %d requests left, want 1 (the duplicate to cancel)", p.Requests(a[0]))
	}
}
