#!/usr/bin/env bash
# Idle streams (docs/benchmarks.md#idle-streams): opens N streaming requests through chatrouter-server.jar with a
# 512 MB heap against a loopback upstream that sends one chunk per stream and then idles; prints the heap used
# after a full GC.
# Usage (from the project root, after `mvn -B -ntp -DskipTests package`): router-bench/idle-streams/run.sh [N=9000]
set -u
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-9000}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
node "$here/upstream.mjs" > /tmp/idle-upstream.log 2>&1 & pids+=($!)
java -Xmx512m -jar router-vertx-http/target/chatrouter-server.jar --config "$here/idle.yaml" > /tmp/idle-router.log 2>&1 & pids+=($!)
router=$!
sleep 4
node "$here/client.mjs" "$n" > /tmp/idle-client.log 2>&1 & pids+=($!)
for _ in $(seq 1 120); do grep -q "ALL" /tmp/idle-client.log && break; sleep 1; done
sleep 5
tail -1 /tmp/idle-client.log
jcmd "$router" GC.run > /dev/null; sleep 1
jcmd "$router" GC.heap_info | sed -n 2p
echo "file descriptors: $(ls /proc/$router/fd | wc -l)"
