#!/usr/bin/env bash
# Smoke test of the running local control plane (start it with `make cluster-up`).
#
#   (a) kubectl and the server report v1.33.13
#   (b) a 3-replica Deployment becomes Available; deleting it (background
#       cascade) removes its ReplicaSet and pods (garbage collector)
#   (c) claude-env.io/simulate=crashloop: never Available, pods in
#       CrashLoopBackOff, Progressing=False reason ProgressDeadlineExceeded
#   (d) claude-env.io/simulate=fail: pods start, then go Failed (exit code 1)
#   (e) deleting a namespace removes its Deployments, ReplicaSets and pods
#   (f) helm and kwok run
#
# Each check runs in its own namespace (smoke-*-<pid>), removed at the end.
# Exit status 0 when every check passed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

EXPECTED_VERSION=v1.33.13
TIMEOUT="${SMOKE_TIMEOUT:-90}"
IMAGE=registry.local/nginx:1
SUFFIX=$$
NS_WEB=smoke-web-$SUFFIX
NS_CRASH=smoke-crash-$SUFFIX
NS_FAIL=smoke-fail-$SUFFIX
NS_DEL=smoke-delete-$SUFFIX

export KUBECONFIG="$KUBECONFIG_FILE"
k() { "$BIN/kubectl" --request-timeout=10s "$@"; }

failures=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }

# eventually SECONDS CMD...: retry CMD every second until it succeeds.
eventually() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

