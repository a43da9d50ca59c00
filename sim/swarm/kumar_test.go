package swarm

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bttls/bttls/sim/scenario"
)

// flashCrowd is a homogeneous flash crowd: n leechers with upload up and
// download down (bytes/s), one seeder with upload seedUp.
func flashCrowd(t testing.TB, n int, size, piece string, up, down, seedUp int64, slots int) *scenario.Scenario {
	t.Helper()
	text := fmt.Sprintf(`
duration = "1h"
[torrent]
size = %q
piece_size = %q
[swarm]
peers = %d
max_conns = 30
upload_slots = %d
seeder_class = "seed"
[tracker]
numwant = 50
[[class]]
name = "seed"
fraction = 0.0
up = "%dB/s"
down = "%dB/s"
latency = "10ms"
[[class]]
name = "peer"
fraction = 1.0
up = "%dB/s"
down = "%dB/s"
latency = "10ms"
`, size, piece, n, slots, seedUp, down, up, down)
	sc, err := scenario.Parse("flash.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// kumarTarget is the bound on the last completion, as a multiple
// of the Kumar–Ross minimum.
const kumarTarget = 1.25

// kumarCrowd is the homogeneous flash crowd the Kumar–Ross test and
// benchmark run: n leechers at 1 MB/s up and 10 MB/s down, one seeder at
// 5 MB/s, 8 MiB in 256 pieces of 32 KiB; and its minimum distribution time.
func kumarCrowd(t testing.TB, n int) (*scenario.Scenario, time.Duration) {
	return kumarCrowdOf(t, n, 8)
}

// kumarCrowdOf is kumarCrowd with a torrent of mib MiB in pieces of 32 KiB.
func kumarCrowdOf(t testing.TB, n, mib int) (*scenario.Scenario, time.Duration) {
	t.Helper()
	const up, down, seedUp = 1e6, 10e6, 5e6
	size := float64(mib) * (1 << 20)
	return flashCrowd(t, n, fmt.Sprintf("%dMiB", mib), "32KiB", up, down, seedUp, 0), KumarRoss(size, n, seedUp, float64(n)*up, down)
}

// TestKumarRossFlashCrowd runs homogeneous flash crowds of real peers (one
// seeder, 256 pieces) of 100 and 200 leechers (40 with -short) and
// compares each with the theoretical minimum distribution time: the last
// completion must come within 1.25× of it. Over seeds 1–4 the peer
// reaches, at N=100, last 1.208–1.214×, p90 1.188–1.196×, upload
// utilisation 0.85–0.86; at N=200, last 1.223–1.231×; at N=40, last
// 1.18×. BenchmarkKumarRoss runs up to 2,000 peers. What is left is
// mostly the start: a piece reaches each next hop of the crowd one round
// trip plus one piece time (32 KiB through one of an uploader's four
// slots) after the last, so the median leecher of 500 verifies its first
// piece at 0.77 s (Result.FirstP50). History at N=100 with 128 pieces:
// 1.55–1.62× with a request pipeline of at least 32 blocks and 1 s, which
// parked requests at busy uploaders, and with equal rates unchoked in ID
// order, which starved peers that connected late; 1.31–1.36× while seeds kept whom
// they unchoked for a 10 s round; 1.29–1.34× while every peer dialled its
// whole connection budget at once (the overshoot's refused TLS handshakes
// took uplink at the start) and the tracker answered small swarms in join
// order; with 256 pieces, 1.22–1.23× (N=200: 1.24–1.26×) until leechers
// lent free upload slots to peers not yet interested. A seed with twice
// the slots brought p50 to 1.1× but made a swarm whose seeder's uplink is
// the bottleneck up to 40 % slower, so seeds keep the leechers' four.
//
// The test logs every factor and fails past the 1.25× target, or on
// upload utilisation under 0.80 (a regression guard below what every
// seed reaches).
func TestKumarRossFlashCrowd(t *testing.T) {
	sizes := []int{100, 200}
	if testing.Short() {
		sizes = []int{40}
	}
	for _, n := range sizes {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) { kumarRossCheck(t, n) })
	}
}

// TestKumarRossLarge is the same check for the crowds of 500, 1,000 and
// 2,000 leechers, with 16 MiB in 512 pieces of 32 KiB: with the 8 MiB
// torrent the start, a fixed cost (the median of 500 leechers verifies
// its first piece at 0.77 s), is too large a share of the 8.3 s minimum
// for 1.25× (seeds 1–4: 500 peers 1.244–1.266×, 1,000 1.263–1.294×;
// 2,000 1.282×; see BenchmarkKumarRoss). It takes about seven minutes on
// two cores and several GiB, so it runs only with BTSIM_VALIDATE=1: `make
// validate`, which runs TestKumarRossFlashCrowd too. Measured: 1.154×, 1.156× and
// 1.170×.
func TestKumarRossLarge(t *testing.T) {
	if os.Getenv("BTSIM_VALIDATE") == "" {
		t.Skip("set BTSIM_VALIDATE=1 (make validate) to run the 500- to 2,000-peer Kumar–Ross crowds")
	}
	for _, n := range []int{500, 1000, 2000} {
		t.Run(fmt.Sprintf("N=%d", n), func(t *testing.T) {
			t.Parallel()
			kumarRossCheckOf(t, n, 16)
		})
	}
}

func kumarRossCheck(t *testing.T, n int) { kumarRossCheckOf(t, n, 8) }

