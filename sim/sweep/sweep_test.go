package sweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// toyRun is a deterministic stand-in for the simulator: its metrics are a
// function of the point and seed only, some are NaN (not measured) and one
// is reported only by some runs, which is what the merge must cope with.
func toyRun(_ context.Context, r Run) ([]Metric, error) {
	h := fnv.New64a()
	fmt.Fprint(h, r.Values, r.Seed)
	x := float64(h.Sum64()%10000) / 7
	ms := []Metric{{"completion_s", x}, {"tls_fraction", 1 / (1 + x)}}
	if r.Seed%2 == 0 {
		ms = append(ms, Metric{"downgraded", float64(r.Point)})
	}
	if r.Index%5 == 0 {
		ms[0].Value = math.NaN()
	}
	return ms, nil
}

func toyPlan(t *testing.T) *Plan {
	t.Helper()
	a, err := ParseParam("adoption=0:1:0.25")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseParam("policy=off,prefer,require")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan("toy.toml", []byte("adoption = 0.5\n"), []Param{a, b}, SeedRange(1, 4))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runInto(t *testing.T, p *Plan, sh Shard, jobs int, dir string) {
	t.Helper()
	rs, err := Execute(context.Background(), p, sh, toyRun, Options{Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, p, sh, rs); err != nil {
		t.Fatal(err)
	}
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	for _, f := range []string{ManifestFile, RunsCSVFile, RunsJSONFile, SummaryCSVFile, SummaryJSONFile} {
		x, err1 := os.ReadFile(filepath.Join(a, f))
		y, err2 := os.ReadFile(filepath.Join(b, f))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between %s and %s", f, a, b)
		}
	}
}

func TestJobsDoNotChangeOutput(t *testing.T) {
	p := toyPlan(t)
	d := t.TempDir()
	runInto(t, p, Whole, 1, filepath.Join(d, "one"))
	runInto(t, p, Whole, 4, filepath.Join(d, "four"))
	sameFiles(t, filepath.Join(d, "one"), filepath.Join(d, "four"))
}

func TestMergeOfShardsEqualsWholeSweep(t *testing.T) {
	p := toyPlan(t)
	d := t.TempDir()
	whole := filepath.Join(d, "whole")
	runInto(t, p, Whole, 2, whole)
	for _, n := range []int{1, 2, 7, 60, 64} {
		var dirs []string
		for i := n - 1; i >= 0; i-- { // merge must not depend on the order given
			dir := filepath.Join(d, fmt.Sprintf("n%d-s%d", n, i))
			runInto(t, p, Shard{i, n}, 2, dir)
			if _, err := os.Stat(filepath.Join(dir, SummaryCSVFile)); n > 1 && err == nil {
				t.Errorf("shard %d/%d wrote a partial summary", i, n)
			}
			dirs = append(dirs, dir)
		}
		merged := filepath.Join(d, fmt.Sprintf("merged%d", n))
		if err := Merge(dirs, merged); err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		sameFiles(t, whole, merged)
	}
}

func TestMergeRefusesBadSets(t *testing.T) {
	p := toyPlan(t)
	d := t.TempDir()
	s0, s1, s2 := filepath.Join(d, "s0"), filepath.Join(d, "s1"), filepath.Join(d, "s2")
	runInto(t, p, Shard{0, 3}, 1, s0)
	runInto(t, p, Shard{1, 3}, 1, s1)
	runInto(t, p, Shard{2, 3}, 1, s2)
	other := filepath.Join(d, "other")
	q := *p
	q.Seeds = SeedRange(1, 3)
	runInto(t, &q, Shard{2, 3}, 1, other)
	half := filepath.Join(d, "half")
	runInto(t, p, Shard{1, 2}, 1, half)
	tampered := filepath.Join(d, "tampered")
	runInto(t, p, Shard{2, 3}, 1, tampered)
	csvPath := filepath.Join(tampered, RunsCSVFile)
	b, _ := os.ReadFile(csvPath)
	os.WriteFile(csvPath, bytes.Replace(b, []byte("\n2,"), []byte("\n3,"), 1), 0o644)

	for _, tt := range []struct {
		dirs []string
		err  string
	}{
		{nil, "no shard directories"},
		{[]string{s0, s1}, "shard 2/3 is missing"},
		{[]string{s0, s1, s1}, "given twice"},
		{[]string{s0, s1, other}, "different seeds"},
		{[]string{s0, s1, half}, "of 3 shards"},
		{[]string{s0, s1, tampered}, "not a run of shard 2/3"},
		{[]string{s0, s1, filepath.Join(d, "nope")}, "not a sweep output"},
	} {
		err := Merge(tt.dirs, filepath.Join(d, "out"))
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Merge(%v) = %v, want an error containing %q", tt.dirs, err, tt.err)
		}
	}
}

