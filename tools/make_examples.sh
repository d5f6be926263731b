#!/usr/bin/env bash
# Renders examples/ from the shipped face models with msg-gen itself, and the
# training loss curves. Run from the repository root after a release build:
#   swift build -c release && tools/make_examples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/msg-gen
mkdir -p examples
# README's picture: what `msg-gen --seed 42 --grid 16` renders with weights/DEFAULT.
$bin --seed 42 --grid 16 --out examples/default-seed42-grid16.png --quiet
for m in faces-stylegan-64 faces-progan-64; do
  w=weights/$m.safetensors
  [ -f "$w" ] || { echo "missing $w" >&2; exit 1; }
  $bin --weights "$w" --seed 0 --grid 64 --out "examples/$m-grid64.png" --quiet
  $bin --weights "$w" --seed 100 --grid 8 --scales all --out "examples/$m-multiscale.png" --quiet
done
$bin mix --weights weights/faces-stylegan-64.safetensors --rows 11,12,13,14 --cols 21,22,23,24,25 \
  --styles coarse --scales all --out examples/faces-stylegan-64-mix-coarse-all.png --quiet
$bin mix --weights weights/faces-stylegan-64.safetensors --preset figure --out examples/faces-stylegan-64-mix-figure.png --quiet
# README's walk: the default model's keyframes 42 -> 45 -> 51 -> 42, every scale of every frame.
$bin walk --seeds 42,45,51 --frames 8 --loop --scales all --fps 12 --out examples/default-walk-all.webp --quiet
# Loss curves of the shipped models' runs, from the logs committed beside
# their training state (tools/train/logs/<run>.csv; tools/train/runs/ is not
# in git). A shipped model whose log was not kept has no curve.
logs=()
for run in $(cat tools/train/logs/SHIPPED 2>/dev/null); do
  if [ -f "tools/train/logs/$run.csv" ]; then logs+=("tools/train/logs/$run.csv")
  else echo "tools/train/logs/SHIPPED names $run, but tools/train/logs/$run.csv is missing: no curve for it" >&2; fi
done
if [ ${#logs[@]} -gt 0 ]; then
  python3 tools/train/plot_losses.py "${logs[@]}" --out examples/training-losses.png
else
  echo "no training logs in tools/train/logs: examples/training-losses.png left as it is" >&2
fi
ls -la examples
