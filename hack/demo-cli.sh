#!/usr/bin/env bash
# `make demo-cli`: the claude-env CLI on config-repo-example, no cluster needed: validate,
# explain, sync a workstation target (its security changes shown, then confirmed with --yes),
# drift, --force, history, rollback. `make demo` is the same repository in a cluster.
#
# Writes only to a temporary directory (never to ~/.claude). PROFILE=release builds with
# optimisations; the default debug build is quicker to compile.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="${PROFILE:-debug}"
REPO="$ROOT/config-repo-example"
CARGO="${CARGO:-cargo}"

cd "$ROOT"
if [[ "$PROFILE" == release ]]; then
  "$CARGO" build --locked --release -p claude-env-cli
else
  "$CARGO" build --locked -p claude-env-cli
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/claude-env"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TARGET="$WORK/dot-claude"
# The backend team's Postgres MCP server takes its URL from the developer's shell.
export DATABASE_URL="${DATABASE_URL:-postgres://dev@localhost:5432/app}"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
else
  bold() { printf '\n%s\n' "$*"; }
fi
# Runs claude-env, shows the command and its exit code (1 = findings is expected below).
ce() {
  bold "\$ claude-env $*"
  local rc=0
  "$BIN" "$@" || rc=$?
  echo "[exit $rc]"
  return 0
}
SEL=(--env production --team backend)

ce validate --repo "$REPO"

bold "\$ claude-env render --repo config-repo-example ${SEL[*]} --explain   (permissions and model only)"
"$BIN" render --repo "$REPO" "${SEL[@]}" --explain \
  | grep -E '^settings\.(model|permissions\.(deny|ask))' | head -n 20 || true

# A target that already holds things claude-env must never touch.
mkdir -p "$TARGET/projects/my-app"
echo '{"session": 1}' > "$TARGET/projects/my-app/session.jsonl"
echo 'secret' > "$TARGET/.credentials.json"

# The first sync widens permissions and adds MCP servers: sync lists every change with its
# risk and asks on a terminal. Here: look first, then say yes.
ce sync --repo "$REPO" "${SEL[@]}" --target "$TARGET" --dry-run
ce sync --repo "$REPO" "${SEL[@]}" --target "$TARGET" --yes
bold "\$ ls -A $TARGET"
ls -A "$TARGET"

bold "# a local edit to a managed file"
echo "- My own reminder." | tee -a "$TARGET/CLAUDE.md"
ce status --target "$TARGET"
ce diff --repo "$REPO" "${SEL[@]}" --target "$TARGET"
ce sync --repo "$REPO" "${SEL[@]}" --target "$TARGET"
ce sync --repo "$REPO" "${SEL[@]}" --target "$TARGET" --force --yes
ce status --target "$TARGET" -o json
ce history --target "$TARGET"
ce rollback --target "$TARGET"
bold "\$ tail -n 2 $TARGET/CLAUDE.md   (the local edit is back)"
tail -n 2 "$TARGET/CLAUDE.md"
bold "\$ cat $TARGET/.credentials.json   (untouched throughout)"
cat "$TARGET/.credentials.json"
ce history --target "$TARGET"

cat <<NEXT

Try next (this repository, your own target directory):
  $BIN render --repo config-repo-example --env staging --team backend --objects   # what a cluster gets
  $BIN diff --repo config-repo-example --base HEAD~1                            # a change's impact
  $BIN init repo /tmp/my-claude-config                                          # your own repository
  make demo                                  # the controller on a local Kubernetes control plane
NEXT