func TestExecuteReportsFailingRun(t *testing.T) {
	p := toyPlan(t)
	boom := errors.New("stalled")
	run := func(ctx context.Context, r Run) ([]Metric, error) {
		if r.Index == 13 {
			return nil, boom
		}
		return toyRun(ctx, r)
	}
	_, err := Execute(context.Background(), p, Whole, run, Options{Jobs: 2})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "adoption=0.25 policy=off, seed 2") {
		t.Fatalf("error %v: want the failing point and seed", err)
	}
	seed := func(context.Context, Run) ([]Metric, error) { return []Metric{{"seed", 1}}, nil }
	if _, err := Execute(context.Background(), p, Whole, seed, Options{}); err == nil || !strings.Contains(err.Error(), "column of runs.csv") {
		t.Fatalf("a metric named seed: %v", err)
	}
	bad := func(context.Context, Run) ([]Metric, error) { return []Metric{{"a", 1}, {"a", 2}}, nil }
	if _, err := Execute(context.Background(), p, Whole, bad, Options{}); err == nil || !strings.Contains(err.Error(), "reported twice") {
		t.Fatalf("duplicate metric: %v", err)
	}
}

func TestExecuteStopsOnCancel(t *testing.T) {
	p := toyPlan(t)
	ctx, cancel := context.WithCancel(context.Background())
	run := func(ctx context.Context, r Run) ([]Metric, error) {
		if r.Index == 3 {
			cancel()
		}
		return toyRun(ctx, r)
	}
	if _, err := Execute(ctx, p, Whole, run, Options{Jobs: 1}); err == nil {
		t.Fatal("a cancelled sweep reported success")
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{1, 2, math.NaN(), 3, 4, 5})
	// sd = sqrt(2.5); ci = t(4) * sd / sqrt(5) = 2.776 * 0.70711.
	if s.N != 5 || s.Mean != 3 || math.Abs(s.SD-math.Sqrt(2.5)) > 1e-12 ||
		math.Abs(s.CI95-2.776*math.Sqrt(0.5)) > 1e-9 || s.Min != 1 || s.Max != 5 {
		t.Errorf("Summarize = %+v", s)
	}
	if s := Summarize([]float64{7}); s.N != 1 || s.Mean != 7 || !math.IsNaN(s.CI95) {
		t.Errorf("one value: %+v, want mean 7 and no interval", s)
	}
	if s := Summarize(nil); s.N != 0 || !math.IsNaN(s.Mean) {
		t.Errorf("no values: %+v", s)
	}
	// Large df: the expansion must meet the normal quantile from above.
	if q := tQuantile975(31); q < 1.96 || q > 2.042 {
		t.Errorf("t(31) = %v", q)
	}
	if q := tQuantile975(1000); math.Abs(q-1.9623) > 1e-3 {
		t.Errorf("t(1000) = %v, want 1.9623", q)
	}
}

func TestLoadRoundTrip(t *testing.T) {
	p := toyPlan(t)
	dir := t.TempDir()
	rs, err := Execute(context.Background(), p, Whole, toyRun, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, p, Whole, rs); err != nil {
		t.Fatal(err)
	}
	_, sh, back, err := Load(dir)
	if err != nil || sh != Whole || len(back) != len(rs) {
		t.Fatalf("Load: %v %v %d", err, sh, len(back))
	}
	for i := range rs {
		for n, x := range rs[i].Metrics {
			y, ok := back[i].Metrics[n]
			if !ok || (x != y && !(math.IsNaN(x) && math.IsNaN(y))) {
				t.Fatalf("run %d metric %s: %v came back as %v", i, n, x, y)
			}
		}
		if len(back[i].Metrics) != len(rs[i].Metrics) {
			t.Fatalf("run %d: metric count changed", i)
		}
	}
}

// FuzzLoad feeds arbitrary runs.csv and manifest.json bytes to Load (what
// merge reads from every shard): errors are fine, panics are not, and
// whatever loads must write back.
func FuzzLoad(f *testing.F) {
	p := toyPlanF()
	dir := f.TempDir()
	rs, _ := Execute(context.Background(), p, Shard{1, 3}, toyRun, Options{Jobs: 1})
	if err := Write(dir, p, Shard{1, 3}, rs); err != nil {
		f.Fatal(err)
	}
	man, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
	runs, _ := os.ReadFile(filepath.Join(dir, RunsCSVFile))
	f.Add(man, runs)
	f.Add(man, []byte("run,point\n1,2\n"))
	f.Fuzz(func(t *testing.T, man, runs []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, ManifestFile), man, 0o644)
		os.WriteFile(filepath.Join(d, RunsCSVFile), runs, 0o644)
		p, sh, rs, err := Load(d)
		if err != nil {
			return
		}
		if err := Write(filepath.Join(d, "again"), p, sh, rs); err != nil {
			t.Fatalf("loaded but cannot write back: %v", err)
		}
	})
}

func toyPlanF() *Plan {
	a, _ := ParseParam("adoption=0:1:0.5")
	p, _ := NewPlan("toy.toml", nil, []Param{a}, SeedRange(1, 2))
	return p
}
