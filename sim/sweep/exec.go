package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ExecRunner runs each run as a subprocess, `EXE run SCENARIO --seed N
// --out DIR` (btsim itself), and reads the run's metrics from the JSON the
// run writes. A process per run gives every run its own scheduler, heap and
// globals, so runs on different cores cannot disturb each other's
// determinism, and a crashing run takes only itself down.
type ExecRunner struct {
	// Exe is the simulator binary; Command the arguments that come before
	// the scenario file (e.g. "run").
	Exe     string
	Command []string
	// Scenario is the base scenario's TOML; each run gets it with the run's
	// parameter values set (Override).
	Scenario []byte
	Params   []Param
	Alias    Aliases
	// TempDir holds each run's scenario and output while it runs ("" is the
	// system's temporary directory).
	TempDir string
	// KeepRuns, if set, is where each run's own output directory is kept,
	// as run-NNNNNN (the run's index); otherwise it is deleted.
	KeepRuns string
	// Env, if set, is the subprocess's environment.
	Env []string
	// Derive, if set, rewrites the metrics read from a run's JSON (with the
	// run's output directory at hand): to drop wall-clock numbers, which
	// would make results differ between reruns of a seed, and to add ratios
	// that are easier to plot than their parts.
	Derive func(dir string, ms []Metric) ([]Metric, error)
}

// RunDirName is the directory a kept run's output goes to.
func RunDirName(index int) string { return fmt.Sprintf("run-%06d", index) }

// Run is a RunFunc.
func (x *ExecRunner) Run(ctx context.Context, r Run) ([]Metric, error) {
	scn, err := Override(x.Scenario, x.Params, r.Values, x.Alias)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(x.TempDir, "btsim-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "scenario.toml")
	if err := os.WriteFile(file, scn, 0o644); err != nil {
		return nil, err
	}
	out := filepath.Join(tmp, "out")
	args := append(append([]string{}, x.Command...), file, "--seed", strconv.FormatUint(r.Seed, 10), "--out", out)
	cmd := exec.CommandContext(ctx, x.Exe, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &limited{w: &stderr, n: 4096}
	cmd.Env = x.Env
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", filepath.Base(x.Exe), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	ms, err := ReadMetrics(out)
	if err != nil {
		return nil, err
	}
	if x.Derive != nil {
		if ms, err = x.Derive(out, ms); err != nil {
			return nil, err
		}
	}
	if x.KeepRuns != "" {
		if err := os.MkdirAll(x.KeepRuns, 0o755); err != nil {
			return nil, err
		}
		dst := filepath.Join(x.KeepRuns, RunDirName(r.Index))
		os.RemoveAll(dst)
		if err := os.Rename(out, dst); err != nil {
			return nil, err
		}
	}
	return ms, nil
}

// limited keeps the first n bytes written to it (a run's error report).
type limited struct {
	w *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// ReadMetrics reads every *.json file of a run's output directory and
// returns their numbers as metrics: nested objects join their keys with
// '_' ({"completion": {"p50_s": 3}} is completion_p50_s), booleans count as
// 0 or 1, and strings, nulls and arrays (per-peer lists) are left out.
// With more than one file, names are prefixed with the file's base name.
func ReadMetrics(dir string) ([]Metric, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("sweep: the run wrote no JSON results into %s", dir)
	}
	sort.Strings(files)
	var ms []Metric
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("sweep: %s: %w", f, err)
		}
		prefix := ""
		if len(files) > 1 {
			prefix = metricName(strings.TrimSuffix(filepath.Base(f), ".json"))
		}
		flatten(prefix, v, &ms)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("sweep: the run's JSON results in %s hold no numbers", dir)
	}
	return ms, nil
}

func flatten(name string, v any, out *[]Metric) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n := metricName(k)
			if name != "" {
				n = name + "_" + n
			}
			flatten(n, x[k], out)
		}
	case json.Number:
		if f, err := x.Float64(); err == nil && name != "" && !math.IsInf(f, 0) {
			*out = append(*out, Metric{name, f})
		}
	case bool:
		if name != "" {
			f := 0.0
			if x {
				f = 1
			}
			*out = append(*out, Metric{name, f})
		}
	}
}

// metricName maps a JSON key to the characters metric names allow.
func metricName(k string) string {
	b := []byte(k)
	for i, c := range b {
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}
