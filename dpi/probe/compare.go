package probe

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The timing bound of Compare: two medians are the same if they differ by
// at most TimingFloor or TimingFraction of the larger one. The floor absorbs
// the scheduling noise of some 60 simultaneous probe connections on a loaded
// 2-core test host (measured: up to ~0.3 s between two identical servers,
// more while other test binaries run).
// A prober on a real path can resolve finer differences, so a timing match
// here is weaker evidence than a class match; the differences that matter
// (a 10 s or 15 s timeout against none) are far above it.
const (
	TimingFloor    = time.Second
	TimingFraction = 0.25
)

// Run runs every probe n times against addr, all at once, each waiting at
// most wait for the server to answer and hang up.
func Run(addr string, probes []Probe, n int, wait time.Duration) ([]Result, error) {
	results := make([]Result, len(probes))
	errs := make([]error, len(probes)*n)
	var wg sync.WaitGroup
	for i, p := range probes {
		results[i] = Result{Probe: p.Name, Outcomes: make([]Outcome, n)}
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i].Outcomes[j], errs[i*n+j] = p.Run(addr, wait)
			}()
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

// Difference is a probe whose answers tell two servers apart.
type Difference struct {
	Probe, Why       string
	A, B             []string // outcome classes seen
	MedianA, MedianB time.Duration
	// Timing is true when the classes agree but the timing does not.
	Timing bool
}

func (d Difference) String() string {
	if d.Timing {
		return fmt.Sprintf("%s: same answers, but closes after %v vs %v", d.Probe, d.MedianA.Round(time.Millisecond), d.MedianB.Round(time.Millisecond))
	}
	return fmt.Sprintf("%s: %s  vs  %s", d.Probe, strings.Join(d.A, " | "), strings.Join(d.B, " | "))
}

// Compare lists the probes that distinguish server A from server B. Two
// servers are indistinguishable to a probe when (1) the sets of outcome
// classes (handshake result, TLS version, ALPN, reply class, close kind)
// are equal, and (2) the median times to close differ by at most
// max(TimingFloor, TimingFraction × the larger median). They are
// indistinguishable to the prober when no probe distinguishes them.
func Compare(probes []Probe, a, b []Result) []Difference {
	var diffs []Difference
	for i, p := range probes {
		ca, cb := a[i].Classes(), b[i].Classes()
		ma, mb := a[i].Median(), b[i].Median()
		d := Difference{Probe: p.Name, Why: p.Why, A: ca, B: cb, MedianA: ma, MedianB: mb}
		switch {
		case !slices.Equal(ca, cb):
			diffs = append(diffs, d)
		case !timingClose(ma, mb):
			d.Timing = true
			diffs = append(diffs, d)
		}
	}
	return diffs
}

func timingClose(a, b time.Duration) bool {
	diff := a - b
	if diff < 0 {
		diff = -diff
	}
	return diff <= max(TimingFloor, time.Duration(TimingFraction*float64(max(a, b))))
}
