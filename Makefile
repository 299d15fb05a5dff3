# Entry points (docs/architecture.md lists them). `make test` is exactly what CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export GOTOOLCHAIN := local
CARGO ?= cargo

# The local control plane: cluster-build, cluster-up, cluster-down.
-include tests/cluster/cluster.mk

.PHONY: test checks fmt-check clippy unit crds crds-check chart-docs chart-docs-check deny bins e2e demo demo-down demo-cli bench fuzz fuzz-check bench-peers

# The control plane (Go) builds while the Rust checks run: a cold CI machine has two big
# builds, and Rust leaves a core idle during its long single-crate compiles.
test:
	@$(MAKE) --no-print-directory -j2 --output-sync=line checks cluster-build
	@$(MAKE) --no-print-directory e2e

checks:
	@$(MAKE) --no-print-directory fmt-check clippy crds-check chart-docs-check deny unit fuzz-check

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --exclude claude-env-e2e --locked

# The CRDs are generated from the Rust types (one file each); a stale crds/ (or a stale copy
# of it in the chart or the kustomize base) fails `make test`.
crds:
	$(CARGO) run -q --locked -p claude-env-api --bin crdgen -- crds
	hack/ship/sync.sh   # the chart's and the kustomize base's copies

crds-check:
	@rm -rf build/crds.generated && mkdir -p build
	@$(CARGO) run -q --locked -p claude-env-api --bin crdgen -- build/crds.generated
	@diff -ru crds build/crds.generated || { echo "crds/ is stale: run 'make crds' and commit"; exit 1; }
	@hack/ship/sync.sh --check --crds

# The chart README's values table is generated from values.yaml (helm-docs, built from the Go
# module proxy into build/bin); a stale README fails `make test`.
chart-docs:
	hack/ship/values-doc.sh

chart-docs-check:
	@hack/ship/values-doc.sh --check

# cargo-deny (deny.toml): licenses, bans (duplicate versions), sources, and advisories when
# the RustSec database can be fetched (hack/ship/deny.sh says what was and was not checked).
deny:
	@hack/ship/deny.sh

# The binaries e2e tests run (they look for them in target/debug).
bins:
	$(CARGO) build --locked -p claude-env-controller -p claude-env-cli -p claude-env-testkit --bins

e2e: cluster-up bins
	$(CARGO) test --locked --no-fail-fast -p claude-env-e2e -- --test-threads=4

# The controller on the local control plane with config-repo-example (hack/demo.sh).
demo:
	@hack/demo.sh

demo-down:
	@hack/demo.sh down

# The CLI alone on config-repo-example (no cluster).
demo-cli:
	@hack/demo-cli.sh

# Criterion benchmarks, then the scale harness on the local control plane (hack/bench.sh;
# BENCH_N, BENCH_RUNS, ... there). Results: build/bench/, summarised in BENCHMARKS.md.
bench:
	@hack/bench.sh

# Fuzzing (fuzz/run.sh): coverage-guided libFuzzer targets on the stable toolchain, in a
# Cargo workspace of their own (fuzz/). `make fuzz` fuzzes each target for FUZZ_SECONDS
# (FUZZ_TARGETS to pick some); `make fuzz-check`, part of `make test`, replays the committed
# corpus and fuzzes each target for FUZZ_CHECK_SECONDS. Crashes: build/fuzz/artifacts/.
FUZZ_SECONDS ?= 600
FUZZ_CHECK_SECONDS ?= 20
FUZZ_TARGETS ?=

fuzz:
	fuzz/run.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-check:
	fuzz/run.sh check $(FUZZ_CHECK_SECONDS)

# claude-env and Flux side by side on the local control plane (hack/bench-peers.sh; builds
# Flux from the Go module tests/bench/flux). Also run by `make bench` (BENCH_PEERS=0 skips it).
bench-peers:
	@hack/bench-peers.sh
