package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestEventHeapOrder pushes events with clashing times, removes some, and
// checks that the rest come out in (at, seq) order.
func TestEventHeapOrder(t *testing.T) {
	for _, n := range []int{1, 2, 5, 17, 1000} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		var h eventHeap
		var all []*event
		for i := range n {
			e := &event{at: r.Int64N(10), seq: uint64(i)}
			h.push(e)
			all = append(all, e)
		}
		var want []*event
		for _, e := range all {
			if r.IntN(3) == 0 {
				h.remove(e)
				if e.index != -1 {
					t.Fatalf("n=%d: removed event keeps index %d", n, e.index)
				}
				continue
			}
			want = append(want, e)
		}
		slices.SortFunc(want, func(a, b *event) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return int(a.seq) - int(b.seq)
		})
		for i, w := range want {
			if got := h.pop(); got != w {
				t.Fatalf("n=%d: pop %d gave (%d,%d), want (%d,%d)", n, i, got.at, got.seq, w.at, w.seq)
			}
		}
		if len(h) != 0 {
			t.Fatalf("n=%d: %d events left", n, len(h))
		}
	}
}

// BenchmarkEventHeap: a queue of 100,000 pending events (a large swarm's
// deadlines and segments in flight), each step popping the earliest and
// pushing one a random time later.
func BenchmarkEventHeap(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var h eventHeap
	seq := uint64(0)
	for range 100000 {
		seq++
		h.push(&event{at: r.Int64N(1e9), seq: seq})
	}
	b.ResetTimer()
	for range b.N {
		e := h.pop()
		seq++
		e.at += 1 + r.Int64N(1e9)
		e.seq = seq
		h.push(e)
	}
}
