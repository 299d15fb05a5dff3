#!/usr/bin/env bash
# `make demo`: the controller on the local control plane, reconciling config-repo-example's
# development, staging and production environments from a local Git server.
#
#   hack/demo.sh        bring everything up (idempotent; keeps commits you pushed)
#   hack/demo.sh down   stop the controller and the Git server (the cluster stays up;
#                       `make cluster-down` stops it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DEMO="$ROOT/build/demo"
NS=team-a   # the examples' namespace
KUBECTL="$ROOT/build/bin/kubectl"
export KUBECONFIG="$ROOT/build/cluster/kubeconfig"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"

bold() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop() {
  if alive "$1"; then kill "$(cat "$1")" 2>/dev/null || true; sleep 1; fi
  rm -f "$1"
}

if [ "${1:-}" = down ]; then
  stop "$DEMO/controller.pid"
  stop "$DEMO/git-daemon.pid"
  echo "demo controller and Git server stopped (the cluster is still up: make cluster-down)"
  exit 0
fi

bold "Local Kubernetes control plane (first run builds it from Go modules)"
make --no-print-directory cluster-up

bold "Building claude-env-controller and claude-env"
cargo build --locked -p claude-env-controller -p claude-env-cli

bold "Installing the ClaudeEnvironment CRD"
"$KUBECTL" apply --server-side --force-conflicts -f crds/ >/dev/null
"$KUBECTL" wait --for=condition=Established crd/claudeenvironments.claude-env.io --timeout=60s >/dev/null

mkdir -p "$DEMO"
bold "Serving config-repo-example from a local Git server"
if [ ! -d "$DEMO/srv/claude-config.git" ]; then
  rm -rf "$DEMO/work" "$DEMO/srv"
  git init -q --bare "$DEMO/srv/claude-config.git"
  git init -q -b main "$DEMO/work"
  cp -r config-repo-example/. "$DEMO/work/"
  git -C "$DEMO/work" add -A
  git -C "$DEMO/work" -c user.name=demo -c user.email=demo@example.com commit -qm "config-repo-example"
  git -C "$DEMO/work" remote add origin "$DEMO/srv/claude-config.git"
  git -C "$DEMO/work" push -q origin main main:develop
fi
stop "$DEMO/git-daemon.pid"
GIT_PORT=$(free_port)
setsid git daemon --export-all --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" \
  --base-path="$DEMO/srv" --pid-file="$DEMO/git-daemon.pid" "$DEMO/srv" \
  </dev/null >"$DEMO/git-daemon.log" 2>&1 &
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$GIT_PORT") 2>/dev/null && break; sleep 0.1; done
URL="git://127.0.0.1:$GIT_PORT/claude-config.git"
echo "$URL  (working copy: build/demo/work)"

bold "Starting claude-env-controller"
"$KUBECTL" create namespace "$NS" --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
"$KUBECTL" -n "$NS" create secret generic context7 --from-literal=api-key=demo-not-a-real-key \
  --dry-run=client -o yaml | "$KUBECTL" apply -f - >/dev/null
[ -f "$DEMO/webhook-secret" ] || head -c 24 /dev/urandom | base64 >"$DEMO/webhook-secret"
stop "$DEMO/controller.pid"
METRICS_PORT=$(free_port)
WEBHOOK_PORT=$(free_port)
setsid "$BIN/claude-env-controller" \
  --watch-namespace "$NS" \
  --metrics-addr "127.0.0.1:$METRICS_PORT" \
  --webhook-addr "127.0.0.1:$WEBHOOK_PORT" \
  --webhook-secret-file "$DEMO/webhook-secret" \
  --cache-dir "$DEMO/cache" \
  </dev/null >"$DEMO/controller.log" 2>&1 &
