#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 3s).
#
# A run that fails with nothing but "context deadline exceeded" and writes no
# failing input is the Go fuzzing coordinator's shutdown race at the end of a
# duration-based -fuzztime (golang/go#51484, #75804), not a finding: that
# target is run once more, and fails the script only if it fails again. Any
# other failure (a written input, a panic, a t.Fatal) fails at once.
set -euo pipefail
fuzztime=${FUZZTIME:-3s}
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# deadline_only LOG: true when LOG shows only the coordinator's deadline race.
deadline_only() {
  grep -q 'context deadline exceeded' "$1" &&
    ! grep -qE 'Failing input written|panic:|fuzzing process hung|_test\.go:[0-9]+:' "$1"
}

while IFS= read -r file; do
  dir=$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(f \*testing\.F\)' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+).*/\1/'); do
    echo "fuzz: ./$dir $target ($fuzztime)"
    for attempt in 1 2; do
      if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$dir" >"$log" 2>&1; then
        break
      fi
      if [ "$attempt" = 1 ] && deadline_only "$log"; then
        echo "fuzz: ./$dir $target stopped on the fuzzing engine's deadline race with no failing input; running it again"
        continue
      fi
      cat "$log"
      status=1
      break
    done
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' 2>/dev/null || true)
exit $status
