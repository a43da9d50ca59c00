package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/spf13/pflag"

	"github.com/bttls/bttls/internal/cli"
	"github.com/bttls/bttls/sim/scenario"
	"github.com/bttls/bttls/sim/swarm"
)

func init() {
	register(cli.Command{
		Name:    "bench",
		Summary: "measure the simulator: a flash crowd of N peers, speed, memory per peer, crypto floor",
		Run:     runBench,
	})
}

const benchHelp = `usage: btsim bench [--peers N] [--size SIZE] [--transport T] [flags]
       btsim bench --scenario FILE.toml [--peers N] [flags]

Runs a flash crowd (N leechers, one seeder, every peer on the same links)
with real protocol code — or, with --scenario, any scenario file (--peers,
if given, replaces its peer count) — and reports how the simulator
performs. A flash crowd is the simulator's worst case: every peer moves
the whole torrent in the same half minute; a swarm with arrivals spread
over time simulates many times faster for the same peers and bytes.
  sim-s per wall-s   virtual seconds simulated per wall-clock second
  memory per peer    peak Go heap in use + stacks (sampled every virtual 5 s)
                     / peers, and the same with only the live heap (what the
                     last collection kept: no garbage awaiting collection)
  crypto floor       CPU time the run's real crypto and hashing alone need
                     (TLS handshakes, AES-GCM, RC4, SHA-1, measured here
                     first), and the wall time's ratio to it: what the
                     simulator itself costs on top.

Examples:
  btsim bench --peers 1000
  btsim bench --scenario scenarios/poisson-mixed.toml --peers 1000
  btsim bench --peers 10000 --max-conns 8 --memory-limit 9GiB --cpuprofile cpu.pprof

The last is the 10,000-peer flash crowd of docs/simulator.md: about 4.8
minutes and 9.0 GiB resident on two cores (a collector that runs more
often near the limit keeps garbage from doubling the heap; with 16GiB
it took 4.5 minutes and 1,268 KiB per peer in use). Memory grows with
connections per peer (1,000 peers need about 0.8 MiB each live with 8,
1.7 MiB with 30), so start small before raising --max-conns at that
size.

flags:
`

