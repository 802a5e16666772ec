#!/usr/bin/env bash
# Runs the README's test command N times in a row (default 20) on a fresh clone of this repository's HEAD,
# so that a test which fails only now and then shows up before it reaches CI. Stops at the first failure and
# keeps that run's log.
#
# Usage: scripts/verify-repeatedly.sh [N=20]
# Env:   MVN_ARGS   extra Maven arguments (for example -o when every dependency is already downloaded)
set -euo pipefail
runs=${1:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/chatrouter-verify.XXXXXX")
git clone -q "$top" "$work/clone"
cd "$work/clone"
echo "fresh clone of $(git rev-parse --short HEAD) in $work/clone; $runs runs"
for i in $(seq 1 "$runs"); do
  log="$work/run-$i.log"
  start=$(date +%s)
  # shellcheck disable=SC2086
  if mvn -B -ntp ${MVN_ARGS:-} verify >"$log" 2>&1; then
    echo "run $i/$runs: passed in $(( $(date +%s) - start )) s"
    rm -f "$log"
  else
    echo "run $i/$runs: FAILED after $(( $(date +%s) - start )) s; log: $log"
    grep -E 'Tests run:.*(Failures: [1-9]|Errors: [1-9])|FAIL|ERROR\]' "$log" | head -20 || true
    exit 1
  fi
done
echo "$runs passed, 0 failed"
rm -rf "$work"
