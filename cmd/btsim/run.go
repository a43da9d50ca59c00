//go:debug cryptocustomrand=1

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/profile"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/models/trace"
	"github.com/bttls/bttls/sim/scenario"
	"github.com/bttls/bttls/sim/swarm"
	"github.com/bttls/bttls/sim/sweep"
)

// The //go:debug line above makes crypto/tls and crypto/ecdh draw from the
// seeded reader the simulator gives them; without it TLS handshakes would
// use the system's randomness and runs would not repeat.

func init() {
	register(cli.Command{
		Name:    "run",
		Summary: "simulate one scenario (a TOML file) and print its summary",
		Run:     runRun,
	})
}

const runHelp = `usage: btsim run SCENARIO.toml [--seed N] [--out DIR] [flags]

Simulates the swarm the scenario describes: real bttls peers (handshakes,
piece exchange, SHA-1 checks) and a real tracker on a simulated network, in
virtual time, one task at a time, so that a scenario and a seed always give
the same results. Prints a summary:
  completed       leechers that finished, of all
  download time   p50/p90/p99 from arrival to the last verified piece
  first piece     p50/p90 from arrival to the first verified piece: how long
                  a newcomer waits before it has anything to pass on
  upload utilisation  piece bytes uploaded until the last completion, over
                  what every peer's uplink could have sent by then
  Kumar–Ross      for a flash crowd (every leecher arrives at once), the
                  theoretical minimum time for all to complete with these
                  links, max(F/u_s, F/d_min, N·F/(u_s+Σu_i)), and the last
                  completion as a multiple of it (in summary.json:
                  kumar_ross_min_s, kumar_ross_factor)
  bytes           piece payload by what carried it (plain, mse, tls-basic...)
  handshakes      transport setups by direction and outcome, and TLS setups
                  per leecher
  level           for a Strict or Full Strict torrent ([torrent] level): the
                  leechers that speak no TLS and so cannot join
  issuer          Full Strict: certificates granted, peers left without one,
                  requests to the issuer and how many failed
  simulated       virtual seconds per wall-clock second, events, run digest
With --out DIR it also writes DIR/summary.json (the numbers above) and
DIR/peers.csv (one row per peer). A study file (scenarios/studies/*.toml)
runs as its base scenario, the [sweep] table aside (btsim sweep runs the
grid). See scenarios/default.toml for every key,
and scenarios/studies/levels.toml for the level, the [issuer] table and
per-[[mix]] pin and hints.

With --trace FILE it records the negotiation of every outbound connection
(dial, TLS attempt, fallback, legacy attempt, outcome; docs/model.md, "Trace
validation"), which the model checker validates against the spec.

Examples:
  btsim run scenarios/default.toml --seed 7 --out out/default
  btsim run scenarios/poisson-mixed.toml --trace run.ndjson
  btsim check --trace run.ndjson models/tla/Negotiation.tla

flags:
`

