package choker

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTitForTat(t *testing.T) {
	c := New(4, rand.New(rand.NewPCG(1, 1)))
	peers := []Peer{
		{ID: 1, Interested: true, Rate: 100},
		{ID: 2, Interested: true, Rate: 500},
		{ID: 3, Interested: false, Rate: 900},
		{ID: 4, Interested: true, Rate: 300},
		{ID: 5, Interested: true, Rate: 200},
		{ID: 6, Interested: true, Rate: 50, Snubbed: true},
	}
	got := c.Run(peers, false)
	// Three regular slots: 2, 4, 5 by rate; the fourth goes optimistically to 1 or 6.
	if len(got) != 4 || !slices.Contains(got, 2) || !slices.Contains(got, 4) || !slices.Contains(got, 5) || slices.Contains(got, 3) {
		t.Fatalf("unchoked %v", got)
	}
	opt := got[0]
	if opt != 1 && opt != 6 {
		t.Fatalf("optimistic %d", opt)
	}
	// The optimistic unchoke lasts three rounds.
	for range 2 {
		if again := c.Run(peers, false); !slices.Equal(again, got) {
			t.Fatalf("round changed %v -> %v", got, again)
		}
	}
	// Over many rotations both non-regular interested peers get a turn.
	seen := map[uint64]bool{}
	for range 30 {
		for _, id := range c.Run(peers, false) {
			seen[id] = true
		}
	}
	if !seen[1] || !seen[6] || seen[3] {
		t.Errorf("optimistic rotation saw %v", seen)
	}
}

func TestSeedingUsesUploadRateAndIgnoresSnub(t *testing.T) {
	c := New(2, rand.New(rand.NewPCG(2, 2)))
	peers := []Peer{
		{ID: 1, Interested: true, Rate: 10, Snubbed: true},
		{ID: 2, Interested: true, Rate: 5},
	}
	got := c.Run(peers, true)
	if len(got) != 2 {
		t.Fatalf("unchoked %v", got)
	}
}

func TestFewPeers(t *testing.T) {
	c := New(4, rand.New(rand.NewPCG(3, 3)))
	if got := c.Run(nil, false); len(got) != 0 {
		t.Fatalf("unchoked %v with no peers", got)
	}
	if got := c.Run([]Peer{{ID: 9, Interested: true}}, false); !slices.Equal(got, []uint64{9}) {
		t.Fatalf("unchoked %v", got)
	}
}

func TestTiesAtRandom(t *testing.T) {
	// Ten interested peers, nobody has sent anything yet: the three regular
	// slots must not go to the three lowest IDs every time.
	peers := make([]Peer, 10)
	for i := range peers {
		peers[i] = Peer{ID: uint64(i + 1), Interested: true}
	}
	regular := map[uint64]int{}
	for seed := range uint64(40) {
		c := New(4, rand.New(rand.NewPCG(seed, seed)))
		got := c.Run(peers, false)
		if len(got) != 4 {
			t.Fatalf("seed %d: unchoked %v", seed, got)
		}
		for _, id := range got {
			regular[id]++
		}
	}
	for _, p := range peers {
		if regular[p.ID] == 0 {
			t.Errorf("peer %d never unchoked in 40 choker runs: %v", p.ID, regular)
		}
	}
	// A better rate still wins over any draw.
	fast := slices.Clone(peers)
	fast[9].Rate = 1
	for seed := range uint64(10) {
		c := New(4, rand.New(rand.NewPCG(seed, seed)))
		if got := c.Run(fast, false); !slices.Contains(got, 10) {
			t.Fatalf("seed %d: the only peer that sent data was choked: %v", seed, got)
		}
	}
}

func TestOrderOfPeersDoesNotMatter(t *testing.T) {
	peers := []Peer{
		{ID: 4, Interested: true}, {ID: 9, Interested: true}, {ID: 2, Interested: true, Rate: 7},
		{ID: 7, Interested: true}, {ID: 5, Interested: true}, {ID: 1, Interested: true},
	}
	rev := slices.Clone(peers)
	slices.Reverse(rev)
	a := New(3, rand.New(rand.NewPCG(5, 5)))
	b := New(3, rand.New(rand.NewPCG(5, 5)))
	for range 5 {
		if x, y := a.Run(peers, false), b.Run(rev, false); !slices.Equal(x, y) {
			t.Fatalf("same seed, peers listed in another order: %v vs %v", x, y)
		}
		if x, y := a.Fill(peers, 2, false), b.Fill(rev, 2, false); !slices.Equal(x, y) {
			t.Fatalf("Fill: same seed, peers listed in another order: %v vs %v", x, y)
		}
	}
}

func TestFill(t *testing.T) {
	c := New(4, rand.New(rand.NewPCG(4, 4)))
	cands := []Peer{
		{ID: 1, Interested: true, Rate: 10},
		{ID: 2, Interested: true, Rate: 300},
		{ID: 3, Interested: false, Rate: 900},
		{ID: 4, Interested: true, Rate: 900, Snubbed: true},
		{ID: 5, Interested: true, Rate: 200},
	}
	if got := c.Fill(cands, 2, false); !slices.Equal(got, []uint64{2, 5}) {
		t.Errorf("leeching: filled %v, want the two best unsnubbed interested peers [2 5]", got)
	}
	if got := c.Fill(cands, 2, true); !slices.Equal(got, []uint64{4, 2}) {
		t.Errorf("seeding: filled %v, want [4 2] (snubbing does not count)", got)
	}
	if got := c.Fill(cands, 10, false); !slices.Equal(got, []uint64{2, 5, 1}) {
		t.Errorf("more free slots than candidates: filled %v", got)
	}
	if got := c.Fill(cands, 0, false); len(got) != 0 {
		t.Errorf("no free slot: filled %v", got)
	}
	// Equal rates: over many fills every candidate gets the one free slot.
	tied := []Peer{{ID: 1, Interested: true}, {ID: 2, Interested: true}, {ID: 3, Interested: true}}
	seen := map[uint64]bool{}
	for range 30 {
		got := c.Fill(tied, 1, false)
		if len(got) != 1 {
			t.Fatalf("filled %v", got)
		}
		seen[got[0]] = true
	}
	if len(seen) != 3 {
		t.Errorf("one free slot among equals went to %v only", seen)
	}
}
