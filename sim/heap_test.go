package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestEventHeapOrder pushes events with clashing times and checks that
// they come out in (at, seq) order.
func TestEventHeapOrder(t *testing.T) {
	for _, n := range []int{1, 2, 5, 17, 1000} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		var h eventHeap
		var want []event
		for i := range n {
			e := event{at: r.Int64N(10), seq: uint64(i)}
			h.push(e)
			want = append(want, e)
		}
		slices.SortFunc(want, func(a, b event) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return int(a.seq) - int(b.seq)
		})
		for i, w := range want {
			if got := h.pop(); got.at != w.at || got.seq != w.seq {
				t.Fatalf("n=%d: pop %d gave (%d,%d), want (%d,%d)", n, i, got.at, got.seq, w.at, w.seq)
			}
		}
		if len(h) != 0 {
			t.Fatalf("n=%d: %d events left", n, len(h))
		}
	}
}

// TestTimerStop cancels some of many callbacks, some twice, some after they
// ran, and checks that exactly the others run, in order, and what Stop
// reports.
func TestTimerStop(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	r := rand.New(rand.NewPCG(3, 4))
	var ran []int
	timers := make([]Timer, 200)
	for i := range timers {
		timers[i] = s.At(time.Duration(r.IntN(50)), func() { ran = append(ran, i) })
	}
	cancelled := map[int]bool{}
	for i := range timers {
		if i%3 == 0 {
			if !timers[i].Stop() {
				t.Fatalf("timer %d: Stop of a pending callback reported false", i)
			}
			if timers[i].Stop() {
				t.Fatalf("timer %d: second Stop reported true", i)
			}
			cancelled[i] = true
		}
	}
	if err := s.RunUntil(25); err != nil {
		t.Fatal(err)
	}
	// Half-way: those that ran cannot be stopped; the others can.
	done := map[int]bool{}
	for _, i := range ran {
		done[i] = true
	}
	for i := range timers {
		if cancelled[i] || i%3 != 1 {
			continue
		}
		if got := timers[i].Stop(); got == done[i] {
			t.Fatalf("timer %d (ran: %v): Stop reported %v", i, done[i], got)
		}
		if !done[i] {
			cancelled[i] = true
		}
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, i := range ran {
		if cancelled[i] {
			t.Fatalf("cancelled callback %d ran", i)
		}
		seen[i] = true
	}
	for i := range timers {
		if !cancelled[i] && !seen[i] {
			t.Fatalf("callback %d never ran", i)
		}
	}
	if s.Events() != uint64(len(ran)) {
		t.Fatalf("%d events counted for %d callbacks run", s.Events(), len(ran))
	}
	if len(s.cancelled) != 0 {
		t.Fatalf("%d cancelled events still tracked after the run", len(s.cancelled))
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
		h.push(event{at: r.Int64N(1e9), seq: seq})
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

// TestStaleDeadline: a task whose deadline moves earlier leaves its old
// deadline event in the queue; when that event comes out it neither wakes
// the task nor counts as an event.
func TestStaleDeadline(t *testing.T) {
	s := New(Config{Seed: 1})
	defer s.Close()
	var q WaitQueue
	var got []string
	s.Go("waiter", func() {
		ok := s.Wait(&q, Epoch.Add(10*time.Second), "far")
		got = append(got, fmt.Sprintf("%v %v", s.Now(), ok))
		ok = s.Wait(&q, Epoch.Add(2*time.Second), "near")
		got = append(got, fmt.Sprintf("%v %v", s.Now(), ok))
		ok = s.Wait(&q, time.Time{}, "none")
		got = append(got, fmt.Sprintf("%v %v", s.Now(), ok))
	})
	s.At(time.Second, func() { s.WakeAll(&q) })
	s.At(20*time.Second, func() { s.WakeAll(&q) })
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{"1s true", "2s false", "20s true"}
	if !slices.Equal(got, want) {
		t.Fatalf("waits ended %q, want %q", got, want)
	}
	// The first resume, two callbacks, the 2 s deadline and the three
	// resumes they make (the stale 10 s deadline is not one).
	if n := s.Events(); n != 7 {
		t.Fatalf("%d events, want 7", n)
	}
}