cleanup() {
  k delete namespace "$NS_WEB" "$NS_CRASH" "$NS_FAIL" "$NS_DEL" \
    --ignore-not-found --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

[ -s "$KUBECONFIG_FILE" ] || { echo "no cluster: $KUBECONFIG_FILE missing (run make cluster-up)" >&2; exit 2; }
k get --raw=/readyz >/dev/null || { echo "cluster not ready (run make cluster-up)" >&2; exit 2; }

# deployment NS NAME REPLICAS SIMULATE [PROGRESS-DEADLINE]
deployment() {
  local ns=$1 name=$2 replicas=$3 simulate=$4 deadline=${5:-600}
  local label=""
  [ -z "$simulate" ] || label="claude-env.io/simulate: $simulate"
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $ns
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $name
  namespace: $ns
spec:
  replicas: $replicas
  progressDeadlineSeconds: $deadline
  selector:
    matchLabels:
      app: $name
  template:
    metadata:
      labels:
        app: $name
        $label
    spec:
      containers:
      - name: main
        image: $IMAGE
EOF
}

jp() { k "$@" 2>/dev/null; }

# ---------------------------------------------------------------- setup
# Everything is created first so the checks below overlap in time.
deployment "$NS_CRASH" crash 2 crashloop 15
deployment "$NS_WEB" web 3 ""
deployment "$NS_FAIL" fail 1 fail
deployment "$NS_DEL" doomed 2 ""

# ---------------------------------------------------------------- (a)
versions="$(k version -o json)"
client="$(printf '%s' "$versions" | sed -n '/"clientVersion"/,/}/s/.*"gitVersion": *"\([^"]*\)".*/\1/p')"
server="$(printf '%s' "$versions" | sed -n '/"serverVersion"/,/}/s/.*"gitVersion": *"\([^"]*\)".*/\1/p')"
if [ "$client" = "$EXPECTED_VERSION" ] && [ "$server" = "$EXPECTED_VERSION" ]; then
  pass "(a) kubectl $client, server $server"
else
  fail "(a) expected $EXPECTED_VERSION, got kubectl '$client', server '$server'"
fi

# ---------------------------------------------------------------- (b)
web_available() { [ "$(jp -n "$NS_WEB" get deploy web -o jsonpath='{.status.availableReplicas}')" = 3 ]; }
web_gone() {
  [ -z "$(jp -n "$NS_WEB" get replicasets,pods -l app=web -o name)" ]
}
if eventually "$TIMEOUT" web_available &&
  k -n "$NS_WEB" wait deploy/web --for=condition=Available --timeout=10s >/dev/null; then
  running="$(jp -n "$NS_WEB" get pods -l app=web -o jsonpath='{range .items[*]}{.status.phase}/{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^Running/True$' || true)"
  if [ "$running" -eq 3 ]; then
    k -n "$NS_WEB" delete deploy web --cascade=background --wait=false >/dev/null
    if eventually "$TIMEOUT" web_gone; then
      pass "(b) 3-replica Deployment Available (3 pods Running/Ready); cascade delete removed ReplicaSet and pods"
    else
      fail "(b) ReplicaSet/pods of the deleted Deployment still present after ${TIMEOUT}s (garbage collector)"
    fi
  else
    fail "(b) Deployment Available but only $running/3 pods Running and Ready"
  fi
else
  fail "(b) 3-replica Deployment not Available after ${TIMEOUT}s: $(jp -n "$NS_WEB" get deploy web -o wide | tail -1)"
fi

# ---------------------------------------------------------------- (d)
fail_failed() {
  jp -n "$NS_FAIL" get pods -l app=fail -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -q '^Failed$'
}
if eventually "$TIMEOUT" fail_failed; then
  exit_code="$(jp -n "$NS_FAIL" get pods -l app=fail -o jsonpath='{range .items[?(@.status.phase=="Failed")]}{.status.containerStatuses[0].state.terminated.exitCode}{"\n"}{end}' | head -1)"
  started="$(jp -n "$NS_FAIL" get pods -l app=fail -o jsonpath='{range .items[?(@.status.phase=="Failed")]}{.status.startTime}{"\n"}{end}' | head -1)"
  avail="$(jp -n "$NS_FAIL" get deploy fail -o jsonpath='{.status.availableReplicas}')"
  if [ "$exit_code" = 1 ] && [ -n "$started" ] && [ "${avail:-0}" = 0 ]; then
    pass "(d) simulate=fail: pod started at $started, then Failed (exit code 1); Deployment not Available"
  else
    fail "(d) simulate=fail: Failed pod with exit code '$exit_code', startTime '$started', availableReplicas '${avail:-0}'"
  fi
else
  fail "(d) simulate=fail: no Failed pod after ${TIMEOUT}s: $(jp -n "$NS_FAIL" get pods -o wide | tail -n +2)"
fi

# ---------------------------------------------------------------- (e)
del_available() { [ "$(jp -n "$NS_DEL" get deploy doomed -o jsonpath='{.status.availableReplicas}')" = 2 ]; }
ns_gone() { ! k get namespace "$NS_DEL" >/dev/null 2>&1; }
if eventually "$TIMEOUT" del_available; then
  k delete namespace "$NS_DEL" --wait=false >/dev/null
  if eventually "$TIMEOUT" ns_gone; then
    left="$(jp get pods,replicasets,deployments -A --field-selector "metadata.namespace=$NS_DEL" -o name | wc -l)"
    if [ "$left" -eq 0 ]; then
      pass "(e) namespace deletion removed its Deployment, ReplicaSet and pods"
    else
      fail "(e) namespace gone but $left objects left"
    fi
  else
    fail "(e) namespace $NS_DEL still present after ${TIMEOUT}s: $(jp get namespace "$NS_DEL" -o jsonpath='{.status}')"
  fi
else
  fail "(e) Deployment in $NS_DEL not Available after ${TIMEOUT}s"
fi

# ---------------------------------------------------------------- (c)
crash_deadline() {
  [ "$(jp -n "$NS_CRASH" get deploy crash -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')" = ProgressDeadlineExceeded ]
}
if eventually "$TIMEOUT" crash_deadline; then
  progressing="$(jp -n "$NS_CRASH" get deploy crash -o jsonpath='{.status.conditions[?(@.type=="Progressing")].status}')"
  avail="$(jp -n "$NS_CRASH" get deploy crash -o jsonpath='{.status.availableReplicas}')"
  waiting="$(jp -n "$NS_CRASH" get pods -l app=crash -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.waiting.reason}/{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^CrashLoopBackOff/False$' || true)"
  restarts="$(jp -n "$NS_CRASH" get pods -l app=crash -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')"
  if [ "$progressing" = False ] && [ "${avail:-0}" = 0 ] && [ "$waiting" -eq 2 ] && [ "${restarts:-0}" -ge 1 ]; then
    pass "(c) simulate=crashloop: Progressing=False/ProgressDeadlineExceeded, 0 available, 2 pods CrashLoopBackOff (restartCount $restarts)"
  else
    fail "(c) simulate=crashloop: Progressing=$progressing available=${avail:-0} crashlooping=$waiting/2 restarts=${restarts:-0}"
  fi
else
  fail "(c) simulate=crashloop: no ProgressDeadlineExceeded after ${TIMEOUT}s: $(jp -n "$NS_CRASH" get deploy crash -o jsonpath='{.status.conditions}')"
fi

# ---------------------------------------------------------------- (f)
helm_v="$("$BIN/helm" version --short 2>/dev/null || true)"
kwok_v="$("$BIN/kwok" --version 2>/dev/null || true)"
if [ -n "$helm_v" ] && [ -n "$kwok_v" ]; then
  pass "(f) helm $helm_v; $kwok_v"
else
  fail "(f) helm version: '$helm_v'; kwok --version: '$kwok_v'"
fi

if [ "$failures" -eq 0 ]; then
  echo "smoke: all checks passed"
else
  echo "smoke: $failures check(s) failed"
  exit 1
fi
