package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/sim/sweep"
)

func init() {
	register(cli.Command{
		Name:    "merge",
		Summary: "combine the shard outputs of one sweep into what one machine would have written",
		Run:     runMerge,
	})
}

const mergeHelp = `usage: btsim merge SHARD_DIR... --out DIR [--study STUDY.toml]

Reads the output directories of every shard of one sweep (btsim sweep
--shard I/N, for I = 0..N-1, in any order) and writes into DIR exactly the
files one 'btsim sweep' without --shard writes: byte for byte the same
manifest, runs and summary. It refuses shards of different sweeps, a
missing shard and a shard given twice. Kept run outputs (--keep-runs) are
copied into DIR/runs. With --study (the same file the shards ran), it also
draws the study's figures.

Example (after a Slurm array or an Indexed Job wrote out/shard-0 ... out/shard-7):
  btsim merge out/shard-* --out out/merged --study scenarios/studies/adoption.toml

flags:
`

func runMerge(args []string) int {
	fs := pflag.NewFlagSet("merge", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, mergeHelp)
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "output directory (required)")
	studyPath := fs.String("study", "", "the study file the shards ran, to draw its figures")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "btsim merge: %v\n", err)
		return 2
	}
	if fs.NArg() == 0 || *out == "" {
		fmt.Fprintf(os.Stderr, "btsim merge: want shard directories and --out DIR (see --help)\n")
		return 2
	}
	if err := mergeMain(fs.Args(), *out, *studyPath); err != nil {
		fmt.Fprintf(os.Stderr, "btsim merge: %v\n", err)
		return 1
	}
	return 0
}

func mergeMain(dirs []string, out, studyPath string) error {
	if err := sweep.Merge(dirs, out); err != nil {
		return err
	}
	for _, d := range dirs {
		if err := copyKeptRuns(filepath.Join(d, "runs"), filepath.Join(out, "runs")); err != nil {
			return err
		}
	}
	plan, _, rs, err := sweep.Load(out)
	if err != nil {
		return err
	}
	fmt.Printf("btsim merge: %d shards, %d runs → %s\n", len(dirs), len(rs), out)
	if studyPath == "" {
		return nil
	}
	data, err := os.ReadFile(studyPath)
	if err != nil {
		return err
	}
	check, err := sweep.NewPlan(filepath.Base(studyPath), data, nil, plan.Seeds)
	if err != nil {
		return err
	}
	if check.ScenarioSHA256 != plan.ScenarioSHA256 {
		return fmt.Errorf("--study %s is not the file the shards ran (its SHA-256 differs from the manifest's)", studyPath)
	}
	study, _, err := sweep.ParseStudy(studyPath, data)
	if err != nil {
		return err
	}
	// The shards may have run with --param: draw the figures that fit.
	return drawStudy(out, plan, rs, fittingPlots(plan, study.Plots))
}

// copyKeptRuns copies kept run directories (run-NNNNNN/...) from a shard.
func copyKeptRuns(from, to string) error {
	entries, err := os.ReadDir(from)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		src, dst := filepath.Join(from, e.Name()), filepath.Join(to, e.Name())
		if e.IsDir() {
			if err := copyKeptRuns(src, dst); err != nil {
				return err
			}
			continue
		}
		if err := copyKeptFile(src, dst); err != nil {
			return err
		}
	}
	return nil
}

func copyKeptFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
