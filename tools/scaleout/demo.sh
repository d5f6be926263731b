#!/usr/bin/env bash
# Multi-replica msg-gen on one machine with real parts: three `msg-gen serve`
# replicas on loopback, nginx (Debian's package) in front as load balancer and
# shared cache (tools/scaleout/nginx.conf.in), wrk for load. Measures
#   1. throughput through nginx with 1 replica, then with 3 (unique seeds: every request renders);
#   2. failover: `kill -9` of one replica mid-load, restarted a few seconds later:
#      client-visible errors (must be 0), retried requests, requests the restarted replica served;
#   3. the cache: a repeated request is a HIT, If-None-Match gives 304 from nginx,
#      and the hit rate of a load that repeats 50 URLs;
# plus each replica's peak RSS and CPU time per rendered image (for sizing).
#
#   tools/scaleout/demo.sh [--duration SECONDS] [--conns N] [--threads T] [--weights FILE] [--bin PATH]
#
# --threads: engine threads per replica (default 1: a replica is sized as a
# 1-CPU pod). Everything listens on 127.0.0.1; bounded in time (about
# 5 x duration + 20 s). Needs nginx and wrk (apt-get install -y nginx wrk).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration=10
conns=8
threads=1
weights=""
bin=.build-release/release/msg-gen
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --weights) weights=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in nginx wrk curl; do
  command -v $tool >/dev/null || { echo "$tool is missing: apt-get install -y nginx wrk curl" >&2; exit 1; }
done
[[ -x $bin ]] || { echo "build first: swift build -c release --product msg-gen" >&2; exit 1; }

tmp=$(mktemp -d /tmp/msg-gen-scaleout.XXXXXX)
chmod 755 "$tmp"
pids=("" "" "" "")
nginx_started=0
cleanup() {
  [[ $nginx_started == 1 ]] && nginx -p "$tmp" -c "$tmp/nginx.conf" -s stop 2>/dev/null
  for i in 1 2 3; do [[ -n ${pids[$i]} ]] && kill "${pids[$i]}" 2>/dev/null; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ports=("" "$(free_port)" "$(free_port)" "$(free_port)")
lb1=$(free_port)
lb3=$(free_port)

wait_http() {   # $1: URL; up to 30 s
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2; return 1
}
start_replica() {   # $1: 1 ... 3
  "$bin" serve --host 127.0.0.1 --port "${ports[$1]}" --threads "$threads" --log-level warning \
    ${weights:+--weights "$weights"} 2>>"$tmp/replica$1.log" &
  pids[$1]=$!
}
# CPU seconds (user + system) a process has used.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# wrk through nginx; prints "requests rps non2xx socket_errors p50 p99".
load() {   # $1: port, $2: seconds, $3: base seed, $4: lua script
  LOADTEST_BASE_SEED=$3 timeout $(( $2 + 30 )) wrk -t1 -c"$conns" -d"$2"s --timeout 30s -s "$4" "http://127.0.0.1:$1/" \
    | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                       print r["requests"], r["rps"], r["non2xx"], r["socket_errors"], r["p50_ms"], r["p99_ms"] }'
}

for i in 1 2 3; do start_replica $i; done
for i in 1 2 3; do wait_http "http://127.0.0.1:${ports[$i]}/readyz"; done
mkdir -p "$tmp/cache"
sed -e "s|@TMP@|$tmp|g" -e "s|@LB1@|$lb1|g" -e "s|@LB3@|$lb3|g" \
    -e "s|@R1@|${ports[1]}|g" -e "s|@R2@|${ports[2]}|g" -e "s|@R3@|${ports[3]}|g" \
    tools/scaleout/nginx.conf.in > "$tmp/nginx.conf"
# nginx's workers run as nobody when started as root: they need the cache and temp dirs.
[[ $(id -u) == 0 ]] && chown nobody "$tmp/cache"
nginx -p "$tmp" -c "$tmp/nginx.conf"
nginx_started=1
wait_http "http://127.0.0.1:$lb3/healthz"
# Warm-up: each replica plans its buffers on its first pass.
for i in 1 2 3; do curl -sf -o /dev/null "http://127.0.0.1:${ports[$i]}/v1/image?seed=999999999"; done

echo "# msg-gen behind nginx: $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), $(nproc) cores,"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs); replicas: --threads $threads;"
echo "# $(nginx -v 2>&1 | cut -d' ' -f3), wrk -t1 -c$conns, ${duration}s per load; one image per request"

# MARK: 1. throughput, 1 and 3 replicas (unique seeds: nothing cached)
cpu0=0; for i in 1 2 3; do cpu0=$(awk -v a=$cpu0 -v b="$(cpu_seconds "${pids[$i]}")" 'BEGIN{print a + b}'); done
read -r n1 rps1 bad1 err1 p50_1 p99_1 < <(load "$lb1" "$duration" 1000000 tools/loadtest.lua)
cpu1=$(cpu_seconds "${pids[1]}")
read -r n3 rps3 bad3 err3 p50_3 p99_3 < <(load "$lb3" "$duration" 2000000 tools/loadtest.lua)
cpu3=0; for i in 1 2 3; do cpu3=$(awk -v a=$cpu3 -v b="$(cpu_seconds "${pids[$i]}")" 'BEGIN{print a + b}'); done
cpu_per_image=$(awk -v c0="$cpu0" -v c3="$cpu3" -v n="$((n1 + n3))" 'BEGIN{printf "%.1f", (c3 - c0) / n * 1000}')
printf "\n%-28s %9s %8s %8s %8s %7s %7s\n" "load through nginx" requests "req/s" "p50 ms" "p99 ms" non2xx sockerr
printf "%-28s %9s %8s %8s %8s %7s %7s\n" "1 replica" "$n1" "$rps1" "$p50_1" "$p99_1" "$bad1" "$err1"
printf "%-28s %9s %8s %8s %8s %7s %7s\n" "3 replicas" "$n3" "$rps3" "$p50_3" "$p99_3" "$bad3" "$err3"

