package sweep

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
)

// Load reads a sweep output directory (one shard's or a whole sweep's) back
// into its plan, shard and results, checking every row against the plan.
func Load(dir string) (*Plan, Shard, []Result, error) {
	mb, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, Shard{}, nil, fmt.Errorf("sweep: %s is not a sweep output: %w", dir, err)
	}
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, Shard{}, nil, fmt.Errorf("sweep: %s: %w", filepath.Join(dir, ManifestFile), err)
	}
	if m.Format != formatVersion {
		return nil, Shard{}, nil, fmt.Errorf("sweep: %s: format %q, want %q", dir, m.Format, formatVersion)
	}
	p := &Plan{Scenario: m.Scenario, ScenarioSHA256: m.ScenarioSHA256, Seeds: m.Seeds}
	for _, spec := range m.Params {
		pr, err := ParseParam(spec)
		if err != nil {
			return nil, Shard{}, nil, fmt.Errorf("sweep: %s: %w", dir, err)
		}
		p.Params = append(p.Params, pr)
	}
	if _, err := NewPlan(p.Scenario, nil, p.Params, p.Seeds); err != nil {
		return nil, Shard{}, nil, fmt.Errorf("sweep: %s: %w", dir, err)
	}
	sh, err := ParseShard(m.Shard)
	if err != nil {
		return nil, Shard{}, nil, fmt.Errorf("sweep: %s: %w", dir, err)
	}
	rs, err := readRuns(filepath.Join(dir, RunsCSVFile), p, sh, m.Metrics)
	if err != nil {
		return nil, Shard{}, nil, err
	}
	if len(rs) != m.Runs {
		return nil, Shard{}, nil, fmt.Errorf("sweep: %s: %d runs, the manifest says %d", dir, len(rs), m.Runs)
	}
	return p, sh, rs, nil
}

func readRuns(path string, p *Plan, sh Shard, metrics []string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", path, err)
	}
	want := []string{"run", "point", "seed"}
	for _, pr := range p.Params {
		want = append(want, pr.Name)
	}
	want = append(want, metrics...)
	if len(rows) == 0 || !slices.Equal(rows[0], want) {
		return nil, fmt.Errorf("sweep: %s: header does not match the manifest (want %v)", path, want)
	}
	total := p.NumRuns()
	np := len(p.Params)
	var out []Result
	for ln, row := range rows[1:] {
		where := fmt.Sprintf("sweep: %s: line %d", path, ln+2)
		idx, err := strconv.Atoi(row[0])
		if err != nil || idx < 0 || idx >= total || !sh.Has(idx) {
			return nil, fmt.Errorf("%s: run %q is not a run of shard %s of this plan", where, row[0], sh)
		}
		r := p.Run(idx)
		if row[1] != strconv.Itoa(r.Point) || row[2] != strconv.FormatUint(r.Seed, 10) {
			return nil, fmt.Errorf("%s: run %d should be point %d seed %d", where, idx, r.Point, r.Seed)
		}
		for i, v := range r.Values {
			if row[3+i] != v.String() {
				return nil, fmt.Errorf("%s: run %d should have %s=%s", where, idx, p.Params[i].Name, v)
			}
		}
		if len(out) > 0 && idx <= out[len(out)-1].Index {
			return nil, fmt.Errorf("%s: runs out of order or repeated", where)
		}
		ms := map[string]float64{}
		for i, n := range metrics {
			cell := row[3+np+i]
			if cell == "" {
				continue // the run did not report it
			}
			x, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				return nil, fmt.Errorf("%s: metric %s: %q is not a number", where, n, cell)
			}
			ms[n] = x
		}
		out = append(out, Result{Run: r, Metrics: ms})
	}
	return out, nil
}

// Merge reads the outputs of every shard of one sweep and writes into out
// exactly what running the whole sweep on one machine writes. It refuses
// outputs of different plans, a shard given twice and a missing shard.
func Merge(dirs []string, out string) error {
	if len(dirs) == 0 {
		return fmt.Errorf("sweep: merge: no shard directories given")
	}
	var plan *Plan
	var n int
	byShard := map[int]string{}
	var all []Result
	for _, d := range dirs {
		p, sh, rs, err := Load(d)
		if err != nil {
			return err
		}
		if plan == nil {
			plan, n = p, sh.N
		} else if err := samePlan(plan, p); err != nil {
			return fmt.Errorf("sweep: merge: %s and %s: %w", dirs[0], d, err)
		} else if sh.N != n {
			return fmt.Errorf("sweep: merge: %s is shard %s but %s is of %d shards", d, sh, dirs[0], n)
		}
		if prev, dup := byShard[sh.I]; dup {
			return fmt.Errorf("sweep: merge: shard %s given twice (%s and %s)", sh, prev, d)
		}
		byShard[sh.I] = d
		all = append(all, rs...)
	}
	for i := range n {
		if _, ok := byShard[i]; !ok {
			return fmt.Errorf("sweep: merge: shard %d/%d is missing", i, n)
		}
	}
	slices.SortFunc(all, func(a, b Result) int { return a.Index - b.Index })
	if want := plan.NumRuns(); len(all) != want {
		return fmt.Errorf("sweep: merge: %d runs in the shards, the plan has %d", len(all), want)
	}
	return Write(out, plan, Whole, all)
}

func samePlan(a, b *Plan) error {
	switch {
	case a.Scenario != b.Scenario || a.ScenarioSHA256 != b.ScenarioSHA256:
		return fmt.Errorf("different scenarios (%s %.12s, %s %.12s)", a.Scenario, a.ScenarioSHA256, b.Scenario, b.ScenarioSHA256)
	case !slices.Equal(a.Seeds, b.Seeds):
		return fmt.Errorf("different seeds")
	case len(a.Params) != len(b.Params):
		return fmt.Errorf("different parameters")
	}
	for i := range a.Params {
		if a.Params[i].Spec != b.Params[i].Spec {
			return fmt.Errorf("different parameters (%q and %q)", a.Params[i].Spec, b.Params[i].Spec)
		}
	}
	return nil
}
