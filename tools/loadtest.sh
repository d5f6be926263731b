#!/usr/bin/env bash
# Load test of `msg-gen serve` on loopback, bounded in time: throughput,
# p50/p99 latency, errors and the server's peak RSS at concurrency 1, 8, 64
# and a burst far beyond capacity, with batching on (--max-batch 8) and off
# (--max-batch 1). Every request is a different seed and the PNG cache is off,
# so every request renders. Needs wrk (apt-get install wrk).
#
#   tools/loadtest.sh [--duration SECONDS] [--burst CONNECTIONS] [--weights FILE] [--bin PATH]
#
# Not run in CI. Prints one table; nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10
burst=1000
weights=""
bin=.build/release/msg-gen
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --weights) weights=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[[ -x $bin ]] || { echo "build first: swift build -c release --product msg-gen" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true

log=$(mktemp)
server=""
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; wait 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

start_server() {   # $1: max batch
  : > "$log"
  "$bin" serve --host 127.0.0.1 --port 0 --max-batch "$1" --cache-mb 0 --log-level notice ${weights:+--weights "$weights"} 2>"$log" &
  server=$!
  for _ in $(seq 1 200); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*/' "$log" | head -1 || true)
    [[ -n $url ]] && return 0
    sleep 0.1
  done
  echo "server did not start:" >&2; cat "$log" >&2; exit 1
}

stop_server() {
  kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "# msg-gen serve load test: $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), $(nproc) cores,"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), ${duration}s per run, wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
printf "%-9s %-6s %9s %9s %9s %9s %8s %8s %9s %10s\n" batching conns requests "req/s" "p50 ms" "p99 ms" non2xx sockerr "peakRSS" "mean batch"
for mode in on off; do
  mb=$([[ $mode == on ]] && echo 8 || echo 1)
  for conns in 1 8 64 "$burst"; do
    start_server "$mb"
    # Warm-up: first forward passes plan buffers.
    wrk -t1 -c1 -d1s -s tools/loadtest.lua "$url" >/dev/null 2>&1 || true
    threads=$(( conns < 2 ? 1 : 2 ))
    out=$(LOADTEST_BASE_SEED=$RANDOM timeout $((duration + 30)) wrk -t"$threads" -c"$conns" -d"${duration}s" --timeout 10s \
          -s tools/loadtest.lua "$url" 2>&1 || true)
    line=$(grep '^RESULT' <<<"$out" || echo "RESULT requests=0 rps=0 p50_ms=0 p99_ms=0 non2xx=0 socket_errors=0")
    rss=$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server/status")
    batch=$(curl -s "${url}metrics" | awk '/^msg_gen_batch_size_sum/ {s+=$2} /^msg_gen_batch_size_count/ {c+=$2} END {if (c) printf "%.2f", s/c; else print "-"}')
    label=$conns; [[ $conns == "$burst" ]] && label="${conns}*"
    eval "$(sed 's/^RESULT //' <<<"$line")"
    printf "%-9s %-6s %9s %9s %9s %9s %8s %8s %9s %10s\n" "$mode" "$label" "$requests" "$rps" "$p50_ms" "$p99_ms" "$non2xx" "$socket_errors" "$rss" "$batch"
    stop_server
  done
done
echo "# * burst: far beyond capacity; non2xx there are 503 + Retry-After from the bounded queue (--max-queue 256)."
echo "# mean batch: images per forward pass over the run (warm-up included), from /metrics."
