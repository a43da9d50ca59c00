package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const traceScenario = `
duration = "1m"
[torrent]
size = "128KiB"
piece_size = "32KiB"
[swarm]
peers = 8
max_conns = 20
[[class]]
fraction = 1.0
up = "10Mbit"
down = "50Mbit"
latency = "15ms"
[[mix]]
transport = "tls-basic"
policy = "prefer"
fraction = 0.5
[[mix]]
transport = "legacy"
fraction = 0.5
`

// TestRunTraceThenCheck is the user's path: btsim run --trace writes the
// negotiation trace, btsim check --trace accepts it and rejects a
// corrupted copy; the digest's observations go to --event-log.
func TestRunTraceThenCheck(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "s.toml")
	if err := os.WriteFile(scen, []byte(traceScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, log := filepath.Join(dir, "run.ndjson"), filepath.Join(dir, "events.ndjson")
	if got := runRun([]string{scen, "--quiet", "--trace", tr, "--event-log", log}); got != 0 {
		t.Fatalf("btsim run exited %d", got)
	}
	b, err := os.ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kind":"fallback"`) {
		t.Fatalf("no fallback in the trace of a mixed swarm: %.300s", b)
	}
	if l, err := os.ReadFile(log); err != nil || !strings.HasPrefix(string(l), `{"t":`) || !strings.Contains(string(l), `"k":"tx"`) {
		t.Fatalf("event log: %v %.100s", err, l)
	}
	spec := "../../models/tla/Negotiation.tla"
	if got := runCheck([]string{"--trace", tr, spec}); got != 0 {
		t.Fatalf("btsim check --trace on a recorded trace exited %d", got)
	}
	bad := filepath.Join(dir, "bad.ndjson")
	corrupt := strings.Replace(string(b), `"kind":"fallback"`, `"kind":"give-up"`, 1)
	if err := os.WriteFile(bad, []byte(corrupt), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runCheck([]string{"--trace", bad, spec}); got != 1 {
		t.Fatalf("btsim check --trace on a corrupted trace exited %d, want 1", got)
	}
	if got := runRun([]string{scen, "--quiet", "--crypto", "modeled", "--trace", tr}); got != 1 {
		t.Fatalf("--trace with --crypto modeled exited %d, want 1", got)
	}
}

// TestRunFullStrictWritesIssuance runs a small Full Strict swarm from the
// command line and checks that summary.json says its level and what the
// issuance cost, and that a strict-only transport name in a Basic torrent
// is refused with the key named.
func TestRunFullStrictWritesIssuance(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "fs.toml")
	fs := strings.Replace(traceScenario, "piece_size = \"32KiB\"", "piece_size = \"32KiB\"\nlevel = \"fullstrict\"", 1)
	fs = strings.Replace(fs, "transport = \"tls-basic\"", "transport = \"tls\"", 1)
	if err := os.WriteFile(scen, []byte(fs), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if got := runRun([]string{scen, "--quiet", "--out", out}); got != 0 {
		t.Fatalf("btsim run exited %d", got)
	}
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"level": "fullstrict"`, `"no_tls_leechers": 4`, `"certified": 5`, `"uncertified": 0`, `"tls_setups_per_leecher"`, `"tls-fullstrict2"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("summary.json lacks %s:\n%s", want, b)
		}
	}
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(bad, []byte(strings.Replace(traceScenario, "tls-basic", "tls-fullstrict", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runRun([]string{bad, "--quiet"}); got != 1 {
		t.Fatalf("btsim run with a fullstrict peer in a Basic torrent exited %d, want 1", got)
	}
}

// TestRunStudyFile: btsim run on a study file runs its base scenario (the
// [sweep] table stripped); a study of btsim pairs runs is refused with the
// command to use.
func TestRunStudyFile(t *testing.T) {
	dir := t.TempDir()
	study := filepath.Join(dir, "study.toml")
	text := traceScenario + "\n[sweep]\nparams = [\"swarm.peers=4,6\"]\nseeds = 2\n"
	if err := os.WriteFile(study, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runRun([]string{study, "--quiet", "--crypto", "modeled"}); got != 0 {
		t.Fatalf("btsim run on a study file exited %d", got)
	}
	sc, note, err := loadScenario("run", study)
	if err != nil || sc.Swarm.Peers != 8 || !strings.Contains(note, "swarm.peers") {
		t.Fatalf("loadScenario: peers %v, note %q, err %v", sc, note, err)
	}
	pairs := filepath.Join(dir, "pairs.toml")
	if err := os.WriteFile(pairs, []byte(traceScenario+"\n[sweep]\ncommand = \"pairs\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadScenario("run", pairs); err == nil || !strings.Contains(err.Error(), "btsim pairs") {
		t.Fatalf("a study of pairs runs: %v", err)
	}
}
