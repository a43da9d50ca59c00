package plot

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bttls/bttls/sim/sweep"
)

func toySweep(t *testing.T) (*sweep.Plan, []sweep.Result) {
	t.Helper()
	var params []sweep.Param
	for _, s := range []string{"adoption=0:1:0.5", "policy=off,prefer", "censor=none,fet"} {
		p, err := sweep.ParseParam(s)
		if err != nil {
			t.Fatal(err)
		}
		params = append(params, p)
	}
	plan, err := sweep.NewPlan("toy.toml", nil, params, sweep.SeedRange(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sweep.Execute(context.Background(), plan, sweep.Whole, func(_ context.Context, r sweep.Run) ([]sweep.Metric, error) {
		a, _ := r.Values[0].Float()
		y := 100 - 50*a + float64(r.Seed)
		if r.Values[1].String() == "prefer" {
			y += 10
		}
		never := math.NaN()
		return []sweep.Metric{{Name: "completion_s", Value: y}, {Name: "never", Value: never}}, nil
	}, sweep.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	return plan, rs
}

func TestFromSweepLines(t *testing.T) {
	plan, rs := toySweep(t)
	series, cats, err := FromSweep(plan, rs, Query{Metric: "completion_s", X: "adoption", Where: map[string]string{"censor": "none"}})
	if err != nil {
		t.Fatal(err)
	}
	if cats != nil || len(series) != 2 || series[0].Label != "policy=off" || series[1].Label != "policy=prefer" {
		t.Fatalf("series %+v categories %v", series, cats)
	}
	// Seeds 1..3 add 1..3: mean +2, sd 1, CI = 4.303/sqrt(3).
	s := series[1]
	if !equal(s.X, []float64{0, 0.5, 1}) || !equal(s.Mean, []float64{112, 87, 62}) ||
		math.Abs(s.CI95[0]-4.303/math.Sqrt(3)) > 1e-9 {
		t.Errorf("prefer series %+v", s)
	}
}

func TestFromSweepCategories(t *testing.T) {
	plan, rs := toySweep(t)
	series, cats, err := FromSweep(plan, rs, Query{Metric: "completion_s", X: "censor", Where: map[string]string{"adoption": "1"}, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cats, ",") != "none,fet" || len(series) != 2 || !equal(series[0].X, []float64{0, 1}) ||
		series[0].Mean[0] != 2*52 {
		t.Fatalf("series %+v categories %v", series, cats)
	}
}

func TestFromSweepErrors(t *testing.T) {
	plan, rs := toySweep(t)
	for _, tt := range []struct {
		q   Query
		err string
	}{
		{Query{Metric: "completion_s", X: "nope"}, `no parameter "nope" (it has adoption, policy, censor)`},
		{Query{Metric: "nope", X: "adoption"}, `no metric "nope" (it has completion_s, never)`},
		{Query{Metric: "completion_s", X: "adoption", Where: map[string]string{"policy": "require"}}, "never takes the value"},
		{Query{Metric: "completion_s", X: "adoption", Where: map[string]string{"adoption": "1"}}, "fixed too"},
	} {
		if _, _, err := FromSweep(plan, rs, tt.q); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("FromSweep(%+v) = %v, want %q", tt.q, err, tt.err)
		}
	}
	series, _, err := FromSweep(plan, rs, Query{Metric: "never", X: "adoption"})
	if err != nil || !strings.HasSuffix(series[0].Label, "(nothing measured)") {
		t.Errorf("an all-NaN series must say so in its legend: %v %v", series, err)
	}
}

func TestSaveWritesPNGAndSVG(t *testing.T) {
	plan, rs := toySweep(t)
	dir := t.TempDir()
	if d := os.Getenv("PLOT_TEST_DIR"); d != "" {
		dir = d // to look at the figures
	}
	for _, q := range []Query{
		{Metric: "completion_s", X: "adoption"},
		{Metric: "completion_s", X: "censor", Where: map[string]string{"adoption": "0.5"}},
		{Metric: "never", X: "adoption"},
	} {
		series, cats, err := FromSweep(plan, rs, q)
		if err != nil {
			t.Fatal(err)
		}
		f := NewFigure("Completion", q.X, "seconds")
		f.Series, f.Categories = series, cats
		base := filepath.Join(dir, q.Metric+"-"+q.X)
		if err := f.Save(base); err != nil {
			t.Fatal(err)
		}
		png, _ := os.ReadFile(base + ".png")
		svg, _ := os.ReadFile(base + ".svg")
		if !bytes.HasPrefix(png, []byte("\x89PNG")) || !bytes.Contains(svg, []byte("<svg")) {
			t.Fatalf("%s: not a PNG and an SVG", base)
		}
		if q.Metric == "completion_s" && !bytes.Contains(svg, []byte("Completion")) {
			t.Errorf("%s: the title is missing from the SVG", base)
		}
	}
	if err := NewFigure("x", "x", "y").Save(filepath.Join(dir, "empty")); err == nil {
		t.Error("a figure with no series was saved")
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}
