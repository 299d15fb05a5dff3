# shellcheck shell=bash disable=SC2034  # variables are used by the sourcing scripts
# Shared settings and helpers of the local control plane scripts (sourced).

CLUSTER_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$CLUSTER_HERE/../.." && pwd)"
BIN="${CLUSTER_BIN_DIR:-$ROOT/build/bin}"
CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/build/cluster}"
PKI="$CLUSTER_DIR/pki"
LOGS="$CLUSTER_DIR/logs"
PIDS="$CLUSTER_DIR/pids"
KUBECONFIG_FILE="$CLUSTER_DIR/kubeconfig"
PORTS_FILE="$CLUSTER_DIR/ports.env"
LOCK_FILE="$CLUSTER_DIR.lock"

# Start order.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
NODE_COUNT=3

log() { printf '%s %s\n' "[cluster]" "$*"; }
die() { printf '%s %s\n' "[cluster] ERROR:" "$*" >&2; exit 1; }

kubectl_admin() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# binary_of COMPONENT: the executable a component runs from.
binary_of() {
  case "$1" in
    kwok) echo "$BIN/kwok" ;;
    *) echo "$BIN/k8s" ;;
  esac
}

# pid_of COMPONENT: prints the pid of a running component started by us, or fails.
# A pid only counts when the process still runs our binary (pids get reused).
pid_of() {
  local f="$PIDS/$1.pid" pid exe
  [ -s "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  exe="$(binary_of "$1")"
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$exe" || return 1
  echo "$pid"
}

# any_pid_file: true when some component pid file exists.
any_pid_file() { compgen -G "$PIDS/*.pid" >/dev/null 2>&1; }

# stop_components NAME...: TERM the given components (only pids that still
# run our binaries), wait up to 10 s, then KILL whatever is left.
stop_components() {
  local name pid i left
  local -A pids=()
  for name in "$@"; do
    if pid="$(pid_of "$name")"; then
      pids[$name]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 100; i++)); do
    left=0
    for name in "${!pids[@]}"; do
      kill -0 "${pids[$name]}" 2>/dev/null && left=1
    done
    [ "$left" -eq 0 ] && break
    sleep 0.1
  done
  for name in "${!pids[@]}"; do
    pid=${pids[$name]}
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop after TERM; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
    log "stopped $name (pid $pid)"
  done
  for name in "$@"; do
    rm -f "$PIDS/$name.pid"
  done
}

# stop_all: the API clients and the API server first, etcd last.
stop_all() {
  stop_components kwok kube-scheduler kube-controller-manager kube-apiserver
  stop_components etcd
}

# with_lock CMD...: serialise cluster-up/cluster-down of one checkout.
with_lock() {
  mkdir -p "$(dirname "$LOCK_FILE")"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK_FILE"
    if ! flock -w 600 9; then
      die "timed out waiting for $LOCK_FILE (another cluster-up/cluster-down running?)"
    fi
  fi
  "$@"
}
