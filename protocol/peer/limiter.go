package peer

import (
	"sync"
	"time"

	"github.com/bttls/bttls/protocol/env"
)

// limiter is a token bucket shared by a client's connections. take never
// sleeps with the lock held.
type limiter struct {
	e    env.Env
	rate float64 // bytes per second; 0 means unlimited

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newLimiter(e env.Env, rate int64) *limiter {
	return &limiter{e: e, rate: float64(rate), last: e.Now()}
}

// take accounts for n bytes, sleeping as long as the rate requires.
func (l *limiter) take(n int) {
	if l.rate <= 0 {
		return
	}
	l.mu.Lock()
	now := l.e.Now()
	l.tokens += now.Sub(l.last).Seconds() * l.rate
	l.last = now
	// A burst of a quarter second's worth keeps transfers smooth.
	if burst := l.rate / 4; l.tokens > burst {
		l.tokens = burst
	}
	l.tokens -= float64(n)
	wait := time.Duration(-l.tokens / l.rate * float64(time.Second))
	l.mu.Unlock()
	if wait > 0 {
		l.e.Sleep(wait)
	}
}
