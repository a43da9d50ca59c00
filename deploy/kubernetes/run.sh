#!/usr/bin/env bash
# Runs a btsim sweep as a Kubernetes Indexed Job of N shards, then merges.
#   deploy/kubernetes/run.sh STUDY.toml NAME N [IMAGE]
# STUDY.toml is a path under scenarios/ (it is baked into the image at
# /scenarios); NAME names the Jobs and the output directory /results/NAME.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
study=${1:?usage: run.sh STUDY.toml NAME N [IMAGE]}
name=${2:?usage: run.sh STUDY.toml NAME N [IMAGE]}
n=${3:?usage: run.sh STUDY.toml NAME N [IMAGE]}
image=${4:-registry.example/bttls-btsim:dev}
case $n in
  ''|*[!0-9]*|0) echo "run.sh: N must be a positive number of shards, not '$n'" >&2; exit 2 ;;
esac
case $name in
  *[!a-z0-9-]*|'') echo "run.sh: NAME must be lowercase letters, digits and '-' (a Kubernetes name)" >&2; exit 2 ;;
esac
study=${study#scenarios/}

dirs=""
for ((i = 0; i < n; i++)); do
  dirs+="${dirs:+, }\"/results/$name/shard-$i\""
done
render() {
  sed -e "s|\${NAME}|$name|g" -e "s|\${STUDY}|$study|g" -e "s|\${SHARDS}|$n|g" \
      -e "s|\${IMAGE}|$image|g" -e "s|\${SHARD_DIRS}|$dirs|g" "$1"
}

kubectl apply -f "$here/pvc.yaml"
render "$here/sweep-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete --timeout=24h "job/btsim-sweep-$name"
render "$here/merge-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete --timeout=1h "job/btsim-merge-$name"
echo "merged sweep in /results/$name/merged on the btsim-results volume"
