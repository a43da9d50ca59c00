#!/usr/bin/env bash
# `make run`: simulates the default scenario (scenarios/default.toml) — a
# mixed swarm of 500 real bttls peers (TLS Basic with fallback, and legacy
# plain/MSE peers that answer a ClientHello as libtorrent does) and a real
# tracker on a simulated network, in virtual time — and prints its summary.
# Results (summary.json, peers.csv) go to out/default; the same seed gives
# byte-identical peers.csv and the same digest on every run.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ ! -x bin/btsim ]]; then
  go build -o bin/ ./cmd/btsim
fi
out=${OUT:-out/default}
echo "== btsim run scenarios/default.toml --out $out"
start=$(date +%s%N)
bin/btsim run scenarios/default.toml --out "$out" "$@"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "== wrote $out/summary.json and $out/peers.csv in $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s wall"
