#!/usr/bin/env bash
# Headless-Chromium check of the web page (needs `apt-get install chromium`):
# starts msg-gen serve on a free port, opens the page with picks in the URL hash,
# and checks that the faces, the mixing figure and the walk animation loaded.
# Usage: tools/check_web.sh [path/to/msg-gen] [screenshot.png]
set -euo pipefail
bin=${1:-.build/debug/msg-gen}
shot=${2:-}
port=$((20000 + RANDOM % 20000))
"$bin" serve --port "$port" --weights weights/faces-stylegan-64.safetensors --weights weights/faces-progan-64.safetensors \
  --log-level warning &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done
url="http://127.0.0.1:$port/#seeds=40-51&rows=40,43&cols=46,48&keys=42,45,51&mix=1&walk=1"
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1400 --virtual-time-budget=30000)
dom=$(chromium "${flags[@]}" --dump-dom "$url" 2>/dev/null)
grep -q 'id="walkimg"' <<<"$dom" || { echo "FAIL: the walk animation did not load" >&2; exit 1; }
grep -q 'alt="style-mixing figure"' <<<"$dom" || { echo "FAIL: the mixing figure did not load" >&2; exit 1; }
[ "$(grep -o 'data-seed=' <<<"$dom" | wc -l)" -eq 12 ] || { echo "FAIL: expected 12 faces" >&2; exit 1; }
grep -q 'keyframes: 42,45,51' <<<"$dom" || { echo "FAIL: keyframe picks not shown" >&2; exit 1; }
if [ -n "$shot" ]; then chromium "${flags[@]}" --screenshot="$shot" "$url" >/dev/null 2>&1; fi
echo "web page OK (faces, mixing figure, walk)"
