#!/usr/bin/env bash
# Smoke test of the OCI image (not run in CI: it needs buildah and podman):
# builds it (tools/container/build.sh), runs it with podman as a restricted host
# allows (runc, cgroupfs, no systemd, vfs storage, small ulimits, host network,
# read-only root filesystem, all capabilities dropped), and checks
#   - /healthz and /readyz answer 200;
#   - /v1/image?seed=42 from the container is byte for byte the PNG the host's
#     own binary gives: its `msg-gen --seed 42` file and its server's answer;
#   - SIGTERM drains: requests in flight when it arrives all finish with 200,
#     then the container exits with status 0.
#
#   tools/container/smoke.sh [--no-build] [--tag NAME:TAG]
#
# Everything listens on 127.0.0.1 / the host network only; bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag="localhost/msg-gen:latest"
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-build) build=0; shift ;;
    --tag) tag=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

# The flags for restricted hosts (checked on Debian 12 as root without systemd):
# crun fails on hybrid cgroups, so runc; cgroupfs and file events need no systemd;
# vfs storage needs no overlay mounts; larger ulimits are refused by such sandboxes.
podman=(podman --runtime runc --cgroup-manager=cgroupfs --events-backend=file --storage-driver vfs)
run_flags=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network=host
           --read-only --cap-drop=all --security-opt=no-new-privileges)

if [[ $build == 1 ]]; then tools/container/build.sh --tag "$tag"; fi
bin=.build-release/release/msg-gen
[[ -x $bin ]] || { echo "no host binary at $bin: run tools/container/build.sh" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
host_port=$(free_port)
name="msg-gen-smoke-$$"
tmp=$(mktemp -d)
host_pid=""
cleanup() {
  "${podman[@]}" rm -f -t 0 "$name" >/dev/null 2>&1 || true
  [[ -n $host_pid ]] && kill "$host_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; "${podman[@]}" logs "$name" 2>&1 | tail -20 >&2 || true; exit 1; }
wait_http() {   # $1: URL; up to 30 s
  for _ in $(seq 1 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  return 1
}

echo "== image $tag: $("${podman[@]}" image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.1f MB", $1/1e6}') (podman image inspect)"
"${podman[@]}" run -d --name "$name" "${run_flags[@]}" "$tag" serve --host 0.0.0.0 --port "$port" >/dev/null
wait_http "http://127.0.0.1:$port/healthz" || fail "/healthz did not answer within 30 s"
code=$(curl -s -o "$tmp/health.json" -w '%{http_code}' "http://127.0.0.1:$port/healthz")
[[ $code == 200 ]] || fail "/healthz answered $code"
echo "ok   /healthz: $code $(tr -d '\n ' < "$tmp/health.json")"
code=$(curl -s -o "$tmp/ready.json" -w '%{http_code}' "http://127.0.0.1:$port/readyz")
[[ $code == 200 ]] || fail "/readyz answered $code"
echo "ok   /readyz: $code $(tr -d '\n ' < "$tmp/ready.json")"
echo "ok   process user (in container, on host): $("${podman[@]}" top "$name" user huser 2>/dev/null | tail -1 | xargs || echo '?')"

# The same request from the container, from the host's server and from the host's CLI.
curl -sf -o "$tmp/container.png" "http://127.0.0.1:$port/v1/image?seed=42" || fail "/v1/image?seed=42"
"$bin" serve --host 127.0.0.1 --port "$host_port" --log-level error &
host_pid=$!
wait_http "http://127.0.0.1:$host_port/healthz" || fail "host server did not start"
curl -sf -o "$tmp/host-serve.png" "http://127.0.0.1:$host_port/v1/image?seed=42"
kill -TERM "$host_pid"; wait "$host_pid" 2>/dev/null || true; host_pid=""
"$bin" --seed 42 --quiet --out "$tmp/host-cli.png" >/dev/null
cmp "$tmp/container.png" "$tmp/host-serve.png" || fail "container PNG differs from the host server's"
cmp "$tmp/container.png" "$tmp/host-cli.png" || fail "container PNG differs from the host CLI's"
echo "ok   /v1/image?seed=42: $(wc -c < "$tmp/container.png") bytes, sha256 $(sha256sum "$tmp/container.png" | cut -c1-16), identical to host serve and host CLI"

# Drain: 8 slow requests (16-seed multi-scale sheets, different seeds: no cache;
# 8 x 16 images stay under the default --max-queue of 256)
# in flight, then SIGTERM. Each must finish 200; the container must exit 0.
for i in $(seq 1 8); do
  curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
    "http://127.0.0.1:$port/v1/grid?seed=$((i * 1000))&count=16&scale=all" > "$tmp/drain.$i" &
done
sleep 0.3
t0=$(date +%s.%N)
"${podman[@]}" kill --signal TERM "$name" >/dev/null
status=$(timeout 60 "${podman[@]}" wait "$name") || fail "container did not exit within 60 s of SIGTERM"
t1=$(date +%s.%N)
wait
codes=$(sort "$tmp"/drain.* | uniq -c | xargs)
[[ $codes == "8 200" ]] || fail "requests in flight at SIGTERM answered: $codes (want 8 x 200)"
[[ $status == 0 ]] || fail "container exited with status $status after SIGTERM"
echo "ok   SIGTERM with 8 requests in flight: all 200, exit status $status after $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') s"
"${podman[@]}" logs "$name" 2>&1 | grep -iE 'listening|shut|drain|stop' | tail -3 | sed 's/^/     log: /'
echo "PASS"
