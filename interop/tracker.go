package interop

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bttls/bttls/protocol/env"
	"github.com/bttls/bttls/protocol/tracker"
)

// Tracker is an in-process bttls tracker on a loopback port that records
// every announce, so a test can wait for a client to have announced.
type Tracker struct {
	URL string // announce URL

	mu    sync.Mutex
	lines []string
}

// StartTracker runs a bttls tracker on 127.0.0.1 until the test ends.
func StartTracker(t testing.TB, interval time.Duration) *Tracker {
	t.Helper()
	return StartTrackerOn(t, "127.0.0.1:0", interval)
}

// StartTrackerOn runs a bttls tracker on addr (e.g. "[::1]:0") until the
// test ends; it skips the test if addr cannot be bound.
func StartTrackerOn(t testing.TB, addr string, interval time.Duration) *Tracker {
	t.Helper()
	tr := &Tracker{}
	e := env.OS{}
	l, err := e.Listen("tcp", addr)
	if err != nil {
		t.Skipf("interop: cannot listen on %s: %v", addr, err)
	}
	srv := tracker.NewServer(e, tracker.NewTracker(e, tracker.Config{Interval: interval, Logf: tr.logf}))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	tr.URL = fmt.Sprintf("http://%s/announce", l.Addr())
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("tracker: %v", err)
		}
		if t.Failed() {
			t.Logf("--- tracker log:\n%s", tr.Log())
		}
	})
	return tr
}

func (tr *Tracker) logf(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, time.Now().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// Log returns every announce line so far.
func (tr *Tracker) Log() string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.lines, "\n")
}

// WaitAnnounce waits for a logged line (announces, scrapes) containing
// every one of parts, e.g. `client "-TR3000-"` and "left=0", and returns it.
func (tr *Tracker) WaitAnnounce(timeout time.Duration, parts ...string) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		tr.mu.Lock()
		for _, l := range tr.lines {
			if containsAll(l, parts) {
				tr.mu.Unlock()
				return l, nil
			}
		}
		tr.mu.Unlock()
		if time.Now().After(deadline) {
			return "", fmt.Errorf("interop: no announce with %q within %v", parts, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
