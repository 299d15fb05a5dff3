#!/usr/bin/env bash
# Build Flux's source-controller and kustomize-controller (the peer of `scale peers`) from the
# Go module tests/bench/flux into build/bin/flux-{source,kustomize}-controller, and copy their
# CRDs (each module's config/crd/bases, from the module cache) into build/bench/flux/crds.
# Verified against the committed go.sum (-mod=readonly); rebuilt only when go.mod/go.sum change.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GOSUMDB=off
mod=tests/bench/flux
bin=build/bin
crds=build/bench/flux/crds
say() { printf '\033[1m[flux]\033[0m %s\n' "$*"; }
command -v go >/dev/null || { echo "go not found (Go >= 1.25 builds Flux v1.7)" >&2; exit 1; }
mkdir -p "$bin" "$crds"
for c in source-controller kustomize-controller; do
  out="$bin/flux-$c"
  if [ ! -x "$out" ] || [ "$mod/go.mod" -nt "$out" ] || [ "$mod/go.sum" -nt "$out" ]; then
    version=$(cd "$mod" && go list -m -f '{{.Version}}' "github.com/fluxcd/$c")
    say "building $c $version (cold: ~4 min on 2 idle cores)"
    (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$OLDPWD/$out.tmp" "github.com/fluxcd/$c")
    mv -f "$out.tmp" "$out"
  fi
  dir=$(cd "$mod" && go list -m -f '{{.Dir}}' "github.com/fluxcd/$c")
  cp -f "$dir"/config/crd/bases/*.yaml "$crds/"
  chmod u+w "$crds"/*.yaml
done
say "$(ls "$crds" | wc -l) CRDs in $crds; binaries in $bin"
