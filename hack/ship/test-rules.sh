#!/usr/bin/env bash
# Prometheus alert rules: syntax (promtool check rules) and unit tests (promtool test rules).
# promtool: Debian's `prometheus` package (apt-get install -y --no-install-recommends prometheus),
# or $PROMTOOL.
set -euo pipefail
cd "$(dirname "$0")/../.."
promtool=${PROMTOOL:-promtool}
if ! command -v "$promtool" >/dev/null; then
  echo "test-rules.sh: promtool not found: apt-get install -y --no-install-recommends prometheus" >&2
  exit 2
fi
"$promtool" check rules deploy/prometheus/rules.yaml
"$promtool" test rules deploy/prometheus/tests/*.yaml
