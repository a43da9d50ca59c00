#!/usr/bin/env bash
# Submits a sweep as a Slurm job array of N shards plus a merge job that runs
# after all of them succeed.
#   deploy/slurm/submit.sh STUDY.toml OUTDIR N [extra btsim sweep flags]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
study=${1:?usage: submit.sh STUDY.toml OUTDIR N [extra btsim sweep flags]}
outdir=${2:?usage: submit.sh STUDY.toml OUTDIR N [extra btsim sweep flags]}
n=${3:?usage: submit.sh STUDY.toml OUTDIR N [extra btsim sweep flags]}
shift 3
case $n in
  ''|*[!0-9]*|0) echo "submit.sh: N must be a positive number of shards, not '$n'" >&2; exit 2 ;;
esac
mkdir -p "$outdir"
array=$(sbatch --parsable --array="0-$((n - 1))" "$here/sweep.sbatch" "$study" "$outdir" "$@")
merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" "$here/merge.sbatch" "$study" "$outdir")
echo "array job $array ($n shards), merge job $merge; results in $outdir/merged"
