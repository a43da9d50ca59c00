#!/usr/bin/env bash
# `make results`: regenerates every reference result and plot in results/
# from the studies in scenarios/studies/, and says how long it took.
#
# Each study is a scenario with a [sweep] table (parameters, seeds, plots);
# `btsim sweep` runs its grid with --jobs runs at once and writes
# results/<study>/ (manifest, runs.csv/json, summary.csv/json, *.png, *.svg).
# results/dpi/ is produced by `make dpi`, not here.
#
#   scripts/make-results.sh               every study
#   scripts/make-results.sh adoption      only scenarios/studies/adoption.toml
#   JOBS=4 scripts/make-results.sh        runs at once (default: all cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
btsim="$root/bin/btsim"
go build -o bin/ ./cmd/btsim # always: a stale binary would give stale results
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

studies=()
if (($# > 0)); then
  for name in "$@"; do
    studies+=("scenarios/studies/${name%.toml}.toml")
  done
else
  studies=(scenarios/studies/*.toml)
fi

start=$(date +%s)
for study in "${studies[@]}"; do
  [[ -f $study ]] || { echo "make-results: no study $study" >&2; exit 2; }
  name=$(basename "$study" .toml)
  t0=$(date +%s)
  echo "make-results: $name ..."
  rm -rf "results/$name.tmp"
  "$btsim" sweep "$study" --jobs "$jobs" --out "results/$name.tmp"
  # Replace the old results only once the new ones are complete.
  rm -rf "results/$name"
  mv "results/$name.tmp" "results/$name"
  echo "make-results: $name took $(( $(date +%s) - t0 ))s"
done
echo "make-results: ${#studies[@]} studies in $(( $(date +%s) - start ))s on $jobs parallel runs"
