package checker

import (
	"testing"
)

// BenchmarkExplore1M explores a spec with 1,020,100 distinct states and
// reports distinct states per second and fingerprint-table bytes per state.
func BenchmarkExplore1M(b *testing.B) {
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) {
			md, err := Load("testdata/Counters.tla", "")
			if err != nil {
				b.Fatal(err)
			}
			var r *Result
			for b.Loop() {
				r = md.Check(Options{Workers: w})
			}
			if r.Violation != nil || r.Distinct != 101*101*100 {
				b.Fatalf("unexpected result: %+v", r)
			}
			b.ReportMetric(float64(r.Distinct)/r.Elapsed.Seconds(), "distinct-states/s")
			b.ReportMetric(float64(r.FPBytes)/float64(r.Distinct), "fp-bytes/state")
			b.ReportMetric(float64(r.TraceLog)/float64(r.Distinct), "disk-trace-bytes/state")
		})
	}
}

// BenchmarkTinySpec is the end-to-end time of a small check: parse, compile,
// explore and report (DieHard, 16 states).
func BenchmarkTinySpec(b *testing.B) {
	for b.Loop() {
		md, err := Load("testdata/DieHard.tla", "testdata/DieHardTypeOnly.cfg")
		if err != nil {
			b.Fatal(err)
		}
		if r := md.Check(Options{}); r.Distinct != 16 {
			b.Fatal("wrong count")
		}
	}
}

// BenchmarkNegotiation is the end-to-end check of Negotiation.cfg,
// liveness included.
func BenchmarkNegotiation(b *testing.B) {
	for b.Loop() {
		md, err := Load("../tla/Negotiation.tla", "")
		if err != nil {
			b.Fatal(err)
		}
		if r := md.Check(Options{}); r.Violation != nil {
			b.Fatal("violation")
		}
	}
}
