#!/usr/bin/env bash
# cargo-deny with deny.toml (`make deny`, part of `make test`).
#   licenses, bans (duplicate versions, banned crates), sources: need only the crates.io index.
#   advisories: need the RustSec advisory database, a Git repository on GitHub. Where it cannot
#   be fetched (machines that reach only package registries) this one check is reported as NOT
#   CHECKED with the fetch error, and the others still fail the build.
#   DENY_ADVISORIES=require makes an unfetchable database an error.
# cargo-deny: `cargo install --locked cargo-deny@0.20.2` (.ci/run installs it when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo=${CARGO:-cargo}
if ! "$cargo" deny --version >/dev/null 2>&1; then
  echo "deny.sh: cargo-deny not found: cargo install --locked cargo-deny@0.20.2" >&2
  exit 2
fi

"$cargo" deny --locked check licenses bans sources

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if timeout 180 "$cargo" deny --locked fetch db >"$log" 2>&1; then
  "$cargo" deny --locked --offline check advisories
else
  echo "deny.sh: NOT CHECKED: advisories (the RustSec database could not be fetched):" >&2
  grep -v '^\s*$' "$log" | tail -5 | sed 's/^/  /' >&2
  if [[ "${DENY_ADVISORIES:-}" == require ]]; then exit 1; fi
fi
