#!/usr/bin/env bash
# The fuzz targets of fuzz/fuzz_targets, coverage-guided by libFuzzer on the stable
# toolchain: libfuzzer-sys links libFuzzer (built from source with the C++ compiler), and
# rustc's stable `-C passes=sancov-module` / `-C llvm-args=-sanitizer-coverage-*` flags
# instrument the code (what cargo-fuzz does, minus its nightly-only sanitizers).
#
#   fuzz/run.sh build                   build every target
#   fuzz/run.sh run SECONDS [TARGET...] fuzz each target for SECONDS (make fuzz)
#   fuzz/run.sh check SECONDS           replay the committed corpus, then fuzz each target
#                                       for SECONDS (make fuzz-check, part of make test)
#
# Corpora: fuzz/corpus/<target>/ are committed seeds (read-only here); what a run finds is
# kept in build/fuzz/corpus/<target>/ and crashes in build/fuzz/artifacts/<target>/ (a crash
# fails the run and prints the input; reproduce with `<binary> <crash file>`).
set -euo pipefail
cd "$(dirname "$0")"
host=$(rustc -vV | sed -n 's/^host: //p')
# A target triple makes RUSTFLAGS apply to the targets only, not to build scripts.
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/../build/fuzz/target}
export RUSTFLAGS="--cfg fuzzing -C passes=sancov-module \
 -C llvm-args=-sanitizer-coverage-level=4 \
 -C llvm-args=-sanitizer-coverage-inline-8bit-counters \
 -C llvm-args=-sanitizer-coverage-pc-table \
 -C llvm-args=-sanitizer-coverage-trace-compares \
 -C debug-assertions -C overflow-checks"
targets=(config_fragment config_merge webhook git_url sync_paths)
bin=$CARGO_TARGET_DIR/$host/fuzz
out=../build/fuzz

build() {
  cargo build --locked --profile fuzz --target "$host" --bins
}

# fuzz TARGET SECONDS: libFuzzer on the target, new inputs kept in build/fuzz/corpus.
fuzz() {
  local t=$1 secs=$2
  rm -rf "$out/artifacts/$t"
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  echo "== $t: ${secs}s"
  "$bin/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
    "$out/corpus/$t" "corpus/$t" 2>&1 | grep -E '^(==|#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss|INFO: seed corpus|.*(ERROR|panicked|SUMMARY|Test unit written|Base64))' || true
  # libFuzzer's exit status is lost in the pipe: a crash leaves an artifact.
  if compgen -G "$out/artifacts/$t/*" >/dev/null; then
    echo "FAILED: $t found a crash: $(ls "$out/artifacts/$t")" >&2
    return 1
  fi
}

mkdir -p "$out"
case ${1:-} in
  build) build ;;
  run)
    secs=${2:?seconds}; shift 2
    build
    for t in "${@:-${targets[@]}}"; do fuzz "$t" "$secs"; done
    ;;
  check)
    secs=${2:?seconds}
    build
    for t in "${targets[@]}"; do
      # Every committed seed once (a regression fails here), then a short fuzzing run.
      "$bin/$t" -runs=0 -timeout=10 "corpus/$t" >/dev/null 2>"$out/replay-$t.log" || {
        cat "$out/replay-$t.log" >&2; echo "FAILED: $t on its corpus" >&2; exit 1; }
      fuzz "$t" "$secs"
    done
    ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
