#!/usr/bin/env bash
# Side-by-side HTTP load benchmark on loopback: the mock upstream directly, through nginx (one plain proxy hop:
# the floor any gateway pays), through Portkey's Node gateway, and through ChatRouter's HTTP server, with the
# same wrk load, in one run. Prints requests/s and latency percentiles for each, then ChatRouter's ratios.
# Also prints the CPU time each server's processes spent per request while measured (cpu_us, and its user_us and
# sys_us parts): on a shared machine it is steadier than requests/s, which move with whatever else the cores do.
# Stops everything it started. Every address is on loopback.
#
# Usage: router-bench/http/run.sh [DURATION]      DURATION: how long each server is measured (wrk -d, default 10s)
#        Build the server jar first, from the project root: mvn -B -ntp -DskipTests package
#        The script finds its files and the jar from its own folder, so it runs from any directory.
# Env:   CONNS (32) connections; THREADS (2, never more than CONNS) wrk threads
#        STREAM=1 Server-Sent Events instead of JSON answers; MOCK_DELAY_MS (0) the upstream's added latency
#        MOCK_CHUNKS (5) content chunks in each of the mock's streams, besides its role, finish and usage events
#        WARMUP (30s) each server is loaded this long before it is measured: the JVM's JIT needs it
#        ROUNDS (1) after the warm-ups, measure the mock, nginx, the raw and bare hops and ChatRouter this many times in
#               turn (in reverse order every other round) and print each round's ratios, then their medians
#        COLD=1 also measures ChatRouter's first DURATION after its start, before any warm-up, as 'chatrouter-cold'
#        SKIP_PORTKEY=1 leaves Portkey out (else it is installed with npm into BENCH_DIR on the first run)
#        SKIP_NGINX=1 leaves nginx out (it is also left out when it is not installed and cannot be)
#        BARE=1 adds a 'vertx-bare' row: BareProxy.java, a bare Vert.x proxy on ChatRouter's own HTTP stack (the
#               server jar's Vert.x and Netty, no routing): what ChatRouter costs beyond it is its own work
#        RAW=1 adds a 'netty-raw' row: RawNettyProxy.java, the same hop on the server jar's Netty alone (its HTTP/1.1
#               codecs on both sides, no Vert.x): what Vert.x's HTTP layer costs beyond Netty's
#        ALLOC=1 adds alloc_kb to ChatRouter's rows: the bytes its JVM allocated per request while measured, from
#                its GC log and its heap's use before and after (jcmd GC.heap_info); steadier still than CPU time.
#                With CHATROUTER_CMD, add -Xlog:gc:file=$BENCH_DIR/chatrouter-gc.log to its java options yourself
#        TRANSPORT (auto) ChatRouter's server.transport: auto (epoll on Linux x86_64), epoll, io_uring or nio;
#                  anything but auto runs a copy of chatrouter-bench.yaml in BENCH_DIR that names it
#        CHATROUTER_CMD the command that starts ChatRouter on 127.0.0.1:8080 with chatrouter-bench.yaml
#                       (default: java -jar router-vertx-http/target/chatrouter-server.jar --config ...)
#        BENCH_DIR (/tmp/chatrouter-bench) where logs, nginx's files and Portkey's install go
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dur=${1:-10s}; conns=${CONNS:-32}; threads=${THREADS:-2}; warm=${WARMUP:-30s}
[ "$threads" -gt "$conns" ] && threads=$conns    # wrk refuses fewer connections than threads
case ${ROUNDS:-1} in ''|*[!0-9]*|0) echo "ROUNDS must be a whole number of at least 1, not '${ROUNDS}'"; exit 2 ;; esac
work=${BENCH_DIR:-/tmp/chatrouter-bench}; mkdir -p "$work"
jar="$root/router-vertx-http/target/chatrouter-server.jar"
gclog="$work/chatrouter-gc.log"; rm -f "$gclog"
config="$here/chatrouter-bench.yaml"
transport=${TRANSPORT:-auto}
case $transport in
  auto) ;;
  epoll|io_uring|nio) config="$work/chatrouter-bench.yaml"
    # the server section is the file's last: its transport goes at its end
    { cat "$here/chatrouter-bench.yaml"; echo "  transport: $transport"; } >"$config" ;;
  *) echo "TRANSPORT must be auto, epoll, io_uring or nio, not '$transport'"; exit 2 ;;
