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
