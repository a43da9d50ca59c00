// Package env is everything the protocol code takes from the world: time,
// tasks, wake-ups, randomness and the network. cmd/bttls passes the
// operating system (OS); the simulator passes virtual time and netmodel.
//
// The contract that keeps one protocol usable in both worlds:
//   - protocol code blocks only in an Env's methods, in a Signal's Wait, or
//     in Read/Write/Accept/Close of the conns and listeners the Env gave it;
//   - it never holds a sync.Mutex across such a blocking call (under the
//     simulator's one-task-at-a-time scheduler that would stall the run);
//   - it never reads the wall clock (time.Now, time.Since, time.After,
//     time.Sleep, context timeouts) or crypto/rand, math/rand globals:
//     Now, Sleep, AfterFunc, CryptoRand and NewRand are the only sources;
//   - it starts goroutines only with Go, and uses Go channels only where no
//     task ever blocks on them (use a Signal to wait for another task).
//
// Deadlines on conns (SetDeadline) are honoured in both worlds.
package env

import (
	"io"
	"math/rand/v2"
	"net"
	"time"
)

// Env is the world a peer, tracker or simulator task runs in.
type Env interface {
	// Now returns the current time (virtual in the simulator).
	Now() time.Time
	// Sleep blocks the calling task for d.
	Sleep(d time.Duration)
	// AfterFunc runs f in a new task after d. Calling stop before it fires
	// cancels it and reports true.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
	// Go starts f as a new task; name appears in stall and panic reports.
	Go(name string, f func())
	// NewSignal returns a wake-up that one task waits on and others notify.
	NewSignal() Signal

	// CryptoRand is the entropy for keys, TLS (tls.Config.Rand) and MSE.
	CryptoRand() io.Reader
	// NewRand returns a fresh non-cryptographic source for choices such as
	// piece order or optimistic unchoke; in the simulator it is derived from
	// the seed, so call it in a deterministic order (e.g. once per peer).
	NewRand() *rand.Rand

	// Dial opens a TCP connection to addr ("host:port"), failing after timeout
	// (0 means the Env's default).
	Dial(network, addr string, timeout time.Duration) (net.Conn, error)
	// Listen opens a listener on addr ("host:port"; port 0 picks one).
	Listen(network, addr string) (net.Listener, error)
}

// Signal is a level-triggered wake-up: Notify makes the next (or current)
// Wait return true; several Notify calls before a Wait coalesce into one.
type Signal interface {
	Notify()
	// Wait blocks until notified or until timeout passes (timeout <= 0 waits
	// without limit). It reports whether it was notified.
	Wait(timeout time.Duration) bool
}
