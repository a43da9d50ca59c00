package main

import (
	"math"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/bttls/bttls/sim/sweep"
)

// TestPresetReproducesCommittedResults reruns the small preset study with
// the real simulator (this test binary, acting as btsim, runs each run as
// a subprocess) and checks that every number committed in results/preset
// comes out exactly the same. A metric the simulator has started to report
// since is logged, not failed; a changed or missing number fails. If the
// simulator's behaviour changed on purpose, regenerate every study with
// `make results` and commit them.
func TestPresetReproducesCommittedResults(t *testing.T) {
	const study = "../../scenarios/studies/preset.toml"
	const committed = "../../results/preset"
	t.Setenv("BTSIM_MAIN", "1")
	out := filepath.Join(t.TempDir(), "preset")
	if code := runSweep([]string{study, "--out", out, "--jobs", "2"}); code != 0 {
		t.Fatalf("btsim sweep %s: exit %d", study, code)
	}
	wantPlan, _, want, err := sweep.Load(committed)
	if err != nil {
		t.Fatalf("committed results: %v (run make results)", err)
	}
	gotPlan, _, got, err := sweep.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if gotPlan.ScenarioSHA256 != wantPlan.ScenarioSHA256 || !slices.Equal(gotPlan.Seeds, wantPlan.Seeds) || len(got) != len(want) {
		t.Fatalf("results/preset was made from another study file or seeds: run make results")
	}
	added := map[string]bool{}
	for i := range want {
		for _, name := range presetSortedKeys(want[i].Metrics) {
			w := want[i].Metrics[name]
			g, ok := got[i].Metrics[name]
			if !ok {
				t.Errorf("run %d (seed %d): metric %s is no longer reported", want[i].Index, want[i].Seed, name)
				continue
			}
			if g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("run %d (%s, seed %d): %s = %v, committed %v", want[i].Index, gotPlan.Describe(want[i].Values), want[i].Seed, name, g, w)
			}
		}
		for name := range got[i].Metrics {
			if _, ok := want[i].Metrics[name]; !ok {
				added[name] = true
			}
		}
	}
	if len(added) > 0 {
		t.Logf("metrics reported now but not in results/preset (make results adds them): %v", presetSortedKeys(added))
	}
}

func presetSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