echo $! >"$DEMO/controller.pid"
cat >"$DEMO/env" <<ENV
METRICS_URL=http://127.0.0.1:$METRICS_PORT/metrics
WEBHOOK_URL=http://127.0.0.1:$WEBHOOK_PORT/hooks/generic
SOURCE_URL=$URL
ENV
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$METRICS_PORT/readyz" >/dev/null 2>&1 && break
  alive "$DEMO/controller.pid" || { tail -20 "$DEMO/controller.log"; exit 1; }
  sleep 0.2
done

bold "Applying the development, staging and production ClaudeEnvironments"
sed "s|url: SOURCE_URL|url: $URL|" examples/claude-environments.yaml | "$KUBECTL" apply -f -

bold "Production waits for staging, then for a human"
# A fresh demo pauses production's first rollout for approval; a re-run may find it Ready.
for _ in $(seq 150); do
  phase=$("$KUBECTL" -n "$NS" get cenv production -o jsonpath='{.status.rollout.phase}' 2>/dev/null || true)
  ready=$("$KUBECTL" -n "$NS" get cenv production -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  [ "$phase" = Paused ] || [ "$ready" = True ] && break
  sleep 2
done
if [ "$phase" = Paused ]; then
  "$KUBECTL" -n "$NS" get cenv production -o jsonpath='  {.status.rollout.message}{"\n"}'
  echo "\$ claude-env approve production -n $NS"
  "$BIN/claude-env" approve production -n "$NS"
fi

bold "Waiting until all three are Ready"
deadline=$((SECONDS + 300))
while :; do
  ready=$("$KUBECTL" -n "$NS" get cenv -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
  [ "$ready" -eq 3 ] && break
  if [ $SECONDS -ge $deadline ]; then
    "$KUBECTL" -n "$NS" get cenv
    echo "not Ready after 5 minutes; controller log: build/demo/controller.log" >&2
    exit 1
  fi
  printf '  %s/3 Ready\r' "$ready"
  sleep 2
done

bold "Environments"
"$BIN/claude-env" status -n "$NS" 2>/dev/null || "$KUBECTL" -n "$NS" get cenv
"$KUBECTL" -n "$NS" get deployments,services,configmaps -l app.kubernetes.io/managed-by=claude-env-controller

cat <<NEXT

Metrics:   http://127.0.0.1:$METRICS_PORT/metrics   (controller log: build/demo/controller.log)
Git repo:  $URL   working copy: build/demo/work
Shell:     export KUBECONFIG=$KUBECONFIG PATH=$ROOT/build/bin:$BIN:\$PATH
           (then kubectl and claude-env below are these)

Try next:
  1. Watch the environments in one terminal:
       claude-env status -n $NS --watch
  2. Push a change and follow its rollout (staging: a canary at 50%, then production waits for you):
       sed -i 's/context7-mcp:1.4.2/context7-mcp:1.4.3/' build/demo/work/environments/staging/mcp-deploy.yaml
       git -C build/demo/work commit -qam "context7 1.4.3" && git -C build/demo/work push -q origin main
       claude-env reconcile staging -n $NS --wait       # each phase of the canary, as it happens
       claude-env approve production -n $NS --wait      # once staging is Ready on it
  3. Change your mind mid-rollout, then try again:
       claude-env abort production -n $NS               # back to the stable revision, marked failed
       claude-env retry production -n $NS --wait
  4. Make drift: development remediates, production reports (security drift aside):
       kubectl -n $NS delete configmap -l claude-env.io/owner-name=development   # recreated at once
       kubectl -n $NS scale deployment production-context7 --replicas=1         # only reported:
       claude-env status production -n $NS
  5. Look around: claude-env history production -n $NS;  kubectl get cenv -n $NS -o wide;
       kubectl explain cenv.spec.strategy;  claude-env suspend development -n $NS
  Stop: make demo-down (controller, Git server), make cluster-down (the cluster).
  Your own cluster: hack/own-cluster.sh --help.  The CLI without a cluster: make demo-cli.
NEXT
