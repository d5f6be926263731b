#!/usr/bin/env bash
# Installs the system libraries msg-gen links (Debian/Ubuntu), when missing.
# Used by README's first command and by .ci/run; extra Debian package names given as
# arguments are installed too (.ci/run adds the NEON check's cross compiler and qemu-user).
set -euo pipefail
pkgs=(libopenblas-dev libpng-dev zlib1g-dev pkg-config libwebp-dev libgif-dev libimagequant-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
