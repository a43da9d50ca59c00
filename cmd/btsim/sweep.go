package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/netmodel/middlebox/pairs"
	"github.com/bttls/bttls/sim/plot"
	simscenario "github.com/bttls/bttls/sim/scenario"
	"github.com/bttls/bttls/sim/sweep"
)

func init() {
	register(cli.Command{
		Name:    "sweep",
		Summary: "run a scenario over a parameter grid and seeds (or one shard of it); mean ± 95% CI and plots",
		Run:     runSweep,
	})
}

const sweepHelp = `usage: btsim sweep STUDY.toml --out DIR [--param NAME=VALUES]... [flags]

Runs the scenario once per grid point and seed, each run a 'btsim run'
subprocess with its own scheduler, --jobs at a time, and writes into DIR:
  manifest.json           the plan (scenario hash, parameters, seeds, shard)
  runs.csv, runs.json     one row per run: parameters, seed, every metric
  summary.csv, .json      per grid point and metric: n, mean, sd, 95% CI
  *.png, *.svg            the study's figures (its [[sweep.plot]] tables)
The bytes depend only on the study and the seeds, not on --jobs.

Parameters (a scenario key, dotted for tables and arrays of tables, or an
alias from the study's [sweep.alias]):
  adoption=0:1:0.1              START:STOP:STEP, STOP included
  mix.0.policy=off,prefer       a list (numbers, true/false or text)
  censor.kind=fet               one value
Without --param, the study's [sweep] params are used; --param replaces
them all. Seeds are FIRST, FIRST+1, ... (--seeds, default the study's).

Sharding: --shard I/N runs only the runs whose number is I modulo N
(I from 0), e.g. one task of a Kubernetes Indexed Job or a Slurm array
(see deploy/). A shard writes no summary or plots; 'btsim merge' combines
all N shard directories into exactly what one machine would have written.

Example:
  btsim sweep scenarios/studies/adoption.toml --seeds 5 --out out/adoption
  btsim sweep scenarios/studies/adoption.toml --param adoption=0:1:0.5 --out /tmp/a --shard 0/4

flags:
`

// runCommand is the btsim subcommand a sweep runs once per run.
var runCommand = []string{"run"}

func runSweep(args []string) int {
	fs := pflag.NewFlagSet("sweep", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, sweepHelp)
		fs.PrintDefaults()
	}
	params := fs.StringArray("param", nil, "NAME=START:STOP:STEP or NAME=V1,V2,... (repeat for a grid; replaces the study's params)")
	seeds := fs.Int("seeds", 0, "seeds per grid point (0: the study's sweep.seeds, else 1)")
	firstSeed := fs.Uint64("first-seed", 1, "first seed; the others follow it")
	out := fs.String("out", "", "output directory (required)")
	shardFlag := fs.String("shard", "0/1", "run only shard I of N (I from 0), for a cluster job")
	jobs := fs.Int("jobs", runtime.NumCPU(), "runs at once (each is a process on its own core)")
	keepRuns := fs.Bool("keep-runs", false, "keep each run's own CSV/JSON output in DIR/runs/run-NNNNNN")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "btsim sweep: %v\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "btsim sweep: want one study file, got %d arguments (see --help)\n", fs.NArg())
		return 2
	}
	if *out == "" {
		fmt.Fprintf(os.Stderr, "btsim sweep: --out DIR is required\n")
		return 2
	}
	if *jobs < 1 {
		fmt.Fprintf(os.Stderr, "btsim sweep: --jobs %d: want at least 1\n", *jobs)
		return 2
	}
	if err := sweepMain(fs.Arg(0), *params, *seeds, *firstSeed, *out, *shardFlag, *jobs, *keepRuns); err != nil {
		fmt.Fprintf(os.Stderr, "btsim sweep: %v\n", err)
		return 1
	}
	return 0
}

