package sim

// event is one entry of the queue: at a virtual time, either resume a parked
// task or run a callback on the scheduler. seq breaks ties so that events at
// the same instant run in the order they were scheduled, on every run.
type event struct {
	at   int64 // virtual nanoseconds since the epoch
	seq  uint64
	task *task  // resume this task (fn nil), or
	fn   func() // run this on the scheduler (must not block); with task
	// set too, it is that task's deadline event (see armTimer)
}

// before is the queue's order: (at, seq), a total order, so the order
// events come out in does not depend on the heap's shape.
func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// eventHeap is a 4-ary min-heap of events stored by value. Four children
// per node halve the depth that every pop sifts through, with the children
// side by side in memory, and an event lives in the heap's own array: a
// swarm runs tens of millions of events, and one object per event (to be
// allocated, collected, and chased through a pointer at every comparison
// and swap) cost more than the events' own work in the queue. Cancelled
// events are not taken out (that needs each event's position, kept up to
// date at every swap); the Sim skips them when they come out (see Timer).
type eventHeap []event

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest event.
func (h *eventHeap) pop() event {
	old := *h
	n := len(old) - 1
	e := old[0]
	old[0] = old[n]
	old[n] = event{}
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	return e
}

func (h eventHeap) up(i int) {
	e := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (h eventHeap) down(i int) {
	n := len(h)
	e := h[i]
	for {
		l := 4*i + 1
		if l >= n {
			break
		}
		m := l
		for c := l + 1; c < l+4 && c < n; c++ {
			if h[c].before(&h[m]) {
				m = c
			}
		}
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}
