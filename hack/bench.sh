#!/usr/bin/env bash
# make bench: criterion benchmarks of the pure hot paths (merge/render, drift, rollout
# decision), then the scale harness (tests/e2e/src/bin/scale.rs) with the release controller
# on the local control plane. Results: build/bench/results.jsonl (one JSON line per run) and
# build/bench/scale.md (the tables of BENCHMARKS.md "Scale"). Nothing here asserts a time.
#
#   BENCH_N="10 100 1000"   fleet sizes          BENCH_RUNS=3       runs per size (median)
#   BENCH_PUSHES=3          pushes per fleet run BENCH_CRITERION=0  skip the criterion part
#   BENCH_SCALE=0           skip the scale part  BENCH_CONCURRENCY=16
#   BENCH_SCENARIOS="fleet single rollback"
#   BENCH_PEERS=0           skip the peer comparison with Flux (hack/bench-peers.sh, its own
#                           variables; its results: build/bench/peers.jsonl)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

target=${CARGO_TARGET_DIR:-target}
sizes=${BENCH_N:-10 100 1000}
runs=${BENCH_RUNS:-3}
pushes=${BENCH_PUSHES:-3}
concurrency=${BENCH_CONCURRENCY:-16}
out=build/bench/results.jsonl
say() { printf '\033[1m[bench]\033[0m %s\n' "$*"; }

if [ "${BENCH_CRITERION:-1}" != 0 ]; then
  say "criterion: render, drift, rollout (cargo bench; reports in $target/criterion)"
  cargo bench --locked -p claude-env-render -p claude-env-drift -p claude-env-rollout
fi
[ "${BENCH_SCALE:-1}" != 0 ] || exit 0

say "the local control plane"
make --no-print-directory cluster-up
say "building the release controller and the harness"
cargo build --release --locked -p claude-env-controller
cargo build --locked -p claude-env-e2e --bin scale
scale=("$target/debug/scale")
common=(--out "$out" --controller "$target/release/claude-env-controller" --concurrency "$concurrency")

mkdir -p build/bench
if [ -s "$out" ]; then mv "$out" "$out.$(date +%s)"; fi
say "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"

scenarios=" ${BENCH_SCENARIOS:-fleet single rollback} "
[[ $scenarios == *" fleet "* ]] || sizes=""
for n in $sizes; do
  for r in $(seq 1 "$runs"); do
    say "fleet N=$n, run $r of $runs"
    "${scale[@]}" fleet --n "$n" --pushes "$pushes" "${common[@]}"
  done
done
for env in staging development; do
  [[ $scenarios == *" single "* ]] || break
  say "one $env environment, 20 webhook pushes"
  "${scale[@]}" single --environment "$env" --pushes 20 "${common[@]}"
done
if [[ $scenarios == *" rollback "* ]]; then
  say "rollback of a crash-looping canary, 3 rounds"
  "${scale[@]}" rollback --rounds 3 "${common[@]}"
fi

if [ "${BENCH_PEERS:-1}" != 0 ]; then
  hack/bench-peers.sh
fi

"${scale[@]}" report --out "$out" --out build/bench/peers.jsonl --markdown build/bench/scale.md
say "tables in build/bench/scale.md (BENCHMARKS.md, 'Scale'); raw runs in $out"
