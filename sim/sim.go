// Package sim runs protocol code in virtual time, deterministically.
//
// A Sim owns a virtual clock and an event queue ordered by (time, sequence
// number). Protocol code runs in tasks: goroutines of which exactly one runs
// at any moment. A task runs until it blocks in a Sim primitive (Sleep, a
// Signal, a netmodel conn), which parks it and hands control back to the
// scheduler; the scheduler then pops the next event. Because only one task
// runs at a time and every choice (the event order, randomness, the network's
// timing) derives from the seed, the same scenario and seed give the same run,
// whatever GOMAXPROCS is and however the Go runtime schedules goroutines.
//
// The facts this rests on (checked on Go 1.26): crypto/tls and crypto/ecdh use
// a custom io.Reader only when the binary has //go:debug cryptocustomrand=1
// (CheckCryptoRand tells), and crypto calls randutil.MaybeReadByte, which
// reads one byte half of the time at random — so the seeded reader ignores
// one-byte reads instead of letting them shift its stream.
package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"time"
)

// Epoch is virtual time zero. It is fixed, not the wall clock, so that
// certificates and timestamps made in a run are the same on every run.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// DefaultWatchdog is how long (wall time) one task may run without yielding
// before the run is declared stalled.
const DefaultWatchdog = 10 * time.Second

// Config sets up a Sim.
type Config struct {
	// Seed determines every random choice of the run.
	Seed uint64
	// Watchdog is the wall-clock limit for one task step (0: DefaultWatchdog).
	// A task over it is blocked on something the scheduler does not own (a Go
	// channel or mutex, a real socket) or spinning; the run stops with a
	// *StallError naming it.
	Watchdog time.Duration
}

// Sim is one simulated world. Its methods are called from its tasks or from
// scheduler callbacks, never concurrently; Run, RunUntil and Close from the
// goroutine that owns the Sim.
type Sim struct {
	cfg Config
	now int64 // virtual nanoseconds since Epoch
	seq uint64
	q   eventHeap
	// lastAt and lastSeq are the place of the event that came out last;
	// cancelled holds the seqs of events cancelled while queued.
	lastAt    int64
	lastSeq   uint64
	cancelled map[uint64]struct{}
	rand      *rand.ChaCha8 // master source; per-task sources derive from it

	tasks   map[uint64]*task // live tasks, by id
	nextID  uint64
	cur     *task         // the running task, nil while a callback runs
	stallCh chan struct{} // the watchdog fires
	failure error         // first panic of a task, or a stall
	stopped bool

	// watchdog bookkeeping, shared with the watchdog goroutine
	resumes atomic.Uint64
	running atomic.Bool
	stuck   atomic.Pointer[task] // the task resumed last, for a runaway report

	digest   [32]byte
	digBuf   []byte
	events   uint64
	closed   bool
	Observer func(at time.Duration, kind string, a, b uint64) // optional trace sink
}

// New returns a Sim at virtual time zero.
func New(cfg Config) *Sim {
	if cfg.Watchdog <= 0 {
		cfg.Watchdog = DefaultWatchdog
	}
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], cfg.Seed)
	copy(seed[8:], "bttls/sim master seed...")
	return &Sim{
		cfg:     cfg,
		rand:    rand.NewChaCha8(seed),
		tasks:   map[uint64]*task{},
		stallCh: make(chan struct{}, 1),
		digBuf:  make([]byte, 0, 4096),
	}
}

// Seed returns the seed the Sim was made with.
func (s *Sim) Seed() uint64 { return s.cfg.Seed }

// Now returns the virtual time elapsed since Epoch.
func (s *Sim) Now() time.Duration { return time.Duration(s.now) }

// Time returns the virtual wall-clock time.
func (s *Sim) Time() time.Time { return Epoch.Add(time.Duration(s.now)) }

// Timer is a scheduled callback that can be cancelled.
type Timer struct {
	s   *Sim
	at  int64
	seq uint64
}

// Stop cancels the callback; it reports whether it was still pending. The
// event stays in the queue, marked, and is dropped when it comes out: so
// the marks are looked up at every event while any is pending, which is
// why the scheduler's own deadline events are recognised as stale by their
// seq instead (see armTimer).
func (t Timer) Stop() bool {
	if t.s == nil {
		return false
	}
	return t.s.cancel(t.at, t.seq)
}

// cancel marks the event (at, seq) cancelled; it reports whether the event
// was still pending.
func (s *Sim) cancel(at int64, seq uint64) bool {
	if at < s.lastAt || at == s.lastAt && seq <= s.lastSeq {
		return false // run already (events come out in (at, seq) order)
	}
	if _, ok := s.cancelled[seq]; ok {
		return false
	}
	if s.cancelled == nil {
		s.cancelled = map[uint64]struct{}{}
	}
	s.cancelled[seq] = struct{}{}
	return true
}

// At schedules fn to run on the scheduler at virtual time at (or now, if at
// is in the past). fn must not block: it may change state, wake tasks and
// schedule further events.
func (s *Sim) At(at time.Duration, fn func()) Timer {
	a, seq := s.push(int64(at), nil, fn)
	return Timer{s, a, seq}
}

// After schedules fn to run d from now; see At.
func (s *Sim) After(d time.Duration, fn func()) Timer {
	return s.At(time.Duration(s.now)+d, fn)
}