func sweepMain(studyPath string, paramSpecs []string, seeds int, firstSeed uint64, out, shardSpec string, jobs int, keepRuns bool) error {
	data, err := os.ReadFile(studyPath)
	if err != nil {
		return err
	}
	study, scenario, err := sweep.ParseStudy(studyPath, data)
	if err != nil {
		return err
	}
	params := study.Params
	if len(paramSpecs) > 0 {
		params = nil
		for _, s := range paramSpecs {
			p, err := sweep.ParseParam(s)
			if err != nil {
				return err
			}
			params = append(params, p)
		}
	}
	if seeds == 0 {
		seeds = study.Seeds
	}
	if seeds < 1 {
		return fmt.Errorf("--seeds %d: want at least 1", seeds)
	}
	sh, err := sweep.ParseShard(shardSpec)
	if err != nil {
		return err
	}
	plan, err := sweep.NewPlan(filepath.Base(studyPath), data, params, sweep.SeedRange(firstSeed, seeds))
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	command := runCommand
	if study.Command != "" && study.Command != "run" {
		if !commands.Has(study.Command) {
			return fmt.Errorf("%s: sweep.command %q is not a btsim command", studyPath, study.Command)
		}
		command = []string{study.Command}
	}
	runner := &sweep.ExecRunner{Exe: exe, Command: command, Scenario: scenario, Params: params, Alias: study.Alias, Derive: swarmMetrics}
	if keepRuns {
		runner.KeepRuns = filepath.Join(out, "runs")
	}
	// Catch a bad parameter name or value before starting any run: every
	// alias must map every value, and every grid point must make a scenario
	// the run's command accepts.
	if err := sweep.CheckAliases(params, study.Alias); err != nil {
		return err
	}
	if err := checkGrid(command, plan, scenario, study.Alias); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	total := len(sh.Select(plan.Runs()))
	opts := sweep.Options{Jobs: jobs}
	if sweepStderrIsTerminal(os.Stderr) {
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("sweep "+sh.String()), progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
		opts.Progress = func(int, int) { bar.Add(1) }
	}
	start := time.Now()
	rs, err := sweep.Execute(ctx, plan, sh, runner.Run, opts)
	if err != nil {
		return err
	}
	if err := sweep.Write(out, plan, sh, rs); err != nil {
		return err
	}
	fmt.Printf("btsim sweep: %d runs of %s (shard %s) in %s → %s\n", len(rs), plan.Scenario, sh, time.Since(start).Round(time.Millisecond), out)
	if sh == sweep.Whole {
		if len(paramSpecs) > 0 {
			// The study's figures were written for its own parameters;
			// with others given on the command line, draw those that fit.
			return drawStudy(out, plan, rs, fittingPlots(plan, study.Plots))
		}
		return drawStudy(out, plan, rs, study.Plots)
	}
	return nil
}

// checkGrid parses the scenario of every grid point with the parser of the
// command that will run it, so that a misspelt key or a value out of range
// fails at once, naming the point, instead of in the first run.
func checkGrid(command []string, plan *sweep.Plan, scenario []byte, alias sweep.Aliases) error {
	var parse func(name string, data []byte) error
	switch command[0] {
	case "run":
		parse = func(name string, data []byte) error { _, err := simscenario.Parse(name, data); return err }
	case "pairs":
		parse = func(name string, data []byte) error { _, err := pairs.Parse(name, data); return err }
	default:
		parse = func(string, []byte) error { return nil } // checked by the run itself
	}
	for _, pt := range sweep.Grid(plan.Params) {
		data, err := sweep.Override(scenario, plan.Params, pt, alias)
		if err != nil {
			return err
		}
		if err := parse("(the scenario with these values)", data); err != nil {
			return fmt.Errorf("at %s: %w", plan.Describe(pt), err)
		}
	}
	return nil
}

// fittingPlots keeps the plots whose x and fixed parameters the plan
// sweeps, with values it takes, and says which it leaves out.
func fittingPlots(plan *sweep.Plan, specs []sweep.PlotSpec) []sweep.PlotSpec {
	values := map[string]map[string]bool{}
	for _, p := range plan.Params {
		values[p.Name] = map[string]bool{}
		for _, v := range p.Values {
			values[p.Name][v.String()] = true
		}
	}
	var keep []sweep.PlotSpec
outer:
	for _, sp := range specs {
		if values[sp.X] == nil {
			fmt.Printf("btsim sweep: no plot %s: --param left out its x parameter %s\n", sp.File, sp.X)
			continue
		}
		for k, v := range sp.Where {
			if !values[k][v] {
				fmt.Printf("btsim sweep: no plot %s: --param left out %s=%s\n", sp.File, k, v)
				continue outer
			}
		}
		keep = append(keep, sp)
	}
	return keep
}

func drawStudy(out string, plan *sweep.Plan, rs []sweep.Result, specs []sweep.PlotSpec) error {
	files, err := plot.Study(out, plan, rs, specs)
	if err != nil {
		return err
	}
	if len(files) > 0 {
		fmt.Printf("btsim sweep: plots %s (.png, .svg)\n", strings.Join(files, ", "))
	}
	return nil
}

func sweepStderrIsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