func runRun(args []string) int {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, runHelp)
		fs.PrintDefaults()
	}
	seed := fs.Uint64("seed", 0, "seed for every random choice (default: the scenario's seed)")
	out := fs.String("out", "", "directory for summary.json and peers.csv")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile (pprof) to this file")
	quiet := fs.Bool("quiet", false, "no progress bar and no summary on stdout")
	crypto := fs.String("crypto", "real", "real: run TLS and MSE for real (X25519, seeded); modeled: replay their handshake shapes and record overhead without crypto, for very large runs")
	mlkem := fs.Bool("mlkem", false, "offer X25519MLKEM768 in TLS; its ML-KEM part cannot be seeded, so the encrypted bytes (and, with ECDSA certificates, some sizes) vary between runs")
	traceFile := fs.String("trace", "", "write the negotiation events of every outbound connection to this file as NDJSON, for btsim check --trace FILE models/tla/Negotiation.tla (needs --crypto real)")
	eventLog := fs.String("event-log", "", "write every scheduler and network observation (the digest's input) to this file as NDJSON")
	watchdog := fs.Duration("watchdog", 0, "wall time a single task may run without yielding before the run is declared stalled (default 10s)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "btsim run: %v\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "btsim run: want exactly one scenario file, got %d arguments (see btsim run --help)\n", fs.NArg())
		return 2
	}
	if *cpuProfile != "" && *memProfile != "" {
		fmt.Fprintln(os.Stderr, "btsim run: --cpuprofile and --memprofile cannot be used together (one profile at a time)")
		return 2
	}
	sc, note, err := loadScenario("run", fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim run: %v\n", err)
		return 1
	}
	if note != "" {
		fmt.Fprintf(os.Stderr, "btsim run: %s\n", note)
	}
	opt := swarm.Options{Watchdog: *watchdog, Crypto: *crypto, MLKEM: *mlkem}
	if fs.Changed("seed") {
		opt.Seed = seed
	}
	if *eventLog != "" {
		f, err := os.Create(*eventLog)
		if err != nil {
			fmt.Fprintf(os.Stderr, "btsim run: %v\n", err)
			return 1
		}
		defer f.Close()
		opt.EventLog = f
	}
	var tw *trace.Writer
	var bw *bufio.Writer
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "btsim run: %v\n", err)
			return 1
		}
		defer f.Close()
		bw = bufio.NewWriterSize(f, 64<<10)
		tw = trace.NewWriter(bw)
		opt.Trace = tw
	}
	if !*quiet && stderrIsTerminal() {
		bar := progressbar.NewOptions(sc.Swarm.Peers,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription("completed"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		opt.Progress = func(done, total int, now time.Duration) {
			bar.Describe(fmt.Sprintf("virtual %5.0fs, completed", now.Seconds()))
			bar.Set(done)
		}
		defer bar.Finish()
	}
	stop, err := startProfile(*cpuProfile, *memProfile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim run: %v\n", err)
		return 1
	}
	res, err := swarm.Run(sc, opt)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim run: %s: %v\n", fs.Arg(0), err)
		return 1
	}
	if bw != nil {
		err := tw.Err()
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "btsim run: writing the trace: %v\n", err)
			return 1
		}
	}
	if !*quiet {
		res.WriteSummary(os.Stdout)
	}
	if *out != "" {
		if err := res.WriteFiles(*out); err != nil {
			fmt.Fprintf(os.Stderr, "btsim run: %v\n", err)
			return 1
		}
	}
	return 0
}

// startProfile starts a pkg/profile CPU or heap profile that ends up in
// file; the returned func stops it.
func startProfile(cpu, mem string) (func(), error) {
	file, mode := cpu, profile.CPUProfile
	if mem != "" {
		file, mode = mem, profile.MemProfile
	}
	if file == "" {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp(filepath.Dir(file), ".btsim-profile-")
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	p := profile.Start(mode, profile.ProfilePath(dir), profile.Quiet, profile.NoShutdownHook)
	return func() {
		p.Stop()
		names, _ := filepath.Glob(filepath.Join(dir, "*.pprof"))
		if len(names) == 1 {
			if err := os.Rename(names[0], file); err != nil {
				fmt.Fprintf(os.Stderr, "btsim run: profile: %v\n", err)
			}
		}
		os.RemoveAll(dir)
	}, nil
}

func stderrIsTerminal() bool {
	st, err := os.Stderr.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// loadScenario reads a scenario file for the subcommand cmd. A study file
// (one with a [sweep] table) gives its base scenario, the one its sweep
// varies, and note says so; a study whose runs belong to another
// subcommand (btsim pairs) is an error that names it.
func loadScenario(cmd, path string) (*scenario.Scenario, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("scenario: %w", err)
	}
	study, text, err := sweep.ParseStudy(path, data)
	if err != nil {
		return nil, "", err
	}
	if bytes.Equal(text, data) {
		sc, err := scenario.Parse(path, data)
		return sc, "", err
	}
	if study.Command != "" && study.Command != cmd {
		return nil, "", fmt.Errorf("%s is a study of btsim %s runs: run it with btsim sweep %s, or one point with btsim %s", path, study.Command, path, study.Command)
	}
	sc, err := scenario.Parse(path, text)
	if err != nil {
		return nil, "", err
	}
	var names []string
	for _, p := range study.Params {
		names = append(names, p.Name)
	}
	note := fmt.Sprintf("%s is a study (a [sweep] over %s): this runs its base scenario once; btsim sweep %s runs the grid", path, strings.Join(names, ", "), path)
	return sc, note, nil
}
