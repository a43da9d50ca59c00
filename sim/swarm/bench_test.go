package swarm

import (
	"os"
	"testing"
	"time"
)

// benchCrowd runs a flash crowd b.N times and reports simulator figures.
func benchCrowd(b *testing.B, n int, transport string) {
	sc := flashCrowd(b, n, "4MiB", "64KiB", 250e3, 2e6, 12.5e6, 0)
	sc.Mix[0].Transport = transport
	sc.Swarm.MaxConns = 30
	var res *Result
	for i := 0; i < b.N; i++ {
		var err error
		if res, err = Run(sc, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.SpeedUp, "sim-s/wall-s")
	b.ReportMetric(float64(res.Events)/res.Wall.Seconds(), "events/s")
	b.ReportMetric(res.FractionComplete, "completed")
}

func BenchmarkFlashCrowd1000Plain(b *testing.B) { benchCrowd(b, 1000, "plain") }
func BenchmarkFlashCrowd1000TLS(b *testing.B)   { benchCrowd(b, 1000, "tls-basic") }

// BenchmarkFlashCrowd10000TLS needs many GiB of memory with today's peer
// buffers; it runs only with BTSIM_BENCH_LARGE=1.
func BenchmarkFlashCrowd10000TLS(b *testing.B) {
	if os.Getenv("BTSIM_BENCH_LARGE") == "" {
		b.Skip("set BTSIM_BENCH_LARGE=1 to run the 10,000-peer flash crowd")
	}
	benchCrowd(b, 10000, "tls-basic")
}

// BenchmarkKumarRoss reports the factor to the theoretical minimum for
// larger homogeneous flash crowds than the unit test runs.
func BenchmarkKumarRoss(b *testing.B) {
	for _, n := range []int{100, 300} {
		b.Run(itoa(n), func(b *testing.B) {
			const size, up, down, seedUp = 8 << 20, 1e6, 10e6, 5e6
			sc := flashCrowd(b, n, "8MiB", "64KiB", up, down, seedUp, 0)
			var res *Result
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = Run(sc, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			bound := KumarRoss(size, n, seedUp, float64(n)*up, down)
			f := func(d time.Duration) float64 { return d.Seconds() / bound.Seconds() }
			b.ReportMetric(f(res.Last), "factor-last")
			b.ReportMetric(f(res.P90), "factor-p90")
			b.ReportMetric(res.UploadUtilisation, "upload-util")
		})
	}
}
