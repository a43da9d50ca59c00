#!/usr/bin/env bash
# A local demo of a real swarm over loopback: a tracker, a seed and two
# downloaders (bttls get, separate processes) that find each other through
# the tracker and PEX, then a byte-for-byte check of both copies. Every
# process started here is stopped on exit, whatever happens.
# BTTLS_TLS=--tls=off runs it with legacy (MSE) connections only.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/bttls"
if [[ ! -x "$bin" ]]; then
  (cd "$root" && go build -o bin/ ./cmd/bttls)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bttls-demo.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# wait_line FILE REGEX: wait up to 10 s for a line matching REGEX, print it.
wait_line() {
  for _ in $(seq 100); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

size=$((8 << 20))
echo "== bttls local swarm demo (work dir $work)"
head -c "$size" /dev/urandom > "$work/payload.bin"

tls_flag=${BTTLS_TLS:---tls=prefer} # BTTLS_TLS=--tls=off: legacy (MSE) only
# TLS pins and other state stay in the work dir, not in the user's home.
export XDG_STATE_HOME="$work/state"

tracker_args=()
have_tracker=false
if "$bin" --help 2>/dev/null | grep '^  tracker' >/dev/null; then
  have_tracker=true
  "$bin" tracker --listen 127.0.0.1:0 --interval 5s > "$work/tracker.log" 2>&1 &
  pids+=($!)
  url=$(wait_line "$work/tracker.log" '^announce URL:' | awk '{print $3}')
  tracker_args=(--tracker "$url")
  echo "tracker:  $url (pid ${pids[-1]})"
fi

"$bin" create "$work/payload.bin" -o "$work/payload.torrent" "${tracker_args[@]}" | sed 's/^/create:   /'

# The seed is throttled so that the downloaders must trade with each other too.
"$bin" seed "$work/payload.torrent" "$work/payload.bin" --listen 127.0.0.1:0 \
  --upload-limit 4MiB $tls_flag > "$work/seed.log" 2>&1 &
pids+=($!)
seed_addr=$(wait_line "$work/seed.log" '^seeding' | awk '{print $NF}')
echo "seed:     $seed_addr (pid ${pids[-1]}, upload capped at 4 MiB/s)"
peer_args=()
if ! $have_tracker; then
  peer_args=(--peer "$seed_addr")
  echo "no tracker subcommand: downloaders are given the seed with --peer"
fi

start=$(date +%s%N)
get_pids=()
for i in 1 2; do
  "$bin" get "$work/payload.torrent" -o "$work/copy$i.bin" --listen 127.0.0.1:0 --timeout 60s \
    --seed-after --quiet "${peer_args[@]}" $tls_flag > "$work/get$i.log" 2>&1 &
  get_pids+=($!)
  pids+=($!)
done

# Each downloader prints one line when it has verified every piece, then
# keeps seeding for the other.
status=0
for i in 1 2; do
  for _ in $(seq 600); do
    grep -q '^downloaded' "$work/get$i.log" 2>/dev/null && break
    if ! kill -0 "${get_pids[$((i-1))]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if grep -q '^downloaded' "$work/get$i.log"; then
    echo "get $i:    $(grep '^downloaded' "$work/get$i.log")"
  else
    echo "get $i:    FAILED"; sed 's/^/    /' "$work/get$i.log"; status=1
  fi
done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))

for i in 1 2; do
  if cmp -s "$work/payload.bin" "$work/copy$i.bin"; then
    echo "verify:   copy $i is identical to the original ($size bytes)"
  else
    echo "verify:   copy $i DIFFERS from the original"; status=1
  fi
done
echo "summary:  2 downloads ($tls_flag) of 8 MiB from 1 throttled seed in $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s; $([[ $status == 0 ]] && echo OK || echo FAILED)"
exit $status
