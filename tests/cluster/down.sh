#!/usr/bin/env bash
# Stop the local control plane started by up.sh and remove its data.
#
# Only processes recorded in build/cluster/pids/ are stopped (TERM, then KILL
# after 10 s), and only while they still run this checkout's binaries.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

down() {
  if [ ! -d "$CLUSTER_DIR" ]; then
    log "no local cluster in $CLUSTER_DIR"
    return 0
  fi
  stop_all
  rm -rf "$CLUSTER_DIR"
  log "removed $CLUSTER_DIR"
}

with_lock down