esac
cmd=${CHATROUTER_CMD:-java ${ALLOC:+-Xlog:gc:file=$gclog} -jar $jar --config $config}
if { [ -z "${CHATROUTER_CMD:-}" ] || [ -n "${BARE:-}" ] || [ -n "${RAW:-}" ]; } && [ ! -f "$jar" ]; then
  # the bare and raw rows run on the server jar's Vert.x and Netty, whatever command starts ChatRouter
  echo "no $jar: build it first (cd $root && mvn -B -ntp -DskipTests package)"; exit 2
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; } || { echo "wrk is needed (apt-get install wrk)"; exit 2; }
if [ -z "${SKIP_NGINX:-}" ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  { apt-get update -qq >/dev/null && apt-get install -y -qq nginx-light >/dev/null 2>&1; } || SKIP_NGINX=1
  [ -n "${SKIP_NGINX:-}" ] && echo "# nginx is not installed and could not be: its row is left out"
fi
if [ -z "${SKIP_PORTKEY:-}" ] && [ ! -d "$work/portkey/node_modules/@portkey-ai/gateway" ]; then
  mkdir -p "$work/portkey" && cp "$here/portkey/package.json" "$here/portkey/bind-loopback.mjs" "$work/portkey/"
  (cd "$work/portkey" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || { echo "npm install of the Portkey gateway failed (SKIP_PORTKEY=1 leaves it out)"; exit 2; }
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port [seconds, default 20]
  local tries=$(( ${2:-20} * 5 ))
  for _ in $(seq 1 "$tries"); do listening "$1" && return 0; sleep 0.2; done; echo "nothing listens on port $1"; return 1
}
ports="9999 8080"
[ -z "${SKIP_NGINX:-}" ] && ports="$ports 9998"
[ -n "${BARE:-}" ] && ports="$ports 9997"
[ -n "${RAW:-}" ] && ports="$ports 9996"
[ -z "${SKIP_PORTKEY:-}" ] && ports="$ports 8787"
for port in $ports; do
  if listening "$port"; then echo "port $port is already in use: stop what listens there first"; exit 2; fi
done

MOCK_PORT=9999 node "$here/mock-openai.mjs" >"$work/mock.log" 2>&1 & pids+=($!); mock_pid=$!
wait_port 9999 || exit 1
if [ -z "${SKIP_NGINX:-}" ]; then
  mkdir -p "$work/nginx"
  sed "s|@WORK@|$work/nginx|g" "$here/nginx.conf" >"$work/nginx/nginx.conf"
  "$(command -v nginx || echo /usr/sbin/nginx)" -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>"$work/nginx/start.log" || { cat "$work/nginx/start.log"; exit 1; }
  wait_port 9998 || exit 1
fi
if [ -n "${BARE:-}" ]; then
  java -cp "$jar" "$here/BareProxy.java" 9997 9999 >"$work/vertx-bare.log" 2>&1 & pids+=($!); bare_pid=$!
  wait_port 9997 60 || { cat "$work/vertx-bare.log"; exit 1; }
fi
if [ -n "${RAW:-}" ]; then
  java -cp "$jar" "$here/RawNettyProxy.java" 9996 9999 >"$work/netty-raw.log" 2>&1 & pids+=($!); raw_pid=$!
  wait_port 9996 60 || { cat "$work/netty-raw.log"; exit 1; }
fi
if [ -z "${SKIP_PORTKEY:-}" ]; then
  (cd "$work/portkey" && PORT=8787 NODE_ENV=production exec node --import ./bind-loopback.mjs \
      node_modules/@portkey-ai/gateway/build/start-server.js --port=8787 --headless) >"$work/portkey.log" 2>&1 & pids+=($!); portkey_pid=$!
  wait_port 8787 || exit 1
fi
$cmd >"$work/chatrouter.log" 2>&1 & pids+=($!); chatrouter_pid=$!
# the server jar warms up before it opens its port: until the JIT is quiet, 20 s at most (server.warmup)
wait_port 8080 90 || { tail -20 "$work/chatrouter.log"; exit 1; }

# chat-post.lua ends with one line: RESULT rps=N p50_us=N p90_us=N p99_us=N errors=N non2xx=N requests=N
val() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
tree() { local p; for p in "$@"; do echo "$p"; tree $(pgrep -P "$p"); done; }
ticks() { # "user system": the CPU ticks of these processes and all their descendants
  local u=0 s=0 p f
  for p in $(tree "$@"); do
    f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) && u=$((u + ${f% *})) && s=$((s + ${f#* }))
  done
  echo "$u $s"
}
server_pids() { # name: the processes that serve that row
  case $1 in
    direct) echo "$mock_pid" ;;
    nginx) cat "$work/nginx/nginx.pid" ;;
    vertx-bare) echo "$bare_pid" ;;
    netty-raw) echo "$raw_pid" ;;
    portkey) echo "$portkey_pid" ;;
    *) echo "$chatrouter_pid" ;;
  esac
}
heap_used_kb() { # pid: the heap's use now, in KiB
  jcmd "$1" GC.heap_info 2>/dev/null | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9
}
freed_kb() { # from-line: what the GCs logged from that line on freed, in KiB ("Pause Young ... 525M->69M(768M)")
  tail -n +"$1" "$gclog" 2>/dev/null | grep -o '[0-9]*M->[0-9]*M' | awk -F'->' '{ s += $1 - $2 } END { print s * 1024 + 0 }'
}
measure() { # name url duration [env...]
  local name=$1 url=$2 d=$3; shift 3
  local sp; sp=$(server_pids "$name")
  local alloc=""; [ -n "${ALLOC:-}" ] && [ "${name#chatrouter}" != "$name" ] && alloc=1
  local h0 g0; [ -n "$alloc" ] && h0=$(heap_used_kb "$sp") && g0=$(( $(wc -l <"$gclog" 2>/dev/null || echo 0) + 1 ))
  local t0; t0=$(ticks $sp)
  env "$@" wrk -t"$threads" -c"$conns" -d"$d" -s "$here/chat-post.lua" "$url" >"$work/wrk-$name.log" 2>&1
  local t1; t1=$(ticks $sp)
  local h1; [ -n "$alloc" ] && h1=$(heap_used_kb "$sp")
  local line; line=$(grep '^RESULT' "$work/wrk-$name.log")
  if [ -n "$line" ] && [ -n "$alloc" ] && [ -n "$h0" ] && [ -n "$h1" ]; then
    # allocated = what the heap grew by + what the GCs in between freed
    line="$line $(awk -v a=$((h1 - h0 + $(freed_kb "$g0"))) -v n="$(val "$line" requests)" \
      'BEGIN { if (n > 0) printf "alloc_kb=%.1f", a / n }')"
  fi
  if [ -n "$line" ]; then
    # cpu_us = user_us + sys_us: the server's own code, and the kernel's work on its system calls
    line="$line $(awk -v u=$(( ${t1% *} - ${t0% *} )) -v s=$(( ${t1#* } - ${t0#* } )) -v hz="$tck" \
      -v n="$(val "$line" requests)" 'BEGIN { if (n > 0) printf "cpu_us=%.1f user_us=%.1f sys_us=%.1f", \
      (u + s) * 1e6 / hz / n, u * 1e6 / hz / n, s * 1e6 / hz / n; else print "cpu_us=n/a" }')"
  fi
  if [ -z "$line" ]; then
    printf '%-15s %s\n' "$name" "no result (see $work/wrk-$name.log)"
  else
    printf '%-15s %s\n' "$name" "${line#RESULT }"
  fi
  eval "r_${name//-/_}='$line'"
}
load() { # name url [env...]: warm up, then measure
  local name=$1 url=$2; shift 2
  env "$@" wrk -t"$threads" -c"$conns" -d"$warm" -s "$here/chat-post.lua" "$url" >/dev/null 2>&1
  measure "$name" "$url" "$dur" "$@"
}
r_chatrouter_cold=''; r_direct=''; r_nginx=''; r_vertx_bare=''; r_netty_raw=''; r_portkey=''; r_chatrouter=''
rounds=${ROUNDS:-1}
ratio() { # label a b: a / b, when both were measured
  [ -n "$2" ] && [ -n "$3" ] && awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { if (b > 0) printf "%s: %.2f\n", l, a / b }'
}
t_ratios=''; c_ratios=''; p_ratios=''; b_ratios=''; n_ratios=''
summary() { # the ratios of the rows measured last (one round)
  for row in "$r_chatrouter_cold" "$r_direct" "$r_nginx" "$r_vertx_bare" "$r_netty_raw" "$r_portkey" "$r_chatrouter"; do
    [ -z "$row" ] && continue
    if [ "$(val "$row" errors)" != 0 ] || [ "$(val "$row" non2xx)" != 0 ]; then
      echo "warning: a row has socket errors or non-2xx answers; its figures are not comparable: $row"
    fi
  done
  local cr; cr=$(val "$r_chatrouter" rps)
  local line
  if [ -z "${SKIP_NGINX:-}" ]; then
    line=$(ratio "chatrouter/nginx throughput" "$cr" "$(val "$r_nginx" rps)") && echo "$line" && t_ratios="$t_ratios ${line##* }"
    line=$(ratio "chatrouter/nginx cpu per request" "$(val "$r_chatrouter" cpu_us)" "$(val "$r_nginx" cpu_us)") \
      && echo "$line" && c_ratios="$c_ratios ${line##* }"
    ratio "chatrouter/nginx user cpu per request" "$(val "$r_chatrouter" user_us)" "$(val "$r_nginx" user_us)"
    ratio "chatrouter/nginx system cpu per request" "$(val "$r_chatrouter" sys_us)" "$(val "$r_nginx" sys_us)"
  fi
  if [ -n "${BARE:-}" ]; then
    line=$(ratio "chatrouter/vertx-bare throughput" "$cr" "$(val "$r_vertx_bare" rps)") && echo "$line" && b_ratios="$b_ratios ${line##* }"
    ratio "chatrouter/vertx-bare user cpu per request" "$(val "$r_chatrouter" user_us)" "$(val "$r_vertx_bare" user_us)"
  fi
  if [ -n "${RAW:-}" ]; then
    line=$(ratio "netty-raw/nginx throughput" "$(val "$r_netty_raw" rps)" "$(val "$r_nginx" rps)") && echo "$line" && n_ratios="$n_ratios ${line##* }"
    ratio "netty-raw/nginx cpu per request" "$(val "$r_netty_raw" cpu_us)" "$(val "$r_nginx" cpu_us)"
    ratio "vertx-bare/netty-raw user cpu per request" "$(val "$r_vertx_bare" user_us)" "$(val "$r_netty_raw" user_us)"
  fi
  [ -n "$r_portkey" ] && ratio "chatrouter/portkey throughput" "$cr" "$(val "$r_portkey" rps)"
  if [ "$conns" = 1 ] && [ -n "$r_direct" ] && [ -n "$r_chatrouter" ]; then
    local direct crp ngp bp
    direct=$(val "$r_direct" p50_us); crp=$(val "$r_chatrouter" p50_us)
    echo "chatrouter added p50 over direct: $((crp - direct)) us ($crp vs $direct us)"
    if [ -n "$r_nginx" ]; then
      ngp=$(val "$r_nginx" p50_us)
      echo "nginx added p50 over direct: $((ngp - direct)) us ($ngp vs $direct us)"
      line=$(awk -v c="$((crp - direct))" -v n="$((ngp - direct))" \
        'BEGIN { if (n > 0) printf "chatrouter/nginx added p50: %.2f\n", c / n; else print "chatrouter/nginx added p50: n/a (nginx added nothing measurable)" }')
      echo "$line"; [ "${line##* }" != "measurable)" ] && p_ratios="$p_ratios ${line##* }"
    fi
    if [ -n "$r_vertx_bare" ]; then
      bp=$(val "$r_vertx_bare" p50_us)
      echo "vertx-bare added p50 over direct: $((bp - direct)) us ($bp vs $direct us)"
    fi
    if [ -n "$r_netty_raw" ]; then
      bp=$(val "$r_netty_raw" p50_us)
      echo "netty-raw added p50 over direct: $((bp - direct)) us ($bp vs $direct us)"
    fi
  fi
  if [ -n "$r_chatrouter_cold" ] && [ -n "$r_chatrouter" ]; then
    ratio "chatrouter-cold/chatrouter throughput" "$(val "$r_chatrouter_cold" rps)" "$cr"
    echo "chatrouter-cold p99: $(val "$r_chatrouter_cold" p99_us) us (warm: $(val "$r_chatrouter" p99_us) us)"
  fi
}
median() { # label values...: the median, and the values in the order measured
  local label=$1; shift
  [ $# -eq 0 ] && return
  printf '%s: %s (rounds: %s)\n' "$label" "$(printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')" "$*"
}

echo "# $(nproc) cores, wrk -t$threads -c$conns -d$dur after a $warm warm-up, stream=${STREAM:-0} (chunks ${MOCK_CHUNKS:-5}), upstream delay ${MOCK_DELAY_MS:-0} ms, transport $transport$([ "$rounds" -gt 1 ] && echo ", $rounds rounds")"
[ -n "${COLD:-}" ] && measure chatrouter-cold http://127.0.0.1:8080/v1/chat/completions "$dur"
load direct http://127.0.0.1:9999/v1/chat/completions
[ -z "${SKIP_NGINX:-}" ] && load nginx http://127.0.0.1:9998/v1/chat/completions
[ -n "${BARE:-}" ] && load vertx-bare http://127.0.0.1:9997/v1/chat/completions
[ -n "${RAW:-}" ] && load netty-raw http://127.0.0.1:9996/v1/chat/completions
[ -z "${SKIP_PORTKEY:-}" ] && load portkey http://127.0.0.1:8787/v1/chat/completions PORTKEY=1
load chatrouter http://127.0.0.1:8080/v1/chat/completions
echo "# summary$([ "$rounds" -gt 1 ] && echo " of round 1")"
summary
# later rounds: every server is warm; the rows alternate in order (ABBA) so that a drift of the machine's speed
# during the run weighs on both sides of each ratio alike. Portkey and the cold row are measured in round 1 only.
r_portkey=''; r_chatrouter_cold=''
for r in $(seq 2 "$rounds"); do
  echo "# round $r"
  rows="direct nginx netty-raw vertx-bare chatrouter"
  [ $((r % 2)) = 0 ] && rows="chatrouter vertx-bare netty-raw nginx direct"
  for row in $rows; do
    case $row in
      direct) measure direct http://127.0.0.1:9999/v1/chat/completions "$dur" ;;
      nginx) [ -z "${SKIP_NGINX:-}" ] && measure nginx http://127.0.0.1:9998/v1/chat/completions "$dur" ;;
      vertx-bare) [ -n "${BARE:-}" ] && measure vertx-bare http://127.0.0.1:9997/v1/chat/completions "$dur" ;;
      netty-raw) [ -n "${RAW:-}" ] && measure netty-raw http://127.0.0.1:9996/v1/chat/completions "$dur" ;;
      chatrouter) measure chatrouter http://127.0.0.1:8080/v1/chat/completions "$dur" ;;
    esac
  done
  echo "# summary of round $r"
  summary
done
if [ "$rounds" -gt 1 ]; then
  echo "# median of $rounds rounds"
  # shellcheck disable=SC2086 # the lists are words
  median "chatrouter/nginx throughput" $t_ratios
  median "chatrouter/nginx cpu per request" $c_ratios
  median "chatrouter/vertx-bare throughput" $b_ratios
  median "netty-raw/nginx throughput" $n_ratios
  median "chatrouter/nginx added p50" $p_ratios
fi