# MARK: 2. kill -9 of replica 2 mid-load, restart, rejoin
fail_secs=$(( duration * 2 ))
: > "$tmp/access.log"
nginx -p "$tmp" -c "$tmp/nginx.conf" -s reopen
load "$lb3" "$fail_secs" 3000000 tools/loadtest.lua > "$tmp/failover" &
loader=$!
sleep $(( fail_secs / 4 ))
kill -9 "${pids[2]}"
wait "${pids[2]}" 2>/dev/null || true
killed_at=$(date +%s.%N)
sleep $(( fail_secs / 4 ))
start_replica 2
wait_http "http://127.0.0.1:${ports[2]}/readyz"
rejoined_at=$(date +%s.%N)
wait "$loader"
read -r nf rpsf badf errf p50_f p99_f < "$tmp/failover"
printf "%-28s %9s %8s %8s %8s %7s %7s\n" "3 replicas, kill -9 of one" "$nf" "$rpsf" "$p50_f" "$p99_f" "$badf" "$errf"
# Access log fields (nginx.conf.in): msec|status|cache|upstream addrs|upstream statuses|time|uri.
r2="127.0.0.1:${ports[2]}"
retried=$(awk -F'|' '$4 ~ /,/ { n++ } END { print n + 0 }' "$tmp/access.log")
served_dead=$(awk -F'|' -v a="$killed_at" -v b="$rejoined_at" -v p="$r2" '$1 > a && $1 < b && $4 ~ ("(^|, )" p "$") { n++ } END { print n + 0 }' "$tmp/access.log")
served_after=$(awk -F'|' -v t="$rejoined_at" -v p="$r2" '$1 > t && $4 ~ ("(^|, )" p "$") { n++ } END { print n + 0 }' "$tmp/access.log")
echo
echo "failover: replica 2 killed (SIGKILL) $(( fail_secs / 4 ))s into the load, restarted $(( fail_secs / 4 ))s later, ready after $(awk -v a="$killed_at" -v b="$rejoined_at" 'BEGIN{printf "%.1f", b - a}')s"
echo "  client-visible errors: $((badf + errf)) (non-2xx $badf, socket $errf); requests nginx retried on another replica: $retried"
echo "  answered by replica 2 while dead: $served_dead; after it rejoined: $served_after"

# MARK: 3. the cache
url="http://127.0.0.1:$lb3/v1/image?seed=42"
first=$(curl -s -o /dev/null -D - "$url" | awk -F': ' 'tolower($1) == "x-cache-status" { print $2 }' | tr -d '\r')
second=$(curl -s -o /dev/null -D - "$url" | awk -F': ' 'tolower($1) == "x-cache-status" { print $2 }' | tr -d '\r')
etag=$(curl -s -o /dev/null -D - "$url" | awk -F': ' 'tolower($1) == "etag" { print $2 }' | tr -d '\r')
revalidated=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url")
: > "$tmp/access.log"
nginx -p "$tmp" -c "$tmp/nginx.conf" -s reopen
read -r nc rpsc badc errc p50_c p99_c < <(load "$lb3" "$duration" 4000000 tools/scaleout/repeat.lua)
sleep 0.5
hits=$(awk -F'|' '$3 == "HIT" { n++ } END { print n + 0 }' "$tmp/access.log")
total=$(awk -F'|' '$7 ~ /^\/v1\/image/ { n++ } END { print n + 0 }' "$tmp/access.log")
echo
echo "cache: /v1/image?seed=42 first $first, again $second; If-None-Match $etag -> $revalidated"
printf "%-28s %9s %8s %8s %8s %7s %7s\n" "3 replicas, 50 URLs repeated" "$nc" "$rpsc" "$p50_c" "$p99_c" "$badc" "$errc"
echo "  nginx cache hit rate: $hits of $total = $(awk -v h="$hits" -v t="$total" 'BEGIN{printf "%.1f%%", t ? 100 * h / t : 0}')"

echo
echo "sizing: peak RSS per replica $(for i in 1 2 3; do printf "%s " "$(peak_rss_mib "${pids[$i]}") MiB"; done)(replica 2 since its restart);"
echo "  CPU time per rendered image (replicas' user + system, loads 1 and 2): $cpu_per_image ms; replica 1 alone: $(awk -v c="$cpu1" 'BEGIN{printf "%.0f", c}') s CPU in total"
if (( badf + errf != 0 )) || (( served_after == 0 )) || [[ $second != HIT ]] || [[ $revalidated != 304 ]]; then
  echo "FAIL" >&2; tail -5 "$tmp/error.log" >&2; exit 1
fi
echo "PASS"
