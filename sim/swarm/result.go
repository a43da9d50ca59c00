package swarm

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Result is what a run measured. WriteFiles defines its JSON form
// (summary.json), in seconds.
type Result struct {
	Scenario string
	Seed     uint64
	Peers    int
	Seeders  int
	Crypto   string // what carried the crypto: real (and which key exchange) or modeled
	// Level is the torrent's: basic, strict or fullstrict.
	Level string
	// NoTLS counts the leechers that speak no TLS (plain, mse, legacy): a
	// Strict or Full Strict torrent has no legacy fallback, so they cannot
	// join it.
	NoTLS int
	// Issuer is what getting certificates cost (Full Strict only; else nil).
	Issuer *IssuerStats

	Completed        int
	FractionComplete float64
	// Download times (arrival to completion) of the leechers that completed.
	P50, P90, P99 time.Duration
	// FirstP50 and FirstP90 are quantiles of the time from arrival to the
	// first verified piece, over the leechers that verified one: how long
	// a newcomer waits before it has anything to pass on.
	FirstP50, FirstP90 time.Duration
	Last               time.Duration // virtual time of the last completion

	// UploadUtilisation is the piece bytes uploaded until the last
	// completion over what the peers' upload capacity could have sent then.
	UploadUtilisation float64
	// KumarRoss is the theoretical minimum time for every leecher of a
	// flash crowd to complete (see KumarRoss), for any mix of links; 0 if
	// the run is no flash crowd. KumarRossFactor is the last completion,
	// counted from the leechers' arrival, over it; 0 unless every leecher
	// completed.
	KumarRoss       time.Duration
	KumarRossFactor float64
	// Series is the run sampled once per step.
	Series []Sample

	BytesByKind map[string]int64 // piece payload by transport kind
	Handshakes  Handshakes
	// TLSSetupsPerLeecher is the outbound transport setups carried by a TLS
	// level (any), per leecher: the TLS handshakes the swarm paid for.
	TLSSetupsPerLeecher float64
	// Middlebox holds what the scenario's middleboxes did (nil: none).
	Middlebox map[string]float64

	Virtual  time.Duration // virtual time simulated
	Wall     time.Duration
	SpeedUp  float64       // virtual seconds per wall second
	CPU      time.Duration // process CPU time of the run (all threads)
	Events   uint64
	Digest   string
	PeerList []Peer
}

func (r *Result) summarise() {
	var times, firsts []time.Duration
	for _, p := range r.PeerList {
		if !p.Seeder && p.FirstPiece >= 0 {
			firsts = append(firsts, p.FirstPiece-p.Arrival)
		}
		if p.Seeder || p.Completed < 0 {
			continue
		}
		times = append(times, p.DownloadTime())
		r.Last = max(r.Last, p.Completed)
	}
	r.Completed = len(times)
	r.FractionComplete = float64(len(times)) / float64(max(r.Peers, 1))
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	r.P50, r.P90, r.P99 = quantile(times, 0.5), quantile(times, 0.9), quantile(times, 0.99)
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	r.FirstP50, r.FirstP90 = quantile(firsts, 0.5), quantile(firsts, 0.9)
	if r.Wall > 0 {
		r.SpeedUp = r.Virtual.Seconds() / r.Wall.Seconds()
	}
	var tls int64
	for k, n := range r.Handshakes {
		if strings.HasPrefix(k, "out_tls") {
			tls += n
		}
	}
	r.TLSSetupsPerLeecher = float64(tls) / float64(max(r.Peers, 1))
}

// quantile is the nearest-rank quantile of sorted xs (0 if empty).
func quantile(xs []time.Duration, q float64) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	i := int(q*float64(len(xs))+0.999999) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

