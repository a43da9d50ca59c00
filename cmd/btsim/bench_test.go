package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestBenchScenario: btsim bench runs a scenario file with its peer count
// replaced, and refuses flags that only shape the built-in flash crowd.
func TestBenchScenario(t *testing.T) {
	scen := filepath.Join(t.TempDir(), "s.toml")
	if err := os.WriteFile(scen, []byte(traceScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runBench([]string{"--scenario", scen, "--peers", "4", "--crypto", "modeled"}); got != 0 {
		t.Fatalf("btsim bench --scenario exited %d", got)
	}
	for _, args := range [][]string{
		{"--scenario", scen, "--size", "1MiB"},
		{"--scenario", scen, "--peers", "0"},
		{"--scenario", filepath.Join(t.TempDir(), "missing.toml")},
		{"--peers", "4", "extra"},
	} {
		if got := runBench(args); got != 2 {
			t.Errorf("btsim bench %q exited %d, want 2", args, got)
		}
	}
}
