package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestMain lets the test binary stand in for `btsim run` when
// SWEEP_FAKE_RUN is set: it reads the scenario, computes numbers from it and
// the seed, and writes them as JSON, the way the simulator reports a run.
func TestMain(m *testing.M) {
	if os.Getenv("SWEEP_FAKE_RUN") == "1" {
		os.Exit(fakeRun(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func fakeRun(args []string) int {
	// args: run SCENARIO --seed N --out DIR
	if len(args) != 6 || args[0] != "run" || args[2] != "--seed" || args[4] != "--out" {
		fmt.Fprintf(os.Stderr, "fake run: bad arguments %q\n", args)
		return 2
	}
	var scn struct {
		Adoption float64
		Fail     bool
	}
	if _, err := toml.DecodeFile(args[1], &scn); err != nil {
		fmt.Fprintln(os.Stderr, "fake run:", err)
		return 1
	}
	if scn.Fail {
		fmt.Fprintln(os.Stderr, "fake run: scenario asks to fail")
		return 1
	}
	var seed float64
	fmt.Sscan(args[3], &seed)
	os.MkdirAll(args[5], 0o755)
	res := map[string]any{
		"completion": map[string]any{"p50_s": 100 - 40*scn.Adoption + seed, "p90_s": nil},
		"tls":        map[string]any{"byte.fraction": scn.Adoption},
		"peers":      []int{1, 2, 3},
		"note":       "strings are not metrics",
		"stalled":    false,
	}
	b, _ := json.Marshal(res)
	os.WriteFile(filepath.Join(args[5], "result.json"), b, 0o644)
	os.WriteFile(filepath.Join(args[5], "result.csv"), []byte("a,b\n1,2\n"), 0o644)
	return 0
}

func TestExecRunner(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ParseParam("adoption=0:1:0.5")
	scenario := []byte("adoption = 0.0\nfail = false\n")
	plan, err := NewPlan("fake.toml", scenario, []Param{a}, SeedRange(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	keep := t.TempDir()
	x := &ExecRunner{Exe: exe, Command: []string{"run"}, Scenario: scenario, Params: plan.Params,
		TempDir: t.TempDir(), KeepRuns: keep, Env: append(os.Environ(), "SWEEP_FAKE_RUN=1")}
	rs, err := Execute(context.Background(), plan, Whole, x.Run, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 6 {
		t.Fatalf("%d results", len(rs))
	}
	r := rs[5] // adoption 1, seed 2
	want := map[string]float64{"completion_p50_s": 62, "tls_byte_fraction": 1, "stalled": 0}
	for n, v := range want {
		if got, ok := r.Metrics[n]; !ok || math.Abs(got-v) > 1e-12 {
			t.Errorf("metric %s = %v (present %v), want %v; all: %v", n, got, ok, v, r.Metrics)
		}
	}
	if len(r.Metrics) != len(want) {
		t.Errorf("metrics %v: nulls, strings and arrays must be left out", r.Metrics)
	}
	if _, err := os.Stat(filepath.Join(keep, RunDirName(5), "result.csv")); err != nil {
		t.Errorf("the run's own output was not kept: %v", err)
	}

	// A failing run reports its point, seed, command and stderr.
	x.Scenario = []byte("adoption = 0.0\nfail = true\n")
	_, err = Execute(context.Background(), plan, Whole, x.Run, Options{Jobs: 1})
	if err == nil || !strings.Contains(err.Error(), "adoption=0, seed 1") || !strings.Contains(err.Error(), "scenario asks to fail") {
		t.Errorf("error %v: want the point, the seed and the run's own message", err)
	}
}

func TestReadMetricsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadMetrics(dir); err == nil || !strings.Contains(err.Error(), "no JSON results") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"x": "text"}`), 0o644)
	if _, err := ReadMetrics(dir); err == nil || !strings.Contains(err.Error(), "hold no numbers") {
		t.Errorf("no numbers: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"x": `), 0o644)
	if _, err := ReadMetrics(dir); err == nil || !strings.Contains(err.Error(), "b.json") {
		t.Errorf("broken JSON: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"x": 1, "y": {"z": 2}}`), 0o644)
	ms, err := ReadMetrics(dir)
	if err != nil || len(ms) != 2 || ms[0].Name != "b_x" || ms[1].Name != "b_y_z" {
		t.Errorf("two files: %v %v, want names prefixed by file", ms, err)
	}
}
