package sim

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// TaskInfo describes one task in a report.
type TaskInfo struct {
	Name  string
	ID    uint64
	State string        // what it is parked on, or "running"
	Since time.Duration // virtual time it parked
	Stack string        // goroutine stack, for a task that would not yield
}

// StallError says the run cannot make progress: either tasks are parked and
// no event is left to wake them, or a task ran too long (wall time) without
// yielding — blocked on a Go channel or mutex the scheduler does not own, a
// real socket, or an endless loop.
type StallError struct {
	At     time.Duration // virtual time of the stall
	Reason string
	Tasks  []TaskInfo
}

func (e *StallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sim: stall at virtual %v: %s", e.At, e.Reason)
	const max = 20
	for i, t := range e.Tasks {
		if i == max {
			fmt.Fprintf(&b, "\n  ... and %d more tasks", len(e.Tasks)-max)
			break
		}
		fmt.Fprintf(&b, "\n  task %d %q: %s (since %v)", t.ID, t.Name, t.State, t.Since)
		if t.Stack != "" {
			fmt.Fprintf(&b, "\n%s", t.Stack)
		}
	}
	return b.String()
}

// PanicError is a panic inside a task, with its stack.
type PanicError struct {
	Task  string
	ID    uint64
	At    time.Duration
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("sim: task %d %q panicked at virtual %v: %v\n%s", e.ID, e.Task, e.At, e.Value, e.Stack)
}

// watchdog fires stallCh when one task step lasts longer than the limit.
func (s *Sim) watchdog(done <-chan struct{}) {
	tick := s.cfg.Watchdog / 10
	if tick > time.Second {
		tick = time.Second
	}
	tk := time.NewTicker(tick)
	defer tk.Stop()
	last := s.resumes.Load()
	since := time.Now()
	for {
		select {
		case <-done:
			return
		case now := <-tk.C:
			r := s.resumes.Load()
			if r != last || !s.running.Load() {
				last, since = r, now
				continue
			}
			if now.Sub(since) >= s.cfg.Watchdog {
				select {
				case s.stallCh <- struct{}{}:
				default:
				}
				return
			}
		}
	}
}

// runaway reports the task that would not yield, with its goroutine stack.
func (s *Sim) runaway(t *task) *StallError {
	return &StallError{
		At:     s.Now(),
		Reason: fmt.Sprintf("task ran for over %v of wall time without yielding to the scheduler (blocked on a Go channel, mutex or real I/O, or looping)", s.cfg.Watchdog),
		Tasks:  []TaskInfo{{Name: t.name, ID: t.id, State: "running", Since: s.Now(), Stack: runningTaskStack()}},
	}
}

// runningTaskStack finds the stack of the task that holds control: the one
// goroutine under taskMain that is not parked in the scheduler. (A task
// not started yet has no goroutine: iter.Pull starts it at the first
// resume. Looking the stack up only when needed keeps task start cheap.)
func runningTaskStack() string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("sim.(*Sim).taskMain")) && !bytes.Contains(g, []byte("sim.(*Sim).park(")) {
			return string(g)
		}
	}
	return "(stack not found)"
}