// kumarRossCheckOf runs the crowd of n leechers and a torrent of mib MiB
// and fails past the 1.25× target or under the utilisation guard.
func kumarRossCheckOf(t *testing.T, n, mib int) {
	maxLast, minUtil := kumarTarget, 0.80
	sc, bound := kumarCrowdOf(t, n, mib)
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != n {
		t.Fatalf("%d of %d completed", res.Completed, n)
	}
	f := func(d time.Duration) float64 { return d.Seconds() / bound.Seconds() }
	checkReportedKumarRoss(t, res, bound)
	t.Logf("N=%d, %d MiB: Kumar–Ross minimum %v; factors p50 %.3f, p90 %.3f, last %.3f; upload utilisation %.3f; first piece p50 %v, p90 %v",
		n, mib, bound, f(res.P50), f(res.P90), f(res.Last), res.UploadUtilisation, res.FirstP50, res.FirstP90)
	if f(res.Last) < 1 {
		t.Errorf("the last completion %v beats the theoretical minimum %v: the network model gives away capacity", res.Last, bound)
	}
	if f(res.Last) > maxLast {
		t.Errorf("the last completion %v is %.3f× the minimum %v (target: ≤ %.2f×)", res.Last, f(res.Last), bound, maxLast)
	}
	if res.UploadUtilisation < minUtil {
		t.Errorf("upload utilisation %.2f (regression guard: ≥ %.2f)", res.UploadUtilisation, minUtil)
	}
}

// checkReportedKumarRoss fails unless res reports bound as its minimum and
// its last completion over bound as its factor.
func checkReportedKumarRoss(t *testing.T, res *Result, bound time.Duration) {
	t.Helper()
	f := res.Last.Seconds() / bound.Seconds()
	if res.KumarRoss != bound || math.Abs(res.KumarRossFactor-f) > 1e-9 {
		t.Errorf("the run reports the minimum %v and factor %.4f; the crowd's are %v and %.4f", res.KumarRoss, res.KumarRossFactor, bound, f)
	}
}

// TestKumarRossMixedCrowd reports what the issue asks of heterogeneous
// mixes: the factor to the Kumar–Ross minimum and the upload utilisation
// of a flash crowd of 100 leechers, 60 on 1 MB/s up and 10 MB/s down and
// 40 on 0.25 MB/s up and 2 MB/s down, with the 8 MiB torrent and a seeder
// at 5 MB/s. The minimum is then n·F/(u_s+Σu_i) = 11.2 s (the slow
// downlinks' F/d_min is 4.2 s); the run must complete, not beat it, and
// report it and the factor as computed here. Measured: last 1.28× (p50
// 1.06×, p90 1.22×), upload utilisation 0.81. btsim run prints the same
// for any flash crowd (the default scenario, with legacy peers: 2.17×).
func TestKumarRossMixedCrowd(t *testing.T) {
	sc := flashCrowd(t, 100, "8MiB", "32KiB", 1e6, 10e6, 5e6, 0)
	for i, c := range sc.Classes {
		if c.Name == "peer" {
			sc.Classes[i].Name, sc.Classes[i].Fraction = "fast", 0.6
		}
	}
	sc.Classes = append(sc.Classes, scenario.Class{Name: "slow", Fraction: 0.4, Up: 250e3, Down: 2e6, Latency: 20 * time.Millisecond})
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Completed != 100 {
		t.Fatalf("%d of 100 completed", res.Completed)
	}
	var uSum float64
	count := map[string]int{}
	for _, p := range res.PeerList {
		if p.Seeder {
			continue
		}
		count[p.Class]++
		uSum += map[string]float64{"fast": 1e6, "slow": 0.25e6}[p.Class]
	}
	bound := KumarRoss(8<<20, 100, 5e6, uSum, 2e6)
	f := res.Last.Seconds() / bound.Seconds()
	t.Logf("classes %v: Kumar–Ross minimum %v; factors p50 %.3f, p90 %.3f, last %.3f; upload utilisation %.3f",
		count, bound, res.P50.Seconds()/bound.Seconds(), res.P90.Seconds()/bound.Seconds(), f, res.UploadUtilisation)
	checkReportedKumarRoss(t, res, bound)
	if f < 1 {
		t.Errorf("the last completion %v beats the theoretical minimum %v", res.Last, bound)
	}
}

// TestKumarRossOnlyForFlashCrowds: a run whose leechers arrive over time
// reports no Kumar–Ross minimum (the formula is a flash crowd's), and a
// flash crowd that did not complete reports the minimum but no factor.
func TestKumarRossOnlyForFlashCrowds(t *testing.T) {
	sc := flashCrowd(t, 10, "1MiB", "32KiB", 1e6, 10e6, 5e6, 0)
	sc.Arrival = scenario.Arrival{Process: "poisson", Rate: 5}
	res, err := Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.KumarRoss != 0 || res.KumarRossFactor != 0 {
		t.Errorf("arrivals over time: minimum %v, factor %v; want none", res.KumarRoss, res.KumarRossFactor)
	}
	sc = flashCrowd(t, 10, "1MiB", "32KiB", 1e6, 10e6, 5e6, 0)
	sc.Duration = 500 * time.Millisecond
	res, err = Run(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := KumarRoss(1<<20, 10, 5e6, 10e6, 10e6); res.KumarRoss != want || res.KumarRossFactor != 0 || res.Completed == 10 {
		t.Errorf("cut short: %d completed, minimum %v (want %v), factor %v (want none)", res.Completed, res.KumarRoss, want, res.KumarRossFactor)
	}
	var out bytes.Buffer
	res.WriteSummary(&out)
	if !strings.Contains(out.String(), "Kumar–Ross minimum") || strings.Contains(out.String(), "took") {
		t.Errorf("summary of a crowd cut short:\n%s", out.String())
	}
}
