package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPresetReproducesCommittedResults reruns the small preset study with
// the real simulator (this test binary, acting as btsim, runs each run as
// a subprocess) and checks that it reproduces the results committed in
// results/preset byte for byte. If the simulator's behaviour changed on
// purpose, regenerate every study with `make results` and commit them.
func TestPresetReproducesCommittedResults(t *testing.T) {
	const study = "../../scenarios/studies/preset.toml"
	const committed = "../../results/preset"
	t.Setenv("BTSIM_MAIN", "1")
	out := filepath.Join(t.TempDir(), "preset")
	if code := runSweep([]string{study, "--out", out, "--jobs", "2"}); code != 0 {
		t.Fatalf("btsim sweep %s: exit %d", study, code)
	}
	for _, f := range []string{"manifest.json", "runs.csv", "summary.csv", "summary.json"} {
		want, err := os.ReadFile(filepath.Join(committed, f))
		if err != nil {
			t.Fatalf("committed results: %v (run make results)", err)
		}
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from results/preset/%s:\n%s", f, f, firstDiff(string(want), string(got)))
		}
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  committed: %s\n  rerun:     %s", i+1, x, y)
		}
	}
	return "(no line differs)"
}
