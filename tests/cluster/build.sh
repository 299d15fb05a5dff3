#!/usr/bin/env bash
# Build the local control plane binaries from Go modules into build/bin/.
#
#   tests/cluster/build.sh [k8s|kwok|helm|all]...   (default: all)
#
# k8s   build/bin/k8s, the multi-call binary (etcd, kube-apiserver,
#       kube-controller-manager, kube-scheduler, kubectl) from tests/cluster/go.mod,
#       plus symlinks build/bin/{kubectl,etcd,kube-apiserver,...} -> k8s
# kwok  build/bin/kwok  from tests/cluster/tools/kwok (sigs.k8s.io/kwok v0.7.0)
# helm  build/bin/helm  from tests/cluster/tools/helm (helm.sh/helm/v3)
#
# Builds are verified against the committed go.sum files (-mod=readonly); the
# checksum database is never contacted. Caches stay in Go's default locations
# (module cache ~/go/pkg/mod, build cache ~/.cache/go-build), so rebuilds are fast.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${CLUSTER_BIN_DIR:-$ROOT/build/bin}"

KUBE_VERSION=v1.33.13
KUBE_MAJOR=1
KUBE_MINOR=33
KWOK_VERSION=v0.7.0
HELM_VERSION=v3.18.6

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: 'go' not found in PATH (Go >= 1.24 is needed to build the local control plane)" >&2
  exit 1
fi

export GOTOOLCHAIN=local
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
export GOSUMDB=off          # sum.golang.org may be unreachable; go.sum is committed
export GONOSUMDB='*'
export GONOSUMCHECK=1
export GOFLAGS=-mod=readonly
export CGO_ENABLED=0

mkdir -p "$BIN"

# go_build LABEL ESTIMATE DIR OUT LDFLAGS PKG
# Runs `go build` in DIR, printing a heartbeat while it runs; installs OUT atomically.
go_build() {
  local label=$1 estimate=$2 dir=$3 out=$4 ldflags=$5 pkg=$6
  local tmp="$out.tmp.$$" start now pid rc
  echo "==> building $label ($estimate; cached rebuilds take seconds)…"
  start=$(date +%s)
  (cd "$dir" && exec go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg") &
  pid=$!
  # Heartbeat every 30 s so a long cold build does not look hung.
  while ! wait_for "$pid" 30; do
    now=$(date +%s)
    echo "    … still building $label ($(( (now - start) / 60 ))m$(( (now - start) % 60 ))s elapsed)"
  done
  rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    rm -f "$tmp"
    echo "==> building $label FAILED (exit $rc)" >&2
    return "$rc"
  fi
  mv -f "$tmp" "$out"
  now=$(date +%s)
  echo "==> built $out in $(( now - start ))s"
}

# wait_for PID SECONDS: true once PID has exited, false after SECONDS.
wait_for() {
  local pid=$1 n=$2 i
  for ((i = 0; i < n; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  ! kill -0 "$pid" 2>/dev/null
}

build_k8s() {
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$KUBE_MAJOR -X $p.gitMinor=$KUBE_MINOR -X $p.gitTreeState=clean"
  done
  go_build "kube $KUBE_VERSION (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)" \
    "cold build takes ~7 min on 2 idle cores, ~20 min on busy ones; ~2.3 GiB RAM" \
    "$HERE" "$BIN/k8s" "$ld" ./cmd/k8s
  local name
  for name in kubectl etcd kube-apiserver kube-controller-manager kube-scheduler; do
    ln -sfn k8s "$BIN/$name"
  done
}

build_kwok() {
  go_build "kwok $KWOK_VERSION" "cold build takes ~1-3 min" \
    "$HERE/tools/kwok" "$BIN/kwok" \
    "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    sigs.k8s.io/kwok/cmd/kwok
}

build_helm() {
  go_build "helm $HELM_VERSION" "cold build takes ~1-3 min" \
    "$HERE/tools/helm" "$BIN/helm" \
    "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$KUBE_MAJOR -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$KUBE_MINOR -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$KUBE_MAJOR -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$KUBE_MINOR" \
    helm.sh/helm/v3/cmd/helm
}

targets=("$@")
[ "${#targets[@]}" -eq 0 ] && targets=(all)
for t in "${targets[@]}"; do
  case "$t" in
    k8s | kube) build_k8s ;;
    kwok) build_kwok ;;
    helm) build_helm ;;
    all) build_k8s; build_kwok; build_helm ;;
    *) echo "build.sh: unknown target '$t' (k8s, kwok, helm, all)" >&2; exit 2 ;;
  esac
done