// push queues an event and returns its place in the order.
func (s *Sim) push(at int64, t *task, fn func()) (int64, uint64) {
	if at < s.now {
		at = s.now
	}
	s.seq++
	s.q.push(event{at: at, seq: s.seq, task: t, fn: fn})
	return at, s.seq
}

// Record adds an observation to the run's digest (and to the Observer, if
// set). The network records every delivery, so two runs with the same digest
// moved the same bytes at the same virtual instants.
func (s *Sim) Record(kind string, a, b uint64) {
	var buf [8 * 3]byte
	binary.LittleEndian.PutUint64(buf[0:], uint64(s.now))
	binary.LittleEndian.PutUint64(buf[8:], a)
	binary.LittleEndian.PutUint64(buf[16:], b)
	s.digBuf = append(s.digBuf, kind...)
	s.digBuf = append(s.digBuf, buf[:]...)
	if len(s.digBuf) >= 4000 {
		s.flushDigest()
	}
	if s.Observer != nil {
		s.Observer(time.Duration(s.now), kind, a, b)
	}
}

func (s *Sim) flushDigest() {
	h := sha256.New()
	h.Write(s.digest[:])
	h.Write(s.digBuf)
	h.Sum(s.digest[:0])
	s.digBuf = s.digBuf[:0]
}

// Digest is a hash of every event run and every observation recorded so far.
func (s *Sim) Digest() string {
	s.flushDigest()
	return fmt.Sprintf("%x", s.digest)
}

// Events is the number of events run so far.
func (s *Sim) Events() uint64 { return s.events }

// Stop makes Run or RunUntil return after the current event.
func (s *Sim) Stop() { s.stopped = true }

// Run runs events until none is left. It returns nil when every task has
// finished, a *StallError when tasks remain parked with nothing left that
// could wake them, a *PanicError when a task panicked.
func (s *Sim) Run() error { return s.run(-1) }

// RunUntil runs events up to and including virtual time t, then sets the
// clock to t. Parked tasks at t are not an error (they may be waiting for
// later events); an empty queue with parked tasks before t is a stall.
func (s *Sim) RunUntil(t time.Duration) error { return s.run(int64(t)) }

func (s *Sim) run(until int64) error {
	if s.closed {
		return fmt.Errorf("sim: run after Close")
	}
	if s.failure != nil {
		return s.failure
	}
	s.stopped = false
	// The event loop runs on its own goroutine so that a task that never
	// yields (blocked on a Go channel, a mutex, real I/O) holds that
	// goroutine only: the watchdog's report still reaches the caller.
	done := make(chan struct{})
	defer close(done)
	go s.watchdog(done)
	finished := make(chan error, 1)
	go func() { finished <- s.loop(until) }()
	select {
	case err := <-finished:
		return err
	case <-s.stallCh:
		s.failure = s.runaway(s.stuck.Load())
		return s.failure
	}
}

// loop runs events until the queue is empty, time passes until, or the run
// stops.
func (s *Sim) loop(until int64) error {
	for !s.stopped {
		if len(s.q) == 0 {
			if len(s.tasks) > 0 {
				s.failure = s.deadlock()
				return s.failure
			}
			break
		}
		if until >= 0 && s.q[0].at > until {
			break
		}
		e := s.q.pop()
		s.lastAt, s.lastSeq = e.at, e.seq
		if len(s.cancelled) > 0 {
			if _, ok := s.cancelled[e.seq]; ok {
				delete(s.cancelled, e.seq)
				continue
			}
		}
		if e.task != nil && e.fn != nil && (!e.task.hasTimer || e.task.timerSeq != e.seq) {
			continue // a task's deadline event that a nearer one replaced
		}
		s.now = e.at
		s.events++
		if e.fn != nil {
			e.fn()
		} else {
			s.Record("r", e.task.id, 0)
			if err := s.resume(e.task); err != nil {
				return err
			}
		}
	}
	if until >= 0 && !s.stopped && s.now < until {
		s.now = until
	}
	return nil
}

// deadlock describes the tasks left parked when no event can wake them.
func (s *Sim) deadlock() *StallError {
	err := &StallError{At: s.Now(), Reason: "no events left and tasks still parked"}
	for _, t := range s.liveTasks() {
		err.Tasks = append(err.Tasks, TaskInfo{Name: t.name, ID: t.id, State: t.reason, Since: time.Duration(t.parkedAt)})
	}
	return err
}

func (s *Sim) liveTasks() []*task {
	ts := make([]*task, 0, len(s.tasks))
	for _, t := range s.tasks {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].id < ts[j].id })
	return ts
}

// Tasks returns the live tasks' names and states, sorted by id (for reports).
func (s *Sim) Tasks() []TaskInfo {
	var out []TaskInfo
	for _, t := range s.liveTasks() {
		out = append(out, TaskInfo{Name: t.name, ID: t.id, State: t.reason, Since: time.Duration(t.parkedAt)})
	}
	return out
}

// Close ends every live task (unwinding it through its deferred calls) and
// drops pending events, so that a finished run frees its goroutines and
// memory. The Sim cannot run again afterwards.
func (s *Sim) Close() {
	if s.closed {
		return
	}
	s.closed = true
	s.q = nil
	if s.failure != nil {
		// A task may still hold control (stall): do not wait for it.
		if _, ok := s.failure.(*StallError); ok && s.running.Load() {
			return
		}
	}
	// Unwinding tasks may start others; repeat until none is left.
	for len(s.tasks) > 0 {
		for _, t := range s.liveTasks() {
			t.killed = true
			s.resumeKill(t)
		}
	}
	s.q = nil
}
