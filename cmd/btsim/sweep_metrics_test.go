package main

import (
	"math"
	"testing"

	"github.com/bttls/bttls/sim/sweep"
)

func TestSwarmMetrics(t *testing.T) {
	in := []sweep.Metric{
		{Name: "completed", Value: 0},
		{Name: "download_p90_s", Value: 0},
		{Name: "bytes_by_kind_tls-basic", Value: 300},
		{Name: "bytes_by_kind_mse", Value: 100},
		{Name: "handshakes_out_tls-basic", Value: 6},
		{Name: "handshakes_out_mse", Value: 2},
		{Name: "handshakes_out_plain", Value: 0},
		{Name: "handshakes_out_failed", Value: 2},
		{Name: "handshakes_out_busy", Value: 5},
		{Name: "handshakes_in_tls-basic", Value: 99},
		{Name: "wall_s", Value: 1.5},
		{Name: "sim_seconds_per_wall_second", Value: 40},
		{Name: "seed", Value: 7},
		{Name: "cpu_s", Value: 0.1},
		{Name: "heap_bytes_per_peer", Value: 1e5},
		{Name: "peers", Value: 4},
	}
	out, err := swarmMetrics("", in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range out {
		got[m.Name] = m.Value
	}
	if _, ok := got["wall_s"]; ok {
		t.Error("wall-clock metric kept")
	}
	for _, n := range []string{"cpu_s", "heap_bytes_per_peer"} {
		if _, ok := got[n]; ok {
			t.Errorf("machine-dependent metric %s kept", n)
		}
	}
	if _, ok := got["seed"]; ok {
		t.Error("the run's seed kept as a metric")
	}
	if _, ok := got["sim_seconds_per_wall_second"]; ok {
		t.Error("wall-clock metric kept")
	}
	if !math.IsNaN(got["download_p90_s"]) {
		t.Errorf("download_p90_s = %v with no leecher completed, want NaN", got["download_p90_s"])
	}
	for name, want := range map[string]float64{
		"tls_byte_fraction": 0.75, "out_tls_fraction": 0.75, "out_legacy_fraction": 0.25, "out_failed_fraction": 2.0 / 15,
		"out_busy_fraction":             5.0 / 15,
		"failed_handshakes_per_leecher": 0.5,
	} {
		if math.Abs(got[name]-want) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	none, _ := swarmMetrics("", []sweep.Metric{{Name: "completed", Value: 3}, {Name: "download_p90_s", Value: 7}, {Name: "fraction_completed", Value: 1}})
	for _, m := range none {
		if m.Name == "download_p90_s" && m.Value != 7 {
			t.Errorf("download time changed although leechers completed: %v", m.Value)
		}
		if m.Name == "tls_byte_fraction" && !math.IsNaN(m.Value) {
			t.Errorf("tls_byte_fraction = %v with no bytes, want NaN", m.Value)
		}
		if m.Name == "out_tls_fraction" {
			t.Errorf("connection ratios added without any handshake counts")
		}
	}
	// A btsim pairs run has none of a swarm's parts: nothing is added.
	pairs, _ := swarmMetrics("", []sweep.Metric{{Name: "downgraded_fraction", Value: 0.5}})
	if len(pairs) != 1 {
		t.Errorf("pairs metrics grew to %v", pairs)
	}
}
