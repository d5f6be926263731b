#!/usr/bin/env bash
# Builds the OCI image of `msg-gen serve` from Debian packages only, with no
# registry and no Docker engine (buildah, vfs storage, chroot isolation: what
# works on a restricted host, see README "Deploying"):
#
#   1. a release build with the Swift runtime linked statically
#      (swift build -c release --static-swift-stdlib; reused when up to date);
#   2. a root filesystem from `apt-get download` + `dpkg -x` of the runtime
#      libraries the binary links (glibc, libstdc++, OpenBLAS and its Fortran
#      runtime, libpng, zlib), docs and locales dropped, a non-root user 10001;
#   3. `buildah bud -f tools/container/Containerfile` FROM scratch on it, and the
#      image also written as an OCI archive for `kind load image-archive`,
#      `ctr images import` or `skopeo copy ... docker://REGISTRY/...`.
#
#   tools/container/build.sh [--tag NAME:TAG] [--archive FILE] [--jobs N]   (default tag localhost/msg-gen:latest)
#
# Needs: buildah (apt-get install -y buildah), dpkg, apt-get (the host's Debian
# release decides the library versions: the ones the binary was linked with).
# Prints the image name, its unpacked size and the build time.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag="localhost/msg-gen:latest"   # what deploy/k8s names; also tagged with the commit
archive=.build-container/msg-gen.oci.tar
jobs=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --archive) archive=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v buildah >/dev/null || { echo "buildah is missing: apt-get install -y buildah" >&2; exit 1; }
start=$(date +%s)

# The runtime packages: what `ldd` shows the binary needs, by Debian package name.
# (libopenblas0-pthread's libopenblas.so.0 needs libgfortran5, which needs libquadmath0.)
packages=(libc6 libgcc-s1 libstdc++6 libgfortran5 libquadmath0 libopenblas0-pthread libpng16-16 zlib1g)

# MARK: 1. the binary
build=.build-release
echo "== swift build -c release --static-swift-stdlib (build path $build)" >&2
swift build -j "$jobs" -c release --static-swift-stdlib --product msg-gen --build-path "$build" >&2
bin="$build/release/msg-gen"
# Every library the binary loads must come from the packages above.
if ldd "$bin" | grep -q "not found"; then ldd "$bin" >&2; echo "unresolved libraries" >&2; exit 1; fi
if ldd "$bin" | grep -qi swift; then echo "the Swift runtime is linked dynamically; expected --static-swift-stdlib" >&2; exit 1; fi

# MARK: 2. the root filesystem
work=.build-container
rm -rf "$work/rootfs" "$work/debs"
mkdir -p "$work/debs" "$work/rootfs"
echo "== apt-get download ${packages[*]}" >&2
(cd "$work/debs" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/rootfs"; done
root="$work/rootfs"
# Nothing the server runs: documentation, locales, tools, gconv modules.
rm -rf "$root"/usr/share "$root"/usr/bin "$root"/usr/sbin "$root"/sbin "$root"/bin "$root"/usr/libexec \
       "$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/usr/lib/x86_64-linux-gnu/audit "$root"/etc/ld.so.conf.d
# Of the packages' libraries keep the ones the binary loads (ldd): libc6 alone
# brings a dozen more (libmvec, libresolv, libthread_db, ...).
needed=$(ldd "$bin" | awk '/=>/ { print $1 }')
keep=()
for n in $needed; do
  for d in lib usr/lib; do
    p="$root/$d/x86_64-linux-gnu/$n"
    [[ -e $p ]] && keep+=("$(basename "$p")" "$(basename "$(readlink -f "$p")")")
  done
done
for f in "$root"/lib/x86_64-linux-gnu/* "$root"/usr/lib/x86_64-linux-gnu/*; do
  [[ -d $f && ! -L $f ]] && continue
  name=$(basename "$f")
  [[ $name == ld-linux-x86-64.so.2 || " ${keep[*]} " == *" $name "* ]] || rm -f "$f"
done
# msg-gen calls OpenBLAS's own cblas symbols only, never the reference BLAS/LAPACK shims.
rm -f "$root"/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 "$root"/usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3
# update-alternatives would make this link; there is no dpkg in the image.
ln -sf openblas-pthread/libopenblas.so.0 "$root"/usr/lib/x86_64-linux-gnu/libopenblas.so.0
mkdir -p "$root"/etc "$root"/tmp "$root"/opt/msg-gen/bin "$root"/opt/msg-gen/weights
chmod 1777 "$root"/tmp
printf 'root:x:0:0:root:/root:/sbin/nologin\nmsg-gen:x:10001:10001:msg-gen:/nonexistent:/sbin/nologin\n' > "$root"/etc/passwd
printf 'root:x:0:\nmsg-gen:x:10001:\n' > "$root"/etc/group
install -m 0755 "$bin" "$root"/opt/msg-gen/bin/msg-gen
strip --strip-all "$root"/opt/msg-gen/bin/msg-gen
# The shipped models; DEFAULT names the one `serve` loads without --weights.
# random-progan-128 (random weights: noise, for tests) stays out; mount it if wanted.
install -m 0644 weights/DEFAULT weights/faces-*.safetensors "$root"/opt/msg-gen/weights/
unpacked=$(du -sb "$root" | cut -f1)

# MARK: 3. the image
echo "== buildah bud (FROM scratch)" >&2
buildah --storage-driver vfs bud --isolation chroot --layers=false \
  --label org.opencontainers.image.title=msg-gen \
  --label org.opencontainers.image.revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --label org.opencontainers.image.description="msg-gen serve: MSG-GAN generators over HTTP" \
  -f tools/container/Containerfile -t "$tag" "$work" >&2
commit=$(git rev-parse --short HEAD 2>/dev/null || true)
[[ -n $commit ]] && buildah --storage-driver vfs tag "$tag" "${tag%:*}:$commit"
rm -f "$archive"
buildah --storage-driver vfs push "$tag" "oci-archive:$archive:$tag" >&2

echo "image:    $tag${commit:+ (also ${tag%:*}:$commit)}"
echo "archive:  $archive ($(du -h "$archive" | cut -f1), OCI layout)"
echo "unpacked: $((unpacked / 1000000)) MB ($unpacked bytes; binary $(du -b "$root"/opt/msg-gen/bin/msg-gen | cut -f1), weights $(du -cb "$root"/opt/msg-gen/weights/* | tail -1 | cut -f1))"
echo "time:     $(( $(date +%s) - start )) s (swift build included; an up-to-date build takes seconds)"
