package sim

import (
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// Stack is one host's network: netmodel.Host implements it.
type Stack interface {
	Dial(network, addr string, timeout time.Duration) (net.Conn, error)
	Listen(network, addr string) (net.Listener, error)
}

// Env is the env.Env of one simulated host: virtual time, tasks under the
// scheduler, randomness from the seed and the host's network stack.
type Env struct {
	s      *Sim
	stack  Stack
	crypto io.Reader
}

var _ env.Env = (*Env)(nil)

// NewEnv returns an Env for a host whose network is stack. Its crypto stream
// is drawn from the seed now, so create Envs in a deterministic order.
func (s *Sim) NewEnv(stack Stack) *Env {
	return &Env{s: s, stack: stack, crypto: s.NewCryptoReader()}
}

// Sim returns the simulator the Env runs in.
func (e *Env) Sim() *Sim { return e.s }

func (e *Env) Now() time.Time { return e.s.Time() }

func (e *Env) Sleep(d time.Duration) {
	if d <= 0 {
		return
	}
	e.s.wait(nil, e.s.now+int64(d), "sleep")
}

func (e *Env) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	fired := false
	t := e.s.After(d, func() {
		fired = true
		e.s.Go("afterfunc", f)
	})
	return func() bool {
		if fired {
			return false
		}
		return t.Stop()
	}
}

func (e *Env) Go(name string, f func()) { e.s.Go(name, f) }

func (e *Env) NewSignal() env.Signal { return &signal{s: e.s} }

func (e *Env) CryptoRand() io.Reader { return e.crypto }

func (e *Env) NewRand() *rand.Rand { return e.s.NewRand() }

func (e *Env) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	return e.stack.Dial(network, addr, timeout)
}

func (e *Env) Listen(network, addr string) (net.Listener, error) {
	return e.stack.Listen(network, addr)
}

// signal is env.Signal under the scheduler.
type signal struct {
	s        *Sim
	notified bool
	q        WaitQueue
}

func (g *signal) Notify() {
	g.notified = true
	g.s.WakeAll(&g.q)
}

func (g *signal) Wait(timeout time.Duration) bool {
	var until int64
	if timeout > 0 {
		until = g.s.now + int64(timeout)
	}
	for {
		if g.notified {
			g.notified = false
			return true
		}
		if until > 0 && g.s.now >= until {
			return false
		}
		g.s.wait(&g.q, until, "signal")
	}
}
