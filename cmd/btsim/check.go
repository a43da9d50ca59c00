package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/models/checker"
	"github.com/bttls/bttls/models/trace"
)

func init() {
	register(cli.Command{Name: "check", Summary: "model-check a TLA+ spec (or validate a negotiation trace against it)", Run: runCheck})
}

const checkHelp = `usage: btsim check [flags] SPEC.tla

Model-checks a TLA+ specification with the checker built into bttls, or
with TLC when you have it. The config defaults to the .cfg beside the spec
(models/tla/Negotiation.tla -> models/tla/Negotiation.cfg); it names the
initial predicate and next-state action (INIT/NEXT or SPECIFICATION), the
CONSTANTS, the INVARIANTS and temporal PROPERTIES to check.

The search is breadth-first, so an invariant violation or deadlock comes
with a shortest counterexample, printed as TLC prints it. A violated
temporal property ([]P, <>P, []<>P, <>[]P, P ~> Q under the WF/SF
conditions of the SPECIFICATION) comes with a lasso: a path and a cycle
("Back to state N") or a final stuttering state. The summary lines
("N states generated, M distinct states found, ...") count as TLC does and
do not depend on --workers.

With --trace, the spec is not explored; instead every connection recorded
in the NDJSON trace (written by btsim run --trace; schema in docs/model.md)
is checked to be a behaviour of the spec, and the first event that is not
is reported with the event kinds the spec would have allowed.

Examples:
  btsim check models/tla/Negotiation.tla
  btsim check --config models/tla/NegotiationBad.cfg models/tla/Negotiation.tla
  btsim check --workers 1 models/checker/testdata/DieHard.tla
  btsim check --trace run.ndjson models/tla/Negotiation.tla
  TLA2TOOLS_JAR=~/tla2tools.jar btsim check --engine=tlc models/tla/Negotiation.tla

Exit status: 0 no error found (or every traced connection valid), 1 a
violation (or an invalid trace), 2 a usage, parse or evaluation error.

flags:
`

func runCheck(args []string) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.StringP("config", "c", "", "the model config (default: SPEC with .cfg)")
	workers := fs.IntP("workers", "w", runtime.NumCPU(), "goroutines computing successors (counts do not depend on it)")
	engine := fs.String("engine", "go", "go: the built-in checker; tlc: run TLC from $TLA2TOOLS_JAR with java")
	tracePath := fs.String("trace", "", "validate this NDJSON negotiation trace instead of exploring the spec")
	maxStates := fs.Int64("max-states", 0, "stop with an error after this many distinct states (0: no limit)")
	quiet := fs.BoolP("quiet", "q", false, "print only the verdict and the summary lines, not the counterexample")
	help := fs.BoolP("help", "h", false, "show this help")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %v\n\n", err)
		fmt.Fprint(os.Stderr, checkHelp+fs.FlagUsages())
		return 2
	}
	if *help {
		fmt.Fprint(os.Stdout, checkHelp+fs.FlagUsages())
		return 0
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "btsim check: want exactly one SPEC.tla, got %d arguments\n\n", fs.NArg())
		fmt.Fprint(os.Stderr, checkHelp+fs.FlagUsages())
		return 2
	}
	spec := fs.Arg(0)
	if *workers < 1 {
		fmt.Fprintf(os.Stderr, "btsim check: --workers must be at least 1, got %d\n", *workers)
		return 2
	}
	switch *engine {
	case "go":
	case "tlc":
		if *tracePath != "" {
			fmt.Fprintln(os.Stderr, "btsim check: --trace works with --engine=go only")
			return 2
		}
		return runTLC(spec, *cfgPath, *workers)
	default:
		fmt.Fprintf(os.Stderr, "btsim check: --engine must be go or tlc, got %q\n", *engine)
		return 2
	}
	md, err := checker.Load(spec, *cfgPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %v\n", err)
		return 2
	}
	if *tracePath != "" {
		return validateTrace(md, *tracePath)
	}
	if os.Getenv("GOGC") == "" {
		// The explorer allocates many short-lived values; collecting less
		// often is worth about a third of the run time.
		debug.SetGCPercent(400)
	}
	res := md.Check(checker.Options{Workers: *workers, MaxStates: *maxStates, Print: func(s string) { fmt.Println(s) }})
	if *quiet && res.Violation != nil {
		res.Violation.Trace = nil
	}
	md.WriteReport(os.Stdout, res)
	fmt.Fprintf(os.Stdout, "Finished in %s (%d workers).\n", res.Elapsed.Round(time.Microsecond), *workers)
	if v := res.Violation; v != nil {
		if v.Kind == "error" || v.Kind == "limit" {
			return 2
		}
		return 1
	}
	return 0
}

func validateTrace(md *checker.Model, path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %v\n", err)
		return 2
	}
	defer f.Close()
	evs, err := trace.Read(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %s: %v\n", path, err)
		return 2
	}
	n, errs, err := md.ValidateTrace(evs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %v\n", err)
		return 2
	}
	for _, e := range errs {
		fmt.Printf("%s:%d: connection %s, event %d (%s): %s\n", path, e.Line, e.Conn, e.Index, e.Kind, e.Msg)
	}
	fmt.Printf("%d events, %d connections, %d not a behaviour of %s.\n", len(evs), n, len(errs), md.Mod.Name)
	if len(errs) > 0 {
		return 1
	}
	return 0
}

// runTLC runs the same spec and config through TLC, for cross-checking.
func runTLC(spec, cfg string, workers int) int {
	jar := os.Getenv("TLA2TOOLS_JAR")
	if jar == "" {
		fmt.Fprintln(os.Stderr, "btsim check: --engine=tlc needs TLA2TOOLS_JAR set to the path of tla2tools.jar")
		return 2
	}
	java, err := exec.LookPath("java")
	if err != nil {
		fmt.Fprintln(os.Stderr, "btsim check: --engine=tlc needs java on PATH")
		return 2
	}
	if cfg == "" {
		cfg = strings.TrimSuffix(spec, ".tla") + ".cfg"
	}
	absCfg, err := filepath.Abs(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %v\n", err)
		return 2
	}
	meta, err := os.MkdirTemp("", "btsim-tlc-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim check: %v\n", err)
		return 2
	}
	defer os.RemoveAll(meta)
	// -noGenerateSpecTE: do not write trace-exploration specs next to ours.
	cmd := exec.Command(java, "-XX:+UseParallelGC", "-cp", jar, "tlc2.TLC", "-noGenerateSpecTE",
		"-workers", fmt.Sprint(workers), "-metadir", meta, "-config", absCfg, filepath.Base(spec))
	cmd.Dir = filepath.Dir(spec)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		// TLC: 10-13 are violations (assumption, deadlock, safety, liveness).
		if c := ee.ExitCode(); c >= 10 && c <= 13 {
			return 1
		}
		return 2
	}
	fmt.Fprintf(os.Stderr, "btsim check: running TLC: %v\n", err)
	return 2
}
