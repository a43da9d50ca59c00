package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// maxRuns bounds a plan, so that a grid multiplied out by mistake fails at
// once rather than after hours.
const maxRuns = 1_000_000

// Plan is a whole sweep: what every shard of it must agree on.
type Plan struct {
	// Scenario names the scenario file (its base name, for the manifest).
	Scenario string
	// ScenarioSHA256 is the hex SHA-256 of the scenario file's bytes, so
	// that merge refuses shards run against different files.
	ScenarioSHA256 string
	Params         []Param
	Seeds          []uint64
}

// NewPlan checks the parameters and seeds and returns the plan.
func NewPlan(scenarioName string, scenario []byte, params []Param, seeds []uint64) (*Plan, error) {
	if len(seeds) == 0 {
		return nil, fmt.Errorf("sweep: no seeds: give at least one")
	}
	names := map[string]bool{}
	for _, p := range params {
		if names[p.Name] {
			return nil, fmt.Errorf("sweep: parameter %q given twice", p.Name)
		}
		for other := range names {
			if strings.HasPrefix(p.Name, other+".") || strings.HasPrefix(other, p.Name+".") {
				return nil, fmt.Errorf("sweep: parameters %q and %q overlap (one is a table holding the other)", other, p.Name)
			}
		}
		names[p.Name] = true
	}
	seen := map[uint64]bool{}
	for _, s := range seeds {
		if seen[s] {
			return nil, fmt.Errorf("sweep: seed %d given twice", s)
		}
		seen[s] = true
	}
	n := len(seeds)
	for _, p := range params {
		n *= len(p.Values)
		if n > maxRuns {
			return nil, fmt.Errorf("sweep: the grid has more than %d runs; sweep fewer values", maxRuns)
		}
	}
	sum := sha256.Sum256(scenario)
	return &Plan{
		Scenario:       scenarioName,
		ScenarioSHA256: hex.EncodeToString(sum[:]),
		Params:         params,
		Seeds:          seeds,
	}, nil
}

// SeedRange returns the seeds first, first+1, ..., first+n-1.
func SeedRange(first uint64, n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = first + uint64(i)
	}
	return s
}

// Run is one run of a plan: a grid point and a seed.
type Run struct {
	// Index numbers the run in the plan's order: Point*len(Seeds) + seed's position.
	Index int
	// Point numbers the grid point.
	Point  int
	Values Point
	Seed   uint64
}

// Runs returns every run of the plan in order.
func (p *Plan) Runs() []Run {
	grid := Grid(p.Params)
	runs := make([]Run, 0, len(grid)*len(p.Seeds))
	for pi, pt := range grid {
		for _, s := range p.Seeds {
			runs = append(runs, Run{Index: len(runs), Point: pi, Values: pt, Seed: s})
		}
	}
	return runs
}

// NumRuns is the number of runs in the plan.
func (p *Plan) NumRuns() int {
	n := len(p.Seeds)
	for _, pr := range p.Params {
		n *= len(pr.Values)
	}
	return n
}

// Run returns run idx (0 <= idx < NumRuns) without listing the others:
// the point number is a mixed-radix number whose last digit is the last
// parameter's value, as in Grid.
func (p *Plan) Run(idx int) Run {
	point := idx / len(p.Seeds)
	vals := make(Point, len(p.Params))
	rest := point
	for i := len(p.Params) - 1; i >= 0; i-- {
		k := len(p.Params[i].Values)
		vals[i] = p.Params[i].Values[rest%k]
		rest /= k
	}
	return Run{Index: idx, Point: point, Values: vals, Seed: p.Seeds[idx%len(p.Seeds)]}
}

// Shard is the slice i of n of a plan (0 <= I < N).
type Shard struct{ I, N int }

// Whole is the shard that is the whole plan.
var Whole = Shard{0, 1}

// ParseShard parses "i/n", with i counted from 0 as Kubernetes'
// JOB_COMPLETION_INDEX and a Slurm array `--array=0-(n-1)` number tasks.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("sweep: shard %q: want I/N, e.g. 0/4", s)
	}
	if n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("sweep: shard %q: want 0 <= I < N (shards are numbered from 0)", s)
	}
	return Shard{i, n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Has reports whether run index idx belongs to the shard. Runs are dealt
// round-robin rather than in blocks so that every shard gets a similar mix
// of cheap and expensive grid points.
func (s Shard) Has(idx int) bool { return idx%s.N == s.I }

// Select returns the runs of the shard, in order.
func (s Shard) Select(runs []Run) []Run {
	var out []Run
	for _, r := range runs {
		if s.Has(r.Index) {
			out = append(out, r)
		}
	}
	return out
}
