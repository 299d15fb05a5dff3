#!/usr/bin/env bash
# make bench-peers: claude-env and Flux (source-controller + kustomize-controller) on the same
# local control plane, the same N environments and the same push (tests/e2e/src/bin/scale/peers.rs).
# Builds Flux from the Go module tests/bench/flux (never part of make test) into build/bin,
# copies its CRDs into build/bench/flux/crds, then runs `scale peers` for each N and run.
# Results: build/bench/peers.jsonl; tables: build/bench/peers.md (BENCHMARKS.md, "Peers").
#
#   BENCH_PEERS_N="100 1000"  sizes           BENCH_RUNS=3          runs per size (median)
#   BENCH_PUSHES=3            pushes per side BENCH_CONCURRENCY=16  ours, and Flux "matched"
#   BENCH_FLUX=default,matched                Flux configurations (scale peers --help)
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

target=${CARGO_TARGET_DIR:-target}
sizes=${BENCH_PEERS_N:-100 1000}
runs=${BENCH_RUNS:-3}
pushes=${BENCH_PUSHES:-3}
concurrency=${BENCH_CONCURRENCY:-16}
flux=${BENCH_FLUX:-default,matched}
out=build/bench/peers.jsonl
say() { printf '\033[1m[bench-peers]\033[0m %s\n' "$*"; }

hack/bench-flux-build.sh

say "the local control plane"
make --no-print-directory cluster-up
say "building the release controller and CLI, and the harness"
cargo build --release --locked -p claude-env-controller -p claude-env-cli
cargo build --locked -p claude-env-e2e --bin scale
scale=("$target/debug/scale")

mkdir -p build/bench
if [ -s "$out" ]; then mv "$out" "$out.$(date +%s)"; fi
say "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $sizes; do
  for r in $(seq 1 "$runs"); do
    say "peers N=$n, run $r of $runs (claude-env, then Flux: $flux)"
    "${scale[@]}" peers --n "$n" --pushes "$pushes" --flux "$flux" --out "$out" \
      --controller "$target/release/claude-env-controller" --cli "$target/release/claude-env" \
      --concurrency "$concurrency"
  done
done
"${scale[@]}" report --out "$out" --markdown build/bench/peers.md
say "table in build/bench/peers.md (BENCHMARKS.md, 'Peers'); raw runs in $out"
