#!/usr/bin/env bash
# Checks the NEON kernels of Sources/CMSGKernels against their portable twins
# without an arm64 machine: cross-compiles the C kernels and the test driver
# (kernel_twins.c) for aarch64 with Debian's gcc-aarch64-linux-gnu and runs
# it under qemu-user. Emulated: results are checked, speed is not measured.
# With --native it also builds the driver for this machine and checks the
# x86 vector bodies (AVX2, AVX-512) it can run.
#
#   apt-get install -y gcc-aarch64-linux-gnu qemu-user    (or: tools/setup.sh gcc-aarch64-linux-gnu qemu-user, as .ci/run does)
#   tools/neon/check.sh [--native]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src="$root/Sources/CMSGKernels"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-O2 -Wall -Werror -I"$src/include")

for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
    command -v "$tool" >/dev/null || { echo "check.sh: $tool missing (apt-get install -y gcc-aarch64-linux-gnu qemu-user)" >&2; exit 2; }
done
aarch64-linux-gnu-gcc "${flags[@]}" "$src"/*.c "$root/tools/neon/kernel_twins.c" -lm -o "$out/twins-arm64"
echo "== arm64 (qemu-aarch64): NEON vs portable"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/twins-arm64" neon

if [[ "${1:-}" == "--native" ]]; then
    "${CC:-cc}" "${flags[@]}" "$src"/*.c "$root/tools/neon/kernel_twins.c" -lm -o "$out/twins-native"
    echo "== $(uname -m) (native): every vector ISA this CPU runs vs portable"
    "$out/twins-native"
fi
