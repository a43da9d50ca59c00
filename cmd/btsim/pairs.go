package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/netmodel/middlebox/pairs"
)

func init() {
	register(cli.Command{
		Name:    "pairs",
		Summary: "measure connection setup between bttls clients and servers through censors and attackers",
		Run:     runPairs,
	})
}

const pairsHelp = `usage: btsim pairs SCENARIO.toml [--seed N] [--out DIR]

Runs the connection rig of netmodel/middlebox/pairs: client hosts dial
server hosts in rounds with real bttls transports (protocol/levels) over
the simulated network, through the scenario's [censor], [attacker] and
[outage] middleboxes, and counts what carried each connection of the
measured rounds: TLS, a legacy transport to a bttls server (a downgrade),
a legacy server, or nothing (failed); TCP dials per connection and setup
time. The [pairs] table sets clients, servers, per_client, rounds,
round_gap_s, measure_from, policy, pinning, hints, legacy_fraction,
latency_ms and timeout_s.

With a [join] table instead, Full Strict members (members, arriving over
window_s) get certificates from the real issuer (protocol/issuer) on the
host named "tracker" and renew them (validity_s, renew_at, retry_s,
deadline_s, duration_s): it counts joins that missed the deadline, members
whose certificate expired before a renewal got through, and time without a
certificate. With --out DIR it writes DIR/summary.json.

Example:
  btsim pairs scenarios/studies/pinning.toml --seed 3

flags:
`

func runPairs(args []string) int {
	fs := pflag.NewFlagSet("pairs", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, pairsHelp)
		fs.PrintDefaults()
	}
	seed := fs.Uint64("seed", 1, "seed for every random choice")
	out := fs.String("out", "", "directory for summary.json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "btsim pairs: %v\n", err)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(os.Stderr, "btsim pairs: want one scenario file, got %d arguments (see --help)\n", fs.NArg())
		return 2
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim pairs: %v\n", err)
		return 1
	}
	cfg, err := pairs.Parse(fs.Arg(0), data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim pairs: %v\n", err)
		return 1
	}
	var res any
	if cfg.Join != nil {
		res, err = pairs.RunJoin(cfg, *seed)
	} else {
		res, err = pairs.Run(cfg, *seed)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim pairs: %v\n", err)
		return 1
	}
	js, err := json.MarshalIndent(nullNaN(res), "", "  ")
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim pairs: %v\n", err)
		return 1
	}
	fmt.Printf("%s\n", js)
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err == nil {
			err = os.WriteFile(filepath.Join(*out, "summary.json"), append(js, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "btsim pairs: %v\n", err)
			return 1
		}
	}
	return 0
}

// nullNaN returns a result struct (through a pointer) as a map whose NaN
// numbers are nil, since JSON has no NaN (a fraction of nothing is "not
// measured", not 0).
func nullNaN(r any) map[string]any {
	out := map[string]any{}
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Tag.Get("json")
		name, _, _ = strings.Cut(name, ",")
		f := v.Field(i).Interface()
		if x, ok := f.(float64); ok && math.IsNaN(x) {
			f = nil
		}
		if m, ok := f.(map[string]float64); ok && m == nil {
			continue
		}
		out[name] = f
	}
	return out
}
