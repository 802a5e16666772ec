#!/usr/bin/env bash
# Where ChatRouter's server spends its CPU under load, thread by thread: starts the loopback mock and the server,
# loads the server with wrk for WARMUP, then counts each of its threads' user and system CPU ticks over DURATION
# of the same load and prints them per request, busiest thread first, with wrk's RESULT line. Run-to-run spread on a
# shared 2-core machine is about +-10 us per request: compare builds in alternating runs.
#
# Usage: router-bench/http/threads.sh [DURATION]    DURATION: how long the count runs (wrk -d, default 10s)
#        Build the server jar first, from the project root: mvn -B -ntp -DskipTests package
# Env:   CONNS (1) connections; THREADS (1, never more than CONNS) wrk threads; WARMUP (20s)
#        JAVA_OPTS flags for the server's JVM, such as -XX:+UseSerialGC
#        CHATROUTER_JAR the server jar (default: router-vertx-http/target/chatrouter-server.jar)
#        BENCH_DIR (/tmp/chatrouter-bench) where the logs go
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dur=${1:-10s}; conns=${CONNS:-1}; threads=${THREADS:-1}; warm=${WARMUP:-20s}
[ "$threads" -gt "$conns" ] && threads=$conns
work=${BENCH_DIR:-/tmp/chatrouter-bench}; mkdir -p "$work"
jar=${CHATROUTER_JAR:-$root/router-vertx-http/target/chatrouter-server.jar}
[ -f "$jar" ] || { echo "no $jar: build it first (cd $root && mvn -B -ntp -DskipTests package)"; exit 2; }
command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is needed (apt-get install wrk)"; exit 2; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in 9999 8080; do
  if listening "$port"; then echo "port $port is already in use: stop what listens there first"; exit 2; fi
done
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

MOCK_PORT=9999 node "$here/mock-openai.mjs" >"$work/mock.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do listening 9999 && break; sleep 0.2; done
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
java ${JAVA_OPTS:-} -jar "$jar" --config "$here/chatrouter-bench.yaml" >"$work/chatrouter.log" 2>&1 & pids+=($!); server=$!
for _ in $(seq 1 450); do listening 8080 && break; sleep 0.2; done
listening 8080 || { tail -20 "$work/chatrouter.log"; exit 1; }

url=http://127.0.0.1:8080/v1/chat/completions
wrk -t"$threads" -c"$conns" -d"$warm" -s "$here/chat-post.lua" "$url" >/dev/null 2>&1
snapshot() { # one line per thread: name user_ticks system_ticks
  local t
  for t in /proc/"$server"/task/*; do
    echo "$(tr ' ' _ <"$t/comm") $(cut -d' ' -f14,15 "$t/stat" 2>/dev/null)"
  done
}
snapshot >"$work/threads-before"
wrk -t"$threads" -c"$conns" -d"$dur" -s "$here/chat-post.lua" "$url" >"$work/wrk-threads.log" 2>&1
snapshot >"$work/threads-after"
line=$(grep '^RESULT' "$work/wrk-threads.log") || { echo "no result (see $work/wrk-threads.log)"; exit 1; }
echo "# wrk -t$threads -c$conns -d$dur after a $warm warm-up; ${JAVA_OPTS:-default JVM flags}"
echo "${line#RESULT }"
requests=$(echo "$line" | tr ' ' '\n' | grep '^requests=' | cut -d= -f2)
# threads of one name (the event loops) are summed; a thread that started in between counts from zero, one that
# ended in between is left out
awk -v n="$requests" -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" '
  NR == FNR { u0[$1] += $2; s0[$1] += $3; next }
  { u1[$1] += $2; s1[$1] += $3 }
  END {
    for (k in u1) {
      u = u1[k] - u0[k]; s = s1[k] - s0[k]
      if (u + s > 0) printf "%8.1f us/request  user %6.1f  sys %6.1f  %s\n", (u + s) * 1e6 / hz / n, u * 1e6 / hz / n, s * 1e6 / hz / n, k
    }
  }' "$work/threads-before" "$work/threads-after" | sort -rn