func runBench(args []string) int {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprint(os.Stderr, benchHelp)
		fs.PrintDefaults()
	}
	peers := fs.Int("peers", 1000, "leechers in the flash crowd")
	size := fs.String("size", "4MiB", "torrent size")
	piece := fs.String("piece", "64KiB", "piece size")
	transport := fs.String("transport", "tls-basic", "what every peer speaks: plain, mse, tls-basic or legacy")
	maxConns := fs.Int("max-conns", 30, "connections per peer")
	recordSize := fs.String("record-size", "16KiB", "largest write, so largest TLS record, of every peer (512B to 16KiB): smaller needs less memory per connection")
	up := fs.String("up", "2Mbit", "leechers' upload capacity")
	down := fs.String("down", "16Mbit", "leechers' download capacity")
	seedUp := fs.String("seed-up", "100Mbit", "the seeder's upload capacity")
	seed := fs.Uint64("seed", 1, "seed of the run")
	crypto := fs.String("crypto", "real", "real or modeled (see btsim run --help)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) to this file")
	memLimit := fs.String("memory-limit", "", "soft limit on the Go heap (e.g. 16GiB): the collector runs more often near it instead of letting garbage double the heap")
	memProfile := fs.String("memprofile", "", "write a heap profile (pprof) taken at the peak of heap+stacks to this file")
	scenarioFile := fs.String("scenario", "", "run this scenario file instead of the flash crowd (the link, size and transport flags do not apply)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(os.Stderr, "btsim bench: %v\n", err)
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "btsim bench: unexpected arguments %q (see btsim bench --help)\n", fs.Args())
		return 2
	}
	text := fmt.Sprintf(`
name = "bench"
seed = %d
duration = "2h"
[torrent]
size = %q
piece_size = %q
[swarm]
peers = %d
max_conns = %d
record_size = %q
seeder_class = "seed"
[[class]]
name = "seed"
fraction = 0.0
up = %q
down = %q
latency = "10ms"
[[class]]
name = "peer"
fraction = 1.0
up = %q
down = %q
latency = "20ms"
[[mix]]
transport = %q
fraction = 1.0
`, *seed, *size, *piece, *peers, *maxConns, *recordSize, *seedUp, *seedUp, *up, *down, *transport)
	if *memLimit != "" {
		size, err := scenario.ParseSize(*memLimit)
		n := int64(size)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "btsim bench: --memory-limit %q: want a size such as 16GiB\n", *memLimit)
			return 2
		}
		debug.SetMemoryLimit(n)
	}
	var sc *scenario.Scenario
	var err error
	if *scenarioFile != "" {
		for _, f := range []string{"size", "piece", "transport", "max-conns", "record-size", "up", "down", "seed-up"} {
			if fs.Changed(f) {
				fmt.Fprintf(os.Stderr, "btsim bench: --%s does not apply with --scenario (edit the scenario file)\n", f)
				return 2
			}
		}
		var note string
		sc, note, err = loadScenario("run", *scenarioFile)
		if note != "" {
			fmt.Fprintf(os.Stderr, "btsim bench: %s\n", note)
		}
		if err == nil && fs.Changed("peers") {
			if *peers <= 0 {
				err = fmt.Errorf("--peers %d: want at least 1", *peers)
			}
			sc.Swarm.Peers = *peers
		}
		if err == nil && fs.Changed("seed") {
			sc.Seed = *seed
		}
		if err == nil {
			*peers = sc.Swarm.Peers
		}
	} else {
		sc, err = scenario.Parse("bench flags", []byte(text))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim bench: %v\n", err)
		return 2
	}
	costs, err := swarm.Calibrate()
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim bench: %v\n", err)
		return 1
	}
	fmt.Printf("calibration: %v\n", costs)

	var peak, peakHeap, peakStacks, peakLive uint64
	var lastSample time.Duration
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	opt := swarm.Options{Crypto: *crypto, Progress: func(done, total int, now time.Duration) {
		if now-lastSample < 5*time.Second && done < total {
			return
		}
		lastSample = now
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peakHeap, peakStacks = max(peakHeap, ms.HeapInuse), max(peakStacks, ms.StackInuse)
		// Live: what the last collection found reachable, without the
		// garbage the collector lets accumulate (GOGC, --memory-limit).
		metrics.Read(live)
		if live[0].Value.Kind() == metrics.KindUint64 {
			peakLive = max(peakLive, live[0].Value.Uint64()+ms.StackInuse)
		}
		if cur := ms.HeapInuse + ms.StackInuse; cur > peak {
			peak = cur
			if *memProfile != "" {
				// The heap profile at the end shows what survived the run;
				// what costs memory per peer is what is live at the peak.
				writePeakHeap(*memProfile)
			}
		}
		if stderrIsTerminal() {
			fmt.Fprintf(os.Stderr, "\rvirtual %6.0fs  completed %d/%d  heap+stacks %d MiB ", now.Seconds(), done, total, (ms.HeapInuse+ms.StackInuse)>>20)
		}
	}}
	stop, err := startProfile(*cpuProfile, "")
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim bench: %v\n", err)
		return 1
	}
	res, err := swarm.Run(sc, opt)
	stop()
	if stderrIsTerminal() {
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim bench: %v\n", err)
		return 1
	}
	res.WriteSummary(os.Stdout)
	floor := res.Floor(costs)
	what := fmt.Sprintf("%s %s, %d max conns, records of %s", *transport, *size, *maxConns, *recordSize)
	if *scenarioFile != "" {
		what = "scenario " + *scenarioFile
	}
	fmt.Printf("bench: %d peers, %s, crypto %s: %.1f sim-s per wall-s, %.1f per CPU-s; peak heap+stacks %d MiB (%.0f KiB per peer; heap %d MiB, stacks %d MiB); peak live heap+stacks %d MiB (%.0f KiB per peer); crypto+hash floor %.1fs, CPU %.1fs = %.1f× the floor\n",
		*peers, what, *crypto, res.SpeedUp, res.Virtual.Seconds()/max(res.CPU.Seconds(), 1e-9), peak>>20, float64(peak)/1024/float64(*peers+1), peakHeap>>20, peakStacks>>20,
		peakLive>>20, float64(peakLive)/1024/float64(*peers+1),
		floor.Seconds(), res.CPU.Seconds(), res.CPU.Seconds()/max(floor.Seconds(), 1e-9))
	return 0
}

// writePeakHeap writes the heap profile as of now (after a collection, so
// inuse_space is what is live), replacing the previous peak's.
func writePeakHeap(file string) {
	runtime.GC()
	f, err := os.Create(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "btsim bench: memprofile: %v\n", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "btsim bench: memprofile: %v\n", err)
	}
}
