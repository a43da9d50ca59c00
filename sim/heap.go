package sim

// event is one entry of the queue: at a virtual time, either resume a parked
// task or run a callback on the scheduler. seq breaks ties so that events at
// the same instant run in the order they were scheduled, on every run.
type event struct {
	at    int64 // virtual nanoseconds since the epoch
	seq   uint64
	task  *task  // resume this task, or
	fn    func() // run this on the scheduler (must not block)
	index int    // position in the heap; -1 once popped or cancelled
}

// eventHeap is a 4-ary min-heap on (at, seq) that supports removal, so
// cancelled timers (read deadlines, dial timeouts) do not pile up. Four
// children per node halve the depth that every pop sifts through, with the
// children side by side in memory; each entry carries its event's (at,
// seq), so comparing children reads the heap's own array instead of four
// events scattered over the heap. (at, seq) is a total order, so the order
// events come out in does not depend on the heap's shape.
type eventHeap []heapEntry

type heapEntry struct {
	at  int64
	seq uint64
	e   *event
}

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h eventHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].e.index = i
	h[j].e.index = j
}

func (h *eventHeap) push(e *event) {
	e.index = len(*h)
	*h = append(*h, heapEntry{e.at, e.seq, e})
	h.up(e.index)
}

func (h *eventHeap) pop() *event {
	old := *h
	n := len(old) - 1
	old.swap(0, n)
	e := old[n].e
	old[n] = heapEntry{}
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
	e.index = -1
	return e
}

func (h *eventHeap) remove(e *event) {
	i := e.index
	if i < 0 {
		return
	}
	old := *h
	n := len(old) - 1
	if i != n {
		old.swap(i, n)
	}
	old[n] = heapEntry{}
	*h = old[:n]
	if i != n {
		h.down(i)
		h.up(i)
	}
	e.index = -1
}

func (h eventHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 4
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h eventHeap) down(i int) {
	n := len(h)
	for {
		l := 4*i + 1
		if l >= n {
			return
		}
		m := l
		for c := l + 1; c < l+4 && c < n; c++ {
			if h.less(c, m) {
				m = c
			}
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
