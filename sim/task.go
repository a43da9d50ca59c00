package sim

import (
	"fmt"
	"iter"
	"runtime/debug"
	"time"
)

type taskState uint8

const (
	runnable taskState = iota // created or woken, resume event pending
	running
	parked
	done
)

// task is one goroutine under the scheduler.
type task struct {
	id    uint64
	name  string
	state taskState
	// next runs the task until it parks or ends; yield, called by the task
	// from inside park, hands control back. The pair is a coroutine
	// (iter.Pull): control passes directly between the scheduler's
	// goroutine and the task's, without the Go scheduler's run queues, at
	// about a quarter of the cost of a handoff over channels.
	next  func() (struct{}, bool)
	yield func(struct{}) bool
	// token changes at every park, so a wake-up meant for an earlier park
	// (a stale wait-queue entry, a timer) is recognised and ignored.
	token     uint64
	scheduled bool // a resume event is pending
	timedOut  bool
	killed    bool
	reason    string // what it is parked on, for stall reports
	parkedAt  int64
	// until is the deadline of the current park (0: none). The task's
	// pending deadline event is kept across parks: a reader that parks
	// again and again with a deadline minutes ahead re-arms one event when
	// it fires instead of pushing and removing one per park. timerAt and
	// timerSeq place that event, if hasTimer.
	until    int64
	hasTimer bool
	timerAt  int64
	timerSeq uint64
	timerFn  func()
}

// errKilled unwinds a task's goroutine when the Sim is closed.
type killedPanic struct{}

// Go starts f as a new task. It runs after the current task or callback, at
// the current virtual time.
func (s *Sim) Go(name string, f func()) {
	s.nextID++
	t := &task{id: s.nextID, name: name, state: runnable, scheduled: true}
	s.tasks[t.id] = t
	// The task's goroutine starts at its first resume.
	t.next, _ = iter.Pull(func(yield func(struct{}) bool) {
		t.yield = yield
		s.taskMain(t, f)
	})
	s.push(s.now, t, nil)
}

func (s *Sim) taskMain(t *task, f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(killedPanic); !ok && s.failure == nil {
				s.failure = &PanicError{Task: t.name, ID: t.id, At: s.Now(), Value: r, Stack: string(debug.Stack())}
				s.stopped = true
			}
		}
		t.state = done
		delete(s.tasks, t.id)
	}()
	if t.killed {
		return
	}
	f()
}

// resume hands control to t and waits until it parks or ends.
func (s *Sim) resume(t *task) error {
	t.scheduled = false
	t.state = running
	t.token++
	s.cur = t
	s.stuck.Store(t)
	s.running.Store(true)
	s.resumes.Add(1)
	t.next()
	s.running.Store(false)
	s.cur = nil
	return s.failure
}

// resumeKill resumes a task only so that it unwinds (Close).
func (s *Sim) resumeKill(t *task) {
	s.cur = t
	t.state = running
	t.next()
	s.cur = nil
}

// current returns the running task; calling a blocking primitive from a
// scheduler callback or a foreign goroutine is a programming error.
func (s *Sim) current(op string) *task {
	t := s.cur
	if t == nil {
		panic(fmt.Sprintf("sim: %s called outside a simulated task (from a scheduler callback or a goroutine not started with Go)", op))
	}
	return t
}

// park blocks the running task until something wakes it.
func (s *Sim) park(t *task, reason string) {
	if t.killed {
		panic(killedPanic{})
	}
	t.state = parked
	t.reason = reason
	t.parkedAt = s.now
	s.running.Store(false)
	t.yield(struct{}{})
	if t.killed {
		panic(killedPanic{})
	}
}

// wake makes a parked task runnable at the current virtual time.
func (s *Sim) wake(t *task) {
	if t.state != parked || t.scheduled {
		return
	}
	t.scheduled = true
	s.push(s.now, t, nil)
}

// wait parks the running task on q (may be nil) until woken through q or
// until virtual time until (0: no limit). It reports false on timeout. A
// wake-up can be spurious: callers re-check their condition in a loop.
func (s *Sim) wait(q *WaitQueue, until int64, reason string) bool {
	t := s.current(reason)
	tok := t.token + 1 // the token this park will have
	t.token = tok
	if q != nil {
		q.add(t, tok)
	}
	t.timedOut = false
	t.until = until
	if until > 0 {
		s.armTimer(t, until)
	}
	s.park(t, reason)
	t.until = 0
	return !t.timedOut
}

// armTimer makes sure the task's deadline event fires no later than until.
// A pending event due earlier is kept: when it fires it re-arms for the
// task's deadline then, if the task is still parked with one.
func (s *Sim) armTimer(t *task, until int64) {
	if t.hasTimer && t.timerAt <= until {
		return
	}
	// A pending event due later is left in the queue, stale: the loop
	// recognises it by its seq and drops it unrun and uncounted, without
	// moving the clock to it.
	if t.timerFn == nil {
		t.timerFn = func() { s.fireTimer(t) }
	}
	t.hasTimer = true
	t.timerAt, t.timerSeq = s.push(until, t, t.timerFn)
}

func (s *Sim) fireTimer(t *task) {
	t.hasTimer = false
	if t.state != parked || t.scheduled || t.until == 0 {
		return
	}
	if s.now < t.until {
		t.hasTimer = true
		t.timerAt, t.timerSeq = s.push(t.until, t, t.timerFn)
		return
	}
	t.timedOut = true
	s.wake(t)
}

// Yield lets every other runnable task at this instant run first.
func (s *Sim) Yield() {
	t := s.current("Yield")
	t.scheduled = true
	t.state = parked
	s.push(s.now, t, nil)
	s.park(t, "yield")
}

// WaitQueue is a set of tasks parked on one condition (data to read, window
// to write). The zero value is ready to use.
type WaitQueue struct {
	waiters []waiter
}

type waiter struct {
	t   *task
	tok uint64
}

func (q *WaitQueue) add(t *task, tok uint64) {
	if len(q.waiters) >= 8 {
		// Drop entries of tasks that timed out or left for another queue.
		live := q.waiters[:0]
		for _, w := range q.waiters {
			if w.t.token == w.tok && w.t.state != done {
				live = append(live, w)
			}
		}
		for i := len(live); i < len(q.waiters); i++ {
			q.waiters[i] = waiter{}
		}
		q.waiters = live
	}
	q.waiters = append(q.waiters, waiter{t, tok})
}

// Wait parks the running task on q until WakeAll or the virtual deadline
// (zero: none); false means the deadline passed. reason appears in stall
// reports. Callers re-check their condition: wake-ups may be spurious.
func (s *Sim) Wait(q *WaitQueue, deadline time.Time, reason string) bool {
	var until int64
	if !deadline.IsZero() {
		until = int64(deadline.Sub(Epoch))
		if until <= s.now {
			return false
		}
	}
	return s.wait(q, until, reason)
}

// WakeAll wakes every task parked on q.
func (s *Sim) WakeAll(q *WaitQueue) {
	for _, w := range q.waiters {
		if w.t.token == w.tok {
			s.wake(w.t)
		}
	}
	clear(q.waiters)
	q.waiters = q.waiters[:0]
}
