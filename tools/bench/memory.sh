#!/usr/bin/env bash
# Wall time and peak RSS of msg-gen commands on 1024 px models of the upstream
# shapes (README "Memory"), and the server's resident memory over a burst and
# an idle minute. Run on a quiet machine; compare binaries side by side:
#
#   python3 tools/bench/make_big_random_weights.py /tmp/msg-gen-big
#   tools/bench/memory.sh .build/release/msg-gen /tmp/msg-gen-big [cli|serve|all]
set -euo pipefail
bin=${1:?msg-gen binary}
dir=${2:?directory with progan-1024.safetensors and stylegan-1024.safetensors}
what=${3:-all}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() {  # label, then the command's arguments
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$out/t" "$bin" "$@" --quiet >/dev/null 2>"$out/err" || { cat "$out/err" >&2; return 1; }
  read -r secs kb <"$out/t"
  printf '%-44s %7.2f s %8.0f MB\n' "$label" "$secs" "$(echo "$kb / 1024" | bc -l)"
}

if [[ $what == cli || $what == all ]]; then
  for m in progan-1024 stylegan-1024; do
    w=$dir/$m.safetensors
    measure "$m --seed 1 (batch 8)" --weights "$w" --seed 1 --out "$out/a.png"
    measure "$m --seed 1 --batch 1" --weights "$w" --seed 1 --batch 1 --out "$out/a.png"
    measure "$m --seed 1 --grid 2" --weights "$w" --seed 1 --grid 2 --out "$out/a.png"
    measure "$m --seed 1 --grid 8 --format npy" --weights "$w" --seed 1 --grid 8 --format npy --out "$out/npy8"
    measure "$m --grid 16 --format npy" --weights "$w" --seed 0 --grid 16 --format npy --out "$out/npy"
    measure "$m --grid 16 (PNG grid)" --weights "$w" --seed 0 --grid 16 --out "$out/g.png"
    ls -l "$out/g.png" | awk '{printf "%-44s %.1f MB PNG\n", "", $5 / 1e6}'
    measure "$m --grid 16 --scales all (sheet)" --weights "$w" --seed 0 --grid 16 --scales all --out "$out/s.png"
  done
  measure "stylegan-1024 mix --preset figure" mix --weights "$dir/stylegan-1024.safetensors" --preset figure --out "$out/m.png"
fi

if [[ $what == serve || $what == all ]]; then
  port=$((20000 + RANDOM % 20000))
  "$bin" serve --port "$port" --weights "$dir/stylegan-1024.safetensors" --cache-mb 0 2>"$out/serve.log" &
  pid=$!
  trap 'kill $pid 2>/dev/null; rm -rf "$out"' EXIT
  for _ in $(seq 600); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.5; done
  rss() { awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$pid/status"; }
  hwm() { awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$pid/status"; }
  echo "serve stylegan-1024: ready: $(rss)"
  s=$(date +%s.%N); curl -sf -o /dev/null "localhost:$port/v1/image?seed=1"; e=$(date +%s.%N)
  printf 'after one /v1/image (%.2f s): %s\n' "$(echo "$e - $s" | bc -l)" "$(rss)"
  one=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  s=$(date +%s.%N)
  curls=()
  for i in 1 2 3 4; do curl -sf -o /dev/null "localhost:$port/v1/grid?seed=$((i * 8))&count=8" & curls+=($!); done
  wait "${curls[@]}"
  e=$(date +%s.%N)
  printf 'after a burst of 4 concurrent 8-image /v1/grid (%.2f s): %s (peak %s)\n' "$(echo "$e - $s" | bc -l)" "$(rss)" "$(hwm)"
  for t in 15 30 60; do
    sleep $((t - ${last:-0})); last=$t
    now=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    printf 'idle %2d s: %s (%.2fx the one-image level)\n' "$t" "$(rss)" "$(echo "$now / $one" | bc -l)"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
fi
