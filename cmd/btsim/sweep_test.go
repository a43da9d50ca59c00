package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/sim/sweep"
)

// TestMain makes the test binary act as btsim when BTSIM_MAIN is set, so
// that a sweep's subprocesses (os.Executable) are this binary.
func TestMain(m *testing.M) {
	if os.Getenv("BTSIM_MAIN") == "1" {
		register(cli.Command{Name: "toy-run", Run: toyRun})
		if os.Getenv("BTSIM_TOY_RUN") == "1" {
			runCommand = []string{"toy-run"} // sweeps started by scripts
		}
		os.Exit(dispatch(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// toyRun stands in for 'btsim run': a deterministic function of the
// scenario and the seed, written as JSON like a run's results.
func toyRun(args []string) int {
	fs := pflag.NewFlagSet("toy-run", pflag.ContinueOnError)
	seed := fs.Uint64("seed", 0, "")
	out := fs.String("out", "", "")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return 2
	}
	var scn struct {
		Peers int
		Mix   []struct{ Fraction float64 }
	}
	if _, err := toml.DecodeFile(fs.Arg(0), &scn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tls := scn.Mix[0].Fraction
	// The layout of a real run's summary.json, with made-up numbers.
	res := map[string]any{"download_p90_s": 100 - 30*tls + float64(*seed%3), "peers": scn.Peers, "completed": scn.Peers,
		"bytes_by_kind": map[string]any{"tls-basic": 1000 * tls, "mse": 1000 * (1 - tls)},
		"handshakes":    map[string]any{"out tls-basic": 10 * tls, "out mse": 10 - 10*tls, "out failed": 5, "in tls-basic": 3},
		"wall_s":        0.123}
	b, _ := json.Marshal(res)
	os.MkdirAll(*out, 0o755)
	return map[bool]int{true: 0, false: 1}[os.WriteFile(filepath.Join(*out, "result.json"), b, 0o644) == nil]
}

const toyStudy = `# a toy study
peers = 10
[[mix]]
fraction = 0.5
[[mix]]
fraction = 0.5

[sweep]
params = ["adoption=0:1:0.25"]
seeds = 3
[sweep.alias]
adoption = { "mix.0.fraction" = "x", "mix.1.fraction" = "1-x" }
[[sweep.plot]]
file = "completion"
y = "download_p90_s"
x = "adoption"
`

func TestSweepShardMergeCLI(t *testing.T) {
	t.Setenv("BTSIM_MAIN", "1")
	saved := runCommand
	runCommand = []string{"toy-run"}
	defer func() { runCommand = saved }()

	dir := t.TempDir()
	study := filepath.Join(dir, "toy.toml")
	os.WriteFile(study, []byte(toyStudy), 0o644)
	whole := filepath.Join(dir, "whole")
	if code := runSweep([]string{study, "--out", whole, "--jobs", "2"}); code != 0 {
		t.Fatalf("sweep exit %d", code)
	}
	for _, f := range []string{"summary.csv", "completion.png", "completion.svg"} {
		if _, err := os.Stat(filepath.Join(whole, f)); err != nil {
			t.Errorf("whole sweep: %v", err)
		}
	}
	var shards []string
	for i := range 3 {
		d := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		if code := runSweep([]string{study, "--out", d, "--shard", fmt.Sprintf("%d/3", i), "--jobs", "1", "--keep-runs"}); code != 0 {
			t.Fatalf("shard %d exit %d", i, code)
		}
		shards = append(shards, d)
	}
	merged := filepath.Join(dir, "merged")
	if code := runMerge(append(shards, "--out", merged, "--study", study)); code != 0 {
		t.Fatalf("merge exit %d", code)
	}
	for _, f := range []string{"manifest.json", "runs.csv", "runs.json", "summary.csv", "summary.json", "completion.png", "completion.svg"} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(merged, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: merged shards differ from the whole sweep", f)
		}
	}
	if _, err := os.Stat(filepath.Join(merged, "runs", "run-000014", "result.json")); err != nil {
		t.Errorf("kept run outputs were not merged: %v", err)
	}
	summary, _ := os.ReadFile(filepath.Join(whole, "summary.csv"))
	// adoption 1: 70 + seed%3 for seeds 1..3 → 71, 72, 70: mean 71.
	if !strings.Contains(string(summary), "4,1,download_p90_s,3,71,1,") {
		t.Errorf("summary.csv:\n%s", summary)
	}

	// The study file must match the one the shards ran.
	other := filepath.Join(dir, "other.toml")
	os.WriteFile(other, []byte(toyStudy+"\n# changed\n"), 0o644)
	if code := runMerge(append(shards, "--out", filepath.Join(dir, "m2"), "--study", other)); code == 0 {
		t.Error("merge accepted a different study file")
	}
}

func TestSweepFlagErrors(t *testing.T) {
	dir := t.TempDir()
	study := filepath.Join(dir, "toy.toml")
	os.WriteFile(study, []byte(toyStudy), 0o644)
	for _, args := range [][]string{
		{},
		{study},
		{study, "--out", dir, "--jobs", "0"},
		{study, "--out", dir, "--shard", "3/3"},
		{study, "--out", dir, "--param", "adoption=1:0:1"},
		{study, "--out", dir, "--param", "peers=x,y"},
		{filepath.Join(dir, "missing.toml"), "--out", dir},
	} {
		if code := runSweep(args); code == 0 {
			t.Errorf("btsim sweep %q succeeded", args)
		}
	}
	if code := runMerge([]string{"--out", dir}); code == 0 {
		t.Error("merge without shards succeeded")
	}
}

// TestSlurmScripts runs deploy/slurm's array task and merge scripts as
// Slurm would (SLURM_ARRAY_TASK_ID/COUNT set), with this binary as btsim.
func TestSlurmScripts(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	study := filepath.Join(dir, "toy.toml")
	os.WriteFile(study, []byte(toyStudy), 0o644)
	env := append(os.Environ(), "BTSIM_MAIN=1", "BTSIM_TOY_RUN=1", "BTSIM="+exe)
	const n = 3
	for i := range n {
		cmd := exec.Command("bash", "../../deploy/slurm/sweep.sbatch", study, dir)
		cmd.Env = append(env, fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", i), fmt.Sprintf("SLURM_ARRAY_TASK_COUNT=%d", n), "SLURM_CPUS_PER_TASK=2")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("array task %d: %v\n%s", i, err, out)
		}
	}
	cmd := exec.Command("bash", "../../deploy/slurm/merge.sbatch", study, dir)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	t.Setenv("BTSIM_MAIN", "1")
	saved := runCommand
	runCommand = []string{"toy-run"}
	defer func() { runCommand = saved }()
	whole := filepath.Join(dir, "whole")
	if code := runSweep([]string{study, "--out", whole}); code != 0 {
		t.Fatalf("sweep exit %d", code)
	}
	for _, f := range []string{"runs.csv", "summary.csv", "summary.json"} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(dir, "merged", f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: the Slurm array's merged output differs from one machine's", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "merged", "completion.svg")); err != nil {
		t.Errorf("merge drew no plot: %v", err)
	}
}

// TestKubernetesIndexedJobArgs runs the container arguments of
// deploy/kubernetes/sweep-job.yaml and merge-job.yaml, as the Indexed Job's
// pods would (JOB_COMPLETION_INDEX = 0..N-1, placeholders filled in as
// run.sh fills them), with this binary as the image's btsim, and checks the
// merge equals one machine's sweep.
func TestKubernetesIndexedJobArgs(t *testing.T) {
	dir := t.TempDir()
	study := filepath.Join(dir, "toy.toml")
	os.WriteFile(study, []byte(toyStudy), 0o644)
	t.Setenv("BTSIM_MAIN", "1")
	saved := runCommand
	runCommand = []string{"toy-run"}
	defer func() { runCommand = saved }()

	const n = 3
	fill := func(s string, index int) string {
		r := strings.NewReplacer("${NAME}", "toy", "${SHARDS}", fmt.Sprint(n), "/scenarios/${STUDY}", study,
			"$(JOB_COMPLETION_INDEX)", fmt.Sprint(index), "/results/", dir+"/results/")
		return r.Replace(s)
	}
	sweepArgs := yamlArgs(t, "../../deploy/kubernetes/sweep-job.yaml")
	if len(sweepArgs) == 0 || sweepArgs[0] != "sweep" {
		t.Fatalf("sweep-job.yaml args %q: want a btsim sweep command", sweepArgs)
	}
	var shardDirs []string
	for i := range n {
		var args []string
		for _, a := range sweepArgs[1:] {
			args = append(args, fill(a, i))
		}
		if code := runSweep(args); code != 0 {
			t.Fatalf("pod %d: btsim %q: exit %d", i, args, code)
		}
		shardDirs = append(shardDirs, fmt.Sprintf("%s/results/toy/shard-%d", dir, i))
	}
	// merge-job.yaml lists the shard directories in one flow sequence.
	mergeArgs := yamlArgs(t, "../../deploy/kubernetes/merge-job.yaml")
	var args []string
	for _, a := range mergeArgs[1:] {
		if a == "${SHARD_DIRS}" {
			args = append(args, shardDirs...)
			continue
		}
		args = append(args, fill(a, 0))
	}
	if mergeArgs[0] != "merge" {
		t.Fatalf("merge-job.yaml args %q", mergeArgs)
	}
	if code := runMerge(args); code != 0 {
		t.Fatalf("merge %q: exit %d", args, code)
	}
	whole := filepath.Join(dir, "whole")
	if code := runSweep([]string{study, "--out", whole}); code != 0 {
		t.Fatal("whole sweep failed")
	}
	for _, f := range []string{"runs.csv", "summary.csv"} {
		a, _ := os.ReadFile(filepath.Join(whole, f))
		b, _ := os.ReadFile(filepath.Join(dir, "results/toy/merged", f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: the Indexed Job's merged output differs from one machine's", f)
		}
	}
}

// yamlArgs extracts a container's args from the manifests in deploy/: a
// block list ("- x" lines under "args:") or a flow list (args: [a, b]).
func yamlArgs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		if !strings.HasPrefix(trimmed, "args:") {
			continue
		}
		if rest := strings.TrimSpace(strings.TrimPrefix(trimmed, "args:")); rest != "" {
			var out []string
			for _, a := range strings.Split(strings.Trim(rest, "[]"), ",") {
				out = append(out, strings.Trim(strings.TrimSpace(a), `"`))
			}
			return out
		}
		var out []string
		for _, m := range lines[i+1:] {
			m = strings.TrimSpace(m)
			if !strings.HasPrefix(m, "- ") {
				break
			}
			out = append(out, strings.Trim(strings.TrimPrefix(m, "- "), `"`))
		}
		return out
	}
	t.Fatalf("%s: no args", path)
	return nil
}

func TestFittingPlots(t *testing.T) {
	a, _ := sweep.ParseParam("adoption=0,1")
	p, _ := sweep.ParseParam("policy=prefer")
	plan, err := sweep.NewPlan("s.toml", nil, []sweep.Param{a, p}, sweep.SeedRange(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	specs := []sweep.PlotSpec{
		{File: "keep", X: "adoption", Where: map[string]string{"policy": "prefer"}},
		{File: "no-x", X: "strength"},
		{File: "no-value", X: "adoption", Where: map[string]string{"policy": "require"}},
		{File: "no-param", X: "adoption", Where: map[string]string{"censor": "fet"}},
	}
	got := fittingPlots(plan, specs)
	if len(got) != 1 || got[0].File != "keep" {
		t.Fatalf("fittingPlots kept %+v", got)
	}
}