// WriteSummary prints the summary table.
func (r *Result) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "scenario %s, seed %d: %d leechers, %d seeders, crypto %s\n", r.Scenario, r.Seed, r.Peers, r.Seeders, r.Crypto)
	fmt.Fprintf(w, "  completed            %d/%d (%.1f%%)\n", r.Completed, r.Peers, 100*r.FractionComplete)
	fmt.Fprintf(w, "  download time        p50 %ss  p90 %ss  p99 %ss  (last completion at %ss)\n", secs(r.P50), secs(r.P90), secs(r.P99), secs(r.Last))
	fmt.Fprintf(w, "  first piece          p50 %ss  p90 %ss  (from arrival to the first verified piece)\n", secs(r.FirstP50), secs(r.FirstP90))
	fmt.Fprintf(w, "  upload utilisation   %.1f%% of the peers' capacity until the last completion\n", 100*r.UploadUtilisation)
	if r.KumarRoss > 0 {
		fmt.Fprintf(w, "  Kumar–Ross minimum   %ss for this flash crowd's links", secs(r.KumarRoss))
		if r.KumarRossFactor > 0 {
			fmt.Fprintf(w, "; the last completion took %.3f× it", r.KumarRossFactor)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  bytes by transport  ")
	for _, k := range sortedKeys(r.BytesByKind) {
		fmt.Fprintf(w, " %s %s", k, human(r.BytesByKind[k]))
	}
	fmt.Fprintf(w, "\n  handshakes          ")
	for _, k := range sortedKeys(r.Handshakes) {
		fmt.Fprintf(w, " %s=%d", k, r.Handshakes[k])
	}
	fmt.Fprintf(w, " (%.1f TLS setups per leecher)", r.TLSSetupsPerLeecher)
	if r.Level != "" && r.Level != "basic" {
		fmt.Fprintf(w, "\n  level                %s", r.Level)
		if r.NoTLS > 0 {
			fmt.Fprintf(w, ": %d leechers speak no TLS and cannot join (a %s torrent has no legacy fallback)", r.NoTLS, r.Level)
		}
	}
	if is := r.Issuer; is != nil {
		fmt.Fprintf(w, "\n  issuer               %d certified (mean wait %ss), %d without a certificate at the end; %d requests, %d failed",
			is.Certified, secs(is.WaitMean), is.Uncertified, is.Requests, is.FailedRequests)
	}
	if r.Middlebox != nil {
		fmt.Fprintf(w, "\n  middlebox           ")
		for _, k := range sortedKeys(r.Middlebox) {
			fmt.Fprintf(w, " %s=%g", k, r.Middlebox[k])
		}
	}
	fmt.Fprintf(w, "\n  simulated            %ss in %.2fs wall, %.2fs CPU (%.1f sim-s per wall-s), %d events\n", secs(r.Virtual), r.Wall.Seconds(), r.CPU.Seconds(), r.SpeedUp, r.Events)
	fmt.Fprintf(w, "  digest               %s\n", r.Digest)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func human(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2fGiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%dB", b)
}

// WriteFiles writes summary.json and peers.csv into dir. Wall-clock fields
// are in summary.json only, so peers.csv is identical across runs of a seed.
func (r *Result) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	js := map[string]any{
		"scenario": r.Scenario, "seed": r.Seed, "peers": r.Peers, "seeders": r.Seeders, "crypto": r.Crypto,
		"completed": r.Completed, "fraction_completed": r.FractionComplete,
		"download_p50_s": r.P50.Seconds(), "download_p90_s": r.P90.Seconds(), "download_p99_s": r.P99.Seconds(),
		"first_piece_p50_s": r.FirstP50.Seconds(), "first_piece_p90_s": r.FirstP90.Seconds(),
		"last_completion_s": r.Last.Seconds(), "upload_utilisation": r.UploadUtilisation, "bytes_by_kind": r.BytesByKind, "handshakes": r.Handshakes,
		"virtual_s": r.Virtual.Seconds(), "wall_s": r.Wall.Seconds(), "sim_seconds_per_wall_second": r.SpeedUp,
		"cpu_s":  r.CPU.Seconds(),
		"events": r.Events, "digest": r.Digest,
	}
	if r.Middlebox != nil {
		js["middlebox"] = r.Middlebox
	}
	if r.KumarRoss > 0 {
		js["kumar_ross_min_s"] = r.KumarRoss.Seconds()
		if r.KumarRossFactor > 0 {
			js["kumar_ross_factor"] = r.KumarRossFactor
		}
	}
	js["tls_setups_per_leecher"] = r.TLSSetupsPerLeecher
	if r.Level != "" && r.Level != "basic" {
		// Only beside a level other than Basic, so that the summaries of
		// scenarios written before levels stay as they were.
		js["level"], js["no_tls_leechers"] = r.Level, r.NoTLS
	}
	if is := r.Issuer; is != nil {
		js["issuer"] = map[string]any{"requests": is.Requests, "failed_requests": is.FailedRequests,
			"certified": is.Certified, "uncertified": is.Uncertified, "cert_wait_mean_s": is.WaitMean.Seconds()}
	}
	b, _ := json.MarshalIndent(js, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "peers.csv"))
	if err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"id", "addr", "seeder", "class", "transport", "policy", "arrival_s", "completed_s", "download_s", "downloaded", "uploaded", "first_piece_s"})
	for _, p := range r.PeerList {
		comp, dl, first := "", "", ""
		if p.Completed >= 0 && !p.Seeder {
			comp, dl = secs(p.Completed), secs(p.DownloadTime())
		}
		if p.FirstPiece >= 0 && !p.Seeder {
			first = secs(p.FirstPiece)
		}
		w.Write([]string{strconv.Itoa(p.ID), p.Addr, strconv.FormatBool(p.Seeder), p.Class, p.Transport, p.Policy,
			secs(p.Arrival), comp, dl, strconv.FormatInt(p.Downloaded, 10), strconv.FormatInt(p.Uploaded, 10), first})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("swarm: %w", err)
	}
	return f.Close()
}
