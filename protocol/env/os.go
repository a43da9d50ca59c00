package env

import (
	crand "crypto/rand"
	"io"
	"math/rand/v2"
	"net"
	"time"
)

// DefaultDialTimeout is used by OS.Dial when the caller passes 0.
const DefaultDialTimeout = 10 * time.Second

// OS is the real world: wall clock, goroutines, crypto/rand and the kernel's TCP.
type OS struct{}

var _ Env = OS{}

func (OS) Now() time.Time        { return time.Now() }
func (OS) Sleep(d time.Duration) { time.Sleep(d) }
func (OS) Go(_ string, f func()) { go f() }

func (OS) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

func (OS) NewSignal() Signal { return &osSignal{c: make(chan struct{}, 1)} }

func (OS) CryptoRand() io.Reader { return crand.Reader }

func (OS) NewRand() *rand.Rand {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails on supported systems
	return rand.New(rand.NewChaCha8(seed))
}

func (OS) Dial(network, addr string, timeout time.Duration) (net.Conn, error) {
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	return net.DialTimeout(network, addr, timeout)
}

func (OS) Listen(network, addr string) (net.Listener, error) {
	return net.Listen(network, addr)
}

type osSignal struct{ c chan struct{} }

func (s *osSignal) Notify() {
	select {
	case s.c <- struct{}{}:
	default:
	}
}

func (s *osSignal) Wait(timeout time.Duration) bool {
	if timeout <= 0 {
		<-s.c
		return true
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-s.c:
		return true
	case <-t.C:
		return false
	}
}
