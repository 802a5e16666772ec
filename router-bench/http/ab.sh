#!/usr/bin/env bash
# Two ChatRouter servers side by side, to tell a small difference between two builds or two sets of JVM options
# from the drift of a shared machine's speed. Both servers run at once against one mock upstream (A on 8080, B on
# 8081), each is warmed, and then they take turns: PAIRS pairs of short wrk runs (A first in odd pairs, B first in
# even ones), so that both sides of every pair meet the machine at about the same speed. Prints each run, then each
# side's medians and the ratio B / A of every pair.
#
# Usage: router-bench/http/ab.sh
#        Build the server jar first, from the project root: mvn -B -ntp -DskipTests package
# Env:   A, B the java arguments of each server before its --config, --port (default for both:
#             -jar router-vertx-http/target/chatrouter-server.jar: an A/A run, which shows the noise itself)
#             A="-jar /tmp/old.jar" B="-jar router-vertx-http/target/chatrouter-server.jar": two builds
#             B="-XX:+UseSerialGC -jar router-vertx-http/target/chatrouter-server.jar": two sets of options
#        PAIRS (10) pairs of runs; MEAS (3s) each run; WARMUP (20s) the load on each server before the pairs
#        CONNS (32) connections; THREADS (2, never more than CONNS) wrk threads; STREAM=1 Server-Sent Events
#        BENCH_DIR (/tmp/chatrouter-bench) where the logs go (chatrouter-a.log, chatrouter-b.log, mock-ab.log)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
jar="$root/router-vertx-http/target/chatrouter-server.jar"
a_args=${A:--jar $jar}; b_args=${B:--jar $jar}
pairs=${PAIRS:-10}; meas=${MEAS:-3s}; warm=${WARMUP:-20s}; conns=${CONNS:-32}; threads=${THREADS:-2}
[ "$threads" -gt "$conns" ] && threads=$conns    # wrk refuses fewer connections than threads
case $pairs in ''|*[!0-9]*|0) echo "PAIRS must be a whole number of at least 1, not '$pairs'"; exit 2 ;; esac
work=${BENCH_DIR:-/tmp/chatrouter-bench}; mkdir -p "$work"
if [ -z "${A:-}" ] || [ -z "${B:-}" ]; then
  [ -f "$jar" ] || { echo "no $jar: build it first (cd $root && mvn -B -ntp -DskipTests package)"; exit 2; }
fi
command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is needed (apt-get install wrk)"; exit 2; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port seconds
  for _ in $(seq 1 $(( $2 * 5 ))); do listening "$1" && return 0; sleep 0.2; done; echo "nothing listens on port $1"; return 1
}
for port in 9999 8080 8081; do
  if listening "$port"; then echo "port $port is already in use: stop what listens there first"; exit 2; fi
done

MOCK_PORT=9999 node "$here/mock-openai.mjs" >"$work/mock-ab.log" 2>&1 & pids+=($!)
wait_port 9999 20 || exit 1
# shellcheck disable=SC2086 # the arguments are meant to split
java $a_args --config "$here/chatrouter-bench.yaml" --port 8080 >"$work/chatrouter-a.log" 2>&1 & pids+=($!); a_pid=$!
# shellcheck disable=SC2086
java $b_args --config "$here/chatrouter-bench.yaml" --port 8081 >"$work/chatrouter-b.log" 2>&1 & pids+=($!); b_pid=$!
# each server warms itself up before it opens its port (server.warmup, 20 s at most), both at once here
wait_port 8080 120 || { tail -20 "$work/chatrouter-a.log"; exit 1; }
wait_port 8081 120 || { tail -20 "$work/chatrouter-b.log"; exit 1; }

load() { # port duration: one wrk run; prints chat-post.lua's RESULT line
  wrk -t"$threads" -c"$conns" -d"$2" -s "$here/chat-post.lua" "http://127.0.0.1:$1/v1/chat/completions" | grep '^RESULT'
}
val() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
ticks() { cut -d' ' -f14,15 "/proc/$1/stat" | awk '{print $1 + $2}'; }
echo "# warming A and B for $warm each"
load 8080 "$warm" >/dev/null; load 8081 "$warm" >/dev/null
one() { # side pid port: one measured run, as "side rps cpu_us p50_us p99_us errors"
  local t0 t1 r n
  t0=$(ticks "$2"); r=$(load "$3" "$meas"); t1=$(ticks "$2")
  n=$(val "$r" requests)
  [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "$1: wrk counted no requests: $r"; return 1; }
  echo "$1 $(val "$r" rps) $(( (t1 - t0) * 1000000 / tck / n )) $(val "$r" p50_us) $(val "$r" p99_us) $(( $(val "$r" errors) + $(val "$r" non2xx) ))"
}
echo "# side rps cpu_us p50_us p99_us errors  (A: $a_args | B: $b_args; $pairs pairs of $meas, c$conns)"
runs="$work/ab-runs.txt"; : >"$runs"
for p in $(seq 1 "$pairs"); do
  if [ $((p % 2)) = 1 ]; then one A $a_pid 8080; one B $b_pid 8081; else one B $b_pid 8081; one A $a_pid 8080; fi
done | tee "$runs"
awk '
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  $1 == "A" || $1 == "B" {
    s = $1; k[s]++; rps[s, k[s]] = $2; cpu[s, k[s]] = $3; p50[s, k[s]] = $4
  }
  END {
    for (si = 1; si <= 2; si++) {
      s = si == 1 ? "A" : "B"; n = k[s]
      for (i = 1; i <= n; i++) { r[i] = rps[s, i]; c[i] = cpu[s, i]; l[i] = p50[s, i] }
      printf "%s median: rps %d, cpu_us %.1f, p50_us %.1f\n", s, median(r, n), median(c, n), median(l, n)
    }
    n = k["A"] < k["B"] ? k["A"] : k["B"]
    for (i = 1; i <= n; i++) {
      rr[i] = rps["B", i] / rps["A", i]; cr[i] = cpu["B", i] / cpu["A", i]
      line1 = line1 sprintf(" %.2f", rr[i]); line2 = line2 sprintf(" %.2f", cr[i])
    }
    printf "B / A per pair, rps:%s (median %.2f)\n", line1, median(rr, n)
    printf "B / A per pair, cpu_us:%s (median %.2f)\n", line2, median(cr, n)
  }' "$runs"
