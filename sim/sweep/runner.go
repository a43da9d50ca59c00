package sweep

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Metric is one number a run reports, e.g. completion_p50_s.
type Metric struct {
	Name  string
	Value float64
}

// RunFunc runs one run of the plan and returns its metrics. It is called
// from several goroutines at once (one per job), so each call must own its
// own scheduler and state. A metric a run cannot measure (no peer completed,
// so no completion time) is NaN, not an error: errors are for runs that
// could not be carried out, and stop the sweep.
type RunFunc func(ctx context.Context, r Run) ([]Metric, error)

// Result is one finished run.
type Result struct {
	Run
	Metrics map[string]float64
}

// Options tunes Execute.
type Options struct {
	// Jobs is how many runs proceed at once (at least 1).
	Jobs int
	// Progress, if set, is called after each run with the count done so far
	// (from the goroutine that finished it; calls do not overlap).
	Progress func(done, total int)
}

// Execute runs the shard's runs of the plan, Jobs at a time, and returns
// their results in run order. The first run to fail cancels the rest and
// its error is returned with its point and seed, which is all it takes to
// reproduce it (the runs cancelled because of it are not reported).
func Execute(ctx context.Context, p *Plan, sh Shard, run RunFunc, o Options) ([]Result, error) {
	runs := sh.Select(p.Runs())
	jobs := max(o.Jobs, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make([]Result, len(runs))
	next := make(chan int)
	var mu sync.Mutex
	var firstErr error
	done := 0
	var wg sync.WaitGroup
	for range min(jobs, len(runs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := runs[i]
				ms, err := run(ctx, r)
				if err == nil {
					results[i], err = newResult(r, ms)
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("sweep: run %d (%s, seed %d): %w", r.Index, p.Describe(r.Values), r.Seed, err)
					cancel()
				}
				done++
				if o.Progress != nil {
					o.Progress(done, len(runs))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range runs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for _, r := range results {
		if r.Metrics == nil {
			return nil, fmt.Errorf("sweep: stopped before every run finished: %w", context.Cause(ctx))
		}
	}
	return results, nil
}

func newResult(r Run, ms []Metric) (Result, error) {
	m := make(map[string]float64, len(ms))
	for _, x := range ms {
		if err := checkName(x.Name); err != nil || strings.Contains(x.Name, ".") {
			return Result{}, fmt.Errorf("metric name %q: want letters, digits, '_' or '-'", x.Name)
		}
		if reservedColumns[x.Name] {
			return Result{}, fmt.Errorf("metric name %q is a column of runs.csv already", x.Name)
		}
		if _, dup := m[x.Name]; dup {
			return Result{}, fmt.Errorf("metric %q reported twice", x.Name)
		}
		m[x.Name] = x.Value
	}
	return Result{Run: r, Metrics: m}, nil
}

// reservedColumns are the columns runs.csv has before the metrics.
var reservedColumns = map[string]bool{"run": true, "point": true, "seed": true}

// Describe renders a point as "adoption=0.3 policy=prefer".
func (p *Plan) Describe(pt Point) string {
	if len(pt) == 0 {
		return "no parameters"
	}
	parts := make([]string, len(pt))
	for i, v := range pt {
		parts[i] = p.Params[i].Name + "=" + v.String()
	}
	return strings.Join(parts, " ")
}

// metricNames is the sorted union of the results' metric names: sorted, so
// that a shard that happens to see different runs first still writes its
// columns in the order the whole sweep would.
func metricNames(rs []Result) []string {
	set := map[string]bool{}
	for _, r := range rs {
		for n := range r.Metrics {
			set[n] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
