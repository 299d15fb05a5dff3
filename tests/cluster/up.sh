#!/usr/bin/env bash
# Start the local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, KWOK with three fake nodes) as
# background processes on 127.0.0.1, and wait until pods can be created.
#
# Idempotent: with a healthy cluster running it only confirms; a stale or
# unhealthy one (dead pids, not ready) is stopped, wiped and started afresh.
#
# Produces (paths relative to the repo root):
#   build/cluster/kubeconfig   admin kubeconfig (CN=admin, O=system:masters)
#   build/cluster/ports.env    the ports chosen at start (shell-sourceable)
#   build/cluster/logs/<component>.log, build/cluster/pids/<component>.pid
#
# Environment: CLUSTER_TIMEOUT (seconds per wait step, default 120),
# CLUSTER_DIR, CLUSTER_BIN_DIR (defaults build/cluster, build/bin).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT="${CLUSTER_TIMEOUT:-120}"
KUBE_VERSION=v1.33.13

CONTROLLERS=(
  deployment-controller
  replicaset-controller
  garbage-collector-controller
  namespace-controller
  serviceaccount-controller
  serviceaccount-token-controller
  pod-garbage-collector-controller
  root-ca-certificate-publisher-controller  # kube-root-ca.crt ConfigMap in every namespace
  clusterrole-aggregation-controller        # fills the admin/edit/view ClusterRoles
)

# ---------------------------------------------------------------- helpers

# free_ports N: N distinct free TCP ports on 127.0.0.1, one per line.
free_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
EOF
  else
    # Fallback: random high ports nobody answers on.
    local n=0 p seen=" "
    while [ "$n" -lt "$1" ]; do
      p=$((20000 + RANDOM % 40000))
      case "$seen" in *" $p "*) continue ;; esac
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "$p"; seen+="$p "; n=$((n + 1))
      fi
    done
  fi
}

# start NAME CMD...: run CMD detached (own session, survives make), log to
# logs/NAME.log, record its pid in pids/NAME.pid.
start() {
  local name=$1; shift
  local pidfile="$PIDS/$name.pid" i
  rm -f "$pidfile"
  # The inner shell records its own pid and closes inherited descriptors
  # (e.g. a caller's pipe) before exec'ing the component, so the pid is the
  # component's and nobody waiting on a pipe hangs on our daemons.
  # shellcheck disable=SC2016  # expanded by the inner shell
  setsid bash -c '
    echo $$ >"$0"
    for fd in $(ls /proc/$$/fd); do
      if [ "$fd" -gt 2 ] && [ -e "/proc/$$/fd/$fd" ]; then eval "exec $fd>&-"; fi
    done
    exec "$@"' "$pidfile" "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  for ((i = 0; i < 50; i++)); do
    [ -s "$pidfile" ] && break
    sleep 0.1
  done
  [ -s "$pidfile" ] || die "could not start $name"
  log "started $name (pid $(cat "$pidfile"), log build/cluster/logs/$name.log)"
}

# wait_until DESCRIPTION COMPONENT CMD...: poll CMD until it succeeds; on
# timeout (or when COMPONENT died) show COMPONENT's log tail and fail.
wait_until() {
  local what=$1 comp=$2; shift 2
  local deadline=$((SECONDS + TIMEOUT)) out
  while ! out="$("$@" 2>&1)"; do
    if [ -n "$comp" ] && ! pid_of "$comp" >/dev/null; then
      echo "----- tail of $LOGS/$comp.log -----" >&2
      tail -n 40 "$LOGS/$comp.log" >&2 || true
      die "$comp exited while waiting for $what"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      if [ -n "$comp" ]; then
        echo "----- tail of $LOGS/$comp.log -----" >&2
        tail -n 40 "$LOGS/$comp.log" >&2 || true
      fi
      [ -z "$out" ] || printf 'last attempt said: %s\n' "$out" | tail -n 10 >&2
      die "timed out after ${TIMEOUT}s waiting for $what"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- checks

readyz() { kubectl_admin get --raw=/readyz --request-timeout=5s; }

nodes_ready() {
  local n
  n="$(kubectl_admin get nodes -l type=kwok --request-timeout=5s \
    -o jsonpath='{range .items[*]}{range .status.conditions[?(@.type=="Ready")]}{.status}{"\n"}{end}{end}' |
    grep -c '^True$' || true)"
  [ "$n" -ge "$NODE_COUNT" ]
}

default_sa() { kubectl_admin -n default get serviceaccount default --request-timeout=5s; }

