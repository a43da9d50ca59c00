package main

import (
	"math"
	"strings"

	"github.com/bttls/bttls/sim/sweep"
)

// machineMetric reports whether a number of a run's summary.json depends on
// the machine rather than on the scenario and seed (wall and CPU time,
// speed, memory): a sweep leaves those out, so that rerunning it, or merging
// shards run elsewhere, gives the same bytes. The rule goes by name, so that
// a number the simulator adds later (cpu_s came after wall_s) is caught too.
func machineMetric(name string) bool {
	for _, p := range []string{"wall", "cpu", "mem", "heap", "alloc", "rss", "gc_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return strings.HasSuffix(name, "_per_wall_second") || strings.Contains(name, "wall_s")
}

// runIdentity are numbers of summary.json that say which run it was, not
// what it measured (runs.csv has the seed in a column of its own).
var runIdentity = map[string]bool{"seed": true}

// swarmMetrics turns a run's summary.json numbers into a sweep's metrics:
// wall-clock numbers out, download times NaN when no leecher completed (a
// quantile of nothing is not 0 s), and the ratios the studies plot:
//
//	tls_byte_fraction     bytes downloaded over a TLS level / all bytes
//	out_tls_fraction      outbound connections set up over TLS / all set up
//	out_legacy_fraction   ... over MSE or plaintext: with every peer
//	                      TLS-capable, each of these is a downgrade
//	out_failed_fraction   outbound attempts that failed / all attempts
//	out_busy_fraction     outbound attempts answered with the busy alert
//	                      (the remote was at its connection limit) / all
//	failed_handshakes_per_leecher  transport setups that failed, on either
//	                      side (a legacy peer answering a ClientHello, a
//	                      require peer refusing MSE), per leecher
func swarmMetrics(_ string, ms []sweep.Metric) ([]sweep.Metric, error) {
	var out []sweep.Metric
	get := map[string]float64{}
	var bytesTLS, bytesAll float64
	var outTLS, outLegacy, outFailed, outBusy, anyFailed float64
	for _, m := range ms {
		if machineMetric(m.Name) || runIdentity[m.Name] {
			continue
		}
		get[m.Name] = m.Value
		if k, ok := strings.CutPrefix(m.Name, "bytes_by_kind_"); ok {
			bytesAll += m.Value
			if strings.HasPrefix(k, "tls") {
				bytesTLS += m.Value
			}
		}
		if strings.HasPrefix(m.Name, "handshakes_") && strings.HasSuffix(m.Name, "_failed") {
			anyFailed += m.Value
		}
		if k, ok := strings.CutPrefix(m.Name, "handshakes_out_"); ok {
			switch {
			case k == "failed":
				outFailed += m.Value
			case k == "busy":
				outBusy += m.Value
			case strings.HasPrefix(k, "tls"):
				outTLS += m.Value
			default:
				outLegacy += m.Value
			}
		}
		out = append(out, m)
	}
	if c, ok := get["completed"]; ok && c == 0 {
		for i := range out {
			if strings.HasPrefix(out[i].Name, "download_p") || out[i].Name == "last_completion_s" {
				out[i].Value = math.NaN()
			}
		}
	}
	// Ratios only for runs that report their parts (a swarm run, not a
	// btsim pairs run, which reports its own).
	if hasMetricPrefix(get, "bytes_by_kind_") || hasMetricPrefix(get, "fraction_completed") {
		out = append(out, sweep.Metric{Name: "tls_byte_fraction", Value: metricRatio(bytesTLS, bytesAll)})
	}
	if hasMetricPrefix(get, "handshakes_") {
		out = append(out,
			sweep.Metric{Name: "out_tls_fraction", Value: metricRatio(outTLS, outTLS+outLegacy)},
			sweep.Metric{Name: "out_legacy_fraction", Value: metricRatio(outLegacy, outTLS+outLegacy)},
			sweep.Metric{Name: "out_failed_fraction", Value: metricRatio(outFailed, outTLS+outLegacy+outFailed+outBusy)},
			sweep.Metric{Name: "out_busy_fraction", Value: metricRatio(outBusy, outTLS+outLegacy+outFailed+outBusy)},
			sweep.Metric{Name: "failed_handshakes_per_leecher", Value: metricRatio(anyFailed, get["peers"])},
		)
	}
	return out, nil
}

func hasMetricPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// metricRatio is a/b, NaN when there is nothing to divide.
func metricRatio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
