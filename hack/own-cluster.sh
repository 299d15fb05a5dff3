#!/usr/bin/env bash
# claude-env on your own cluster, from this checkout: build the controller image and push it,
# install the Helm chart into claude-env-system, and apply the example ClaudeEnvironments
# (examples/claude-environments.yaml) into team-a, pointed at the Git repository you pushed
# config-repo-example to. Then it shows what runs: `claude-env version` and `status`.
#
#   hack/own-cluster.sh --image REGISTRY/claude-env-controller:TAG --repo-url URL [options]
#
#   --image IMAGE                 where to push the controller image (a tag is required)
#   --repo-url URL                the Git repository holding config-repo-example (its
#                                 `main` and `develop` branches)
#   --git-username USER           for a private repository: the Secret claude-config-git
#   --git-password-env VAR        (username, password = $VAR) that the environments use
#   --controller-namespace NS     where the controller runs [claude-env-system]
#   --namespace NS                where the ClaudeEnvironments live [team-a]
#   --release NAME                the Helm release [claude-env]
#   --values FILE                 more Helm values (repeatable)
#   --skip-build                  the image is already pushed: no docker/podman needed
#   --dry-run                     print every command; run none
#
# Tools: docker or podman ($CONTAINER_TOOL), helm, kubectl, and claude-env (built here when
# not on PATH); $HELM, $KUBECTL and $CLAUDE_ENV name other binaries. The current kubeconfig
# context is the cluster. Re-running upgrades the release and re-applies the environments.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

IMAGE="" REPO_URL="" GIT_USER="" GIT_PASSWORD_ENV=""
CTL_NS=claude-env-system ENV_NS=team-a RELEASE=claude-env
VALUES=() BUILD=1 DRY_RUN=0

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --image) IMAGE=$2; shift 2 ;;
    --repo-url) REPO_URL=$2; shift 2 ;;
    --git-username) GIT_USER=$2; shift 2 ;;
    --git-password-env) GIT_PASSWORD_ENV=$2; shift 2 ;;
    --controller-namespace) CTL_NS=$2; shift 2 ;;
    --namespace) ENV_NS=$2; shift 2 ;;
    --release) RELEASE=$2; shift 2 ;;
    --values) VALUES+=(--values "$2"); shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[ -n "$IMAGE" ] && [ -n "$REPO_URL" ] || { echo "--image and --repo-url are required" >&2; usage; }
case "${IMAGE##*/}" in
  *:*) ;;
  *) echo "--image needs a tag (REGISTRY/claude-env-controller:TAG)" >&2; exit 2 ;;
esac
IMAGE_REPO=${IMAGE%:*}
IMAGE_TAG=${IMAGE##*:}
if [ -n "$GIT_USER" ] && [ -z "${!GIT_PASSWORD_ENV:-}" ]; then
  echo "--git-username needs --git-password-env naming a set variable" >&2; exit 2
fi

HELM=${HELM:-helm}
KUBECTL=${KUBECTL:-kubectl}
CONTAINER_TOOL=${CONTAINER_TOOL:-$(command -v docker || command -v podman || echo docker)}
CLAUDE_ENV=${CLAUDE_ENV:-$(command -v claude-env || echo "$ROOT/target/debug/claude-env")}

# Bold headings on a terminal (and not with NO_COLOR).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  step() { printf '\n==> %s\n' "$*"; }
fi
# Runs a command, or with --dry-run prints it (`+ cmd args`, quoted so it can be pasted).
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}
# The same for a pipeline given as one string.
run_sh() {
  if [ "$DRY_RUN" = 1 ]; then printf '+ %s\n' "$1"; else bash -o pipefail -c "$1"; fi
}

if [ "$BUILD" = 1 ]; then
  step "Building and pushing the controller image $IMAGE"
  run "$CONTAINER_TOOL" build -t "$IMAGE" .
  run "$CONTAINER_TOOL" push "$IMAGE"
fi

if [ "$DRY_RUN" = 0 ] && [ ! -x "$CLAUDE_ENV" ]; then
  step "Building the claude-env CLI"
  cargo build --locked -p claude-env-cli
fi

step "Installing the chart into $CTL_NS (release $RELEASE)"
run "$HELM" upgrade --install "$RELEASE" charts/claude-env-controller \
  --namespace "$CTL_NS" --create-namespace \
  --set "image.repository=$IMAGE_REPO" --set "image.tag=$IMAGE_TAG" \
  ${VALUES[@]+"${VALUES[@]}"} --wait --timeout 5m

step "The ClaudeEnvironments' namespace $ENV_NS"
run_sh "$(printf '%q create namespace %q --dry-run=client -o yaml | %q apply -f -' "$KUBECTL" "$ENV_NS" "$KUBECTL")"
# config-repo-example's context7 server reads ${secret:context7/api-key}: a placeholder until
# you store a real key there.
if [ "$DRY_RUN" = 1 ] || ! "$KUBECTL" -n "$ENV_NS" get secret context7 >/dev/null 2>&1; then
  run "$KUBECTL" -n "$ENV_NS" create secret generic context7 --from-literal=api-key=replace-me
fi
SECRET_REF=""
if [ -n "$GIT_USER" ]; then
  run_sh "$(printf '%q -n %q create secret generic claude-config-git --from-literal=username=%q --from-literal=password="$%s" --dry-run=client -o yaml | %q apply -f -' \
    "$KUBECTL" "$ENV_NS" "$GIT_USER" "$GIT_PASSWORD_ENV" "$KUBECTL")"
  SECRET_REF="    secretRef: {name: claude-config-git}"
fi

step "Applying examples/claude-environments.yaml, pointed at $REPO_URL"
# SOURCE_URL is the repository; the namespace and the credentials follow the options (the
# file's comments are left out).
manifests=$(sed -e '/^#/d' -e "s|url: SOURCE_URL|url: $REPO_URL|" -e "s|namespace: team-a|namespace: $ENV_NS|" \
  examples/claude-environments.yaml)
if [ -n "$SECRET_REF" ]; then
  manifests=$(printf '%s\n' "$manifests" | awk -v ref="$SECRET_REF" '{ print } /^    url: / { print ref }')
fi
if [ "$DRY_RUN" = 1 ]; then
  printf '+ %q apply -f - <<EOF\n%s\nEOF\n' "$KUBECTL" "$manifests"
else
  printf '%s\n' "$manifests" | "$KUBECTL" apply -f -
fi

step "What runs"
run "$CLAUDE_ENV" version --controller-namespace "$CTL_NS"
run "$CLAUDE_ENV" status -n "$ENV_NS" || true

cat <<NEXT

Next:
  claude-env status -n $ENV_NS --watch              # each environment as it changes
  claude-env status production -n $ENV_NS           # one in detail: conditions, rollout, drift
  claude-env approve production -n $ENV_NS --wait  # production waits for a human (and staging)
  push to $REPO_URL and: claude-env reconcile staging -n $ENV_NS --wait
  webhooks, sharding, upgrades: docs/operations.md; uninstall: helm uninstall $RELEASE -n $CTL_NS
NEXT