etcd_health() { curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"; }

healthz() { curl -fsSk --max-time 2 "https://127.0.0.1:$1/healthz"; }

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do
    pid_of "$c" >/dev/null || return 1
  done
}

healthy() {
  [ -s "$KUBECONFIG_FILE" ] && [ -s "$PORTS_FILE" ] || return 1
  all_running || return 1
  readyz >/dev/null 2>&1 && nodes_ready 2>/dev/null && default_sa >/dev/null 2>&1
}

# ---------------------------------------------------------------- PKI

# issue NAME SUBJECT EXTENSIONS: key + certificate signed by the cluster CA
# (or by $CA_NAME).
issue() {
  local name=$1 subj=$2 ext=$3
  openssl req -new -newkey rsa:2048 -nodes -subj "$subj" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  printf '%s\n' "$ext" >"$PKI/$name.ext"
  local ca="${CA_NAME:-ca}"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" \
    -CAcreateserial -days 3650 -sha256 -extfile "$PKI/$name.ext" \
    -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

client_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'

gen_pki() {
  command -v openssl >/dev/null 2>&1 || die "openssl is needed to generate the cluster certificates"
  mkdir -p "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -subj "/CN=claude-env-local-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  issue apiserver "/CN=kube-apiserver" 'basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local'
  # Front-proxy (request header) CA: lets kube-controller-manager and
  # kube-scheduler delegate authentication without errors, and makes
  # aggregated API servers possible.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -subj "/CN=claude-env-local-front-proxy-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$PKI/front-proxy-ca.key" -out "$PKI/front-proxy-ca.crt" 2>/dev/null
  CA_NAME=front-proxy-ca issue front-proxy-client "/CN=front-proxy-client" "$client_ext"
  issue admin "/O=system:masters/CN=admin" "$client_ext"
  issue kube-controller-manager "/O=system:masters/CN=system:kube-controller-manager" "$client_ext"
  issue kube-scheduler "/O=system:masters/CN=system:kube-scheduler" "$client_ext"
  issue kwok "/O=system:masters/CN=kwok-controller" "$client_ext"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  chmod 600 "$PKI"/*.key
}

# write_kubeconfig FILE CLIENT-NAME: kubeconfig with embedded CA and client cert.
write_kubeconfig() {
  local file=$1 who=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: claude-env-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $who
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$who.crt")
    client-key-data: $(base64 -w0 <"$PKI/$who.key")
contexts:
- name: claude-env-local
  context:
    cluster: claude-env-local
    user: $who
    namespace: default
current-context: claude-env-local
EOF
  chmod 600 "$file"
}

# ---------------------------------------------------------------- up

up() {
  if [ ! -x "$BIN/k8s" ] || [ ! -x "$BIN/kubectl" ]; then
    "$CLUSTER_HERE/build.sh" k8s
  fi
  [ -x "$BIN/kwok" ] || "$CLUSTER_HERE/build.sh" kwok
  for b in "$BIN/k8s" "$BIN/kubectl" "$BIN/kwok"; do
    [ -x "$b" ] || die "$b missing (run make cluster-build)"
  done

  if [ -s "$PORTS_FILE" ]; then
    # shellcheck disable=SC1090
    source "$PORTS_FILE"
  fi
  # All our processes alive: the cluster is up or still starting, or the
  # machine is just slow. Give it time before declaring it broken, so a busy
  # machine never gets a working cluster torn down under running tests.
  if [ -s "$KUBECONFIG_FILE" ] && [ -s "$PORTS_FILE" ] && all_running; then
    local deadline=$((SECONDS + TIMEOUT)) said=""
    until healthy; do
      if [ -z "$said" ]; then
        log "cluster processes running but not healthy yet; waiting up to ${TIMEOUT}s"
        said=1
      fi
      if [ "$SECONDS" -ge "$deadline" ] || ! all_running; then
        break
      fi
      sleep 1
    done
  fi
  if healthy; then
    log "cluster already running and healthy: $(kubectl_admin version -o json 2>/dev/null |
      sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | tail -1) at https://127.0.0.1:${APISERVER_PORT}"
    log "KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  if [ -d "$CLUSTER_DIR" ]; then
    if any_pid_file; then
      log "found a stale or unhealthy cluster; stopping it and starting afresh"
    fi
    stop_all
    rm -rf "$CLUSTER_DIR"
  fi

  local started=$SECONDS
  mkdir -p "$CLUSTER_DIR" "$LOGS" "$PIDS" "$CLUSTER_DIR/etcd" "$CLUSTER_DIR/kwok-home"
  chmod 700 "$CLUSTER_DIR/etcd"

  local ports
  mapfile -t ports < <(free_ports 6)
  [ "${#ports[@]}" -eq 6 ] || die "could not pick free ports"
  ETCD_PORT=${ports[0]}
  ETCD_PEER_PORT=${ports[1]}
  APISERVER_PORT=${ports[2]}
  KCM_PORT=${ports[3]}
  SCHEDULER_PORT=${ports[4]}
  KWOK_PORT=${ports[5]}
  cat >"$PORTS_FILE" <<EOF
# Local control plane ports (chosen at start by tests/cluster/up.sh).
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
KCM_PORT=$KCM_PORT
SCHEDULER_PORT=$SCHEDULER_PORT
KWOK_PORT=$KWOK_PORT
APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
KUBECONFIG=$KUBECONFIG_FILE
EOF

  log "generating certificates and kubeconfigs"
  gen_pki
  mkdir -p "$CLUSTER_DIR/kubeconfigs"
  write_kubeconfig "$KUBECONFIG_FILE" admin
  for c in kube-controller-manager kube-scheduler kwok; do
    write_kubeconfig "$CLUSTER_DIR/kubeconfigs/$c.kubeconfig" "$c"
  done

  start etcd "$BIN/k8s" etcd \
    --name=claude-env \
    --data-dir="$CLUSTER_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync \
    --log-level=warn
  wait_until "etcd health" etcd etcd_health

  start kube-apiserver "$BIN/k8s" kube-apiserver \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=10.0.0.0/16 \
    --authorization-mode=Node,RBAC \
    --endpoint-reconciler-type=none \
    --allow-privileged=true \
    --disable-admission-plugins=TaintNodesByCondition \
    --cert-dir="$CLUSTER_DIR/apiserver-certs" \
    --profiling=false \
    --v=1
  wait_until "kube-apiserver /readyz" kube-apiserver readyz

  local kcfg="$CLUSTER_DIR/kubeconfigs"
  local controllers
  controllers="$(IFS=,; echo "${CONTROLLERS[*]}")"
  # Client rate limit 100/200 instead of the default 20/30 per controller: at 1000
  # environments (~115 Deployments rolling at once) the deployment and replicaset
  # controllers spent most of a push waiting on their own limiter (BENCHMARKS.md);
  # clusters of that size raise it too.
  start kube-controller-manager "$BIN/k8s" kube-controller-manager \
    --kubeconfig="$kcfg/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$kcfg/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$kcfg/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --leader-elect=false \
    --controllers="$controllers" \
    --service-account-private-key-file="$PKI/sa.key" \
    --root-ca-file="$PKI/ca.crt" \
    --terminated-pod-gc-threshold=200 \
    --kube-api-qps=100 \
    --kube-api-burst=200 \
    --profiling=false \
    --v=1

  start kube-scheduler "$BIN/k8s" kube-scheduler \
    --kubeconfig="$kcfg/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$kcfg/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$kcfg/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$SCHEDULER_PORT" \
    --leader-elect=false \
    --profiling=false \
    --v=1

  # HOME is private so a developer's ~/.kwok/kwok.yaml cannot change the stages.
  start kwok env HOME="$CLUSTER_DIR/kwok-home" "$BIN/kwok" \
    --kubeconfig="$kcfg/kwok.kubeconfig" \
    --config="$CLUSTER_HERE/kwok/stages.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 \
    --cidr=10.244.0.0/16 \
    --node-ip=127.0.0.1 \
    --server-address="127.0.0.1:$KWOK_PORT"

  log "registering $NODE_COUNT fake nodes"
  wait_until "node registration" "" kubectl_admin apply --server-side \
    --field-manager=claude-env-cluster-up -f "$CLUSTER_HERE/kwok/nodes.yaml"

  wait_until "kube-controller-manager /healthz" kube-controller-manager healthz "$KCM_PORT"
  wait_until "kube-scheduler /healthz" kube-scheduler healthz "$SCHEDULER_PORT"
  wait_until "$NODE_COUNT Ready nodes (KWOK)" kwok nodes_ready
  wait_until "the default ServiceAccount (serviceaccount controller)" kube-controller-manager default_sa

  log "local control plane $KUBE_VERSION ready in $((SECONDS - started))s at https://127.0.0.1:$APISERVER_PORT"
  log "  KUBECONFIG=$KUBECONFIG_FILE"
  log "  ports: $PORTS_FILE   logs: $LOGS/"
}

with_lock up
