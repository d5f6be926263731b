#!/usr/bin/env bash
# Validates every Kubernetes manifest under deploy/k8s offline and strictly
# (unknown fields are errors) against the oldest and the newest Kubernetes
# versions msg-gen supports: 1.30 (the first with the preStop `sleep` action on
# by default) and 1.37. With kubectl at hand, the kustomize output of each
# kustomization is validated too (what `kubectl apply -k` would send).
# Installs kubernetes-validate (PyPI, bundled schemas) into .build-k8s/venv.
#
#   tools/scaleout/validate-manifests.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=(1.30.0 1.37.0)

venv=.build-k8s/venv
if [[ ! -x $venv/bin/kubernetes-validate ]]; then
  python3 -m venv "$venv" || { echo "python3 -m venv failed: apt-get install -y python3-venv" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check kubernetes-validate
fi
validate=("$venv/bin/kubernetes-validate" --strict --quiet)

mapfile -t files < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
rendered=()
if command -v kubectl >/dev/null; then
  while read -r k; do
    d=$(dirname "$k")
    out=".build-k8s/kustomize-$(echo "$d" | tr / -).yaml"
    kubectl kustomize "$d" > "$out"
    rendered+=("$out")
  done < <(find deploy/k8s -name kustomization.yaml | sort)
fi
for v in "${versions[@]}"; do
  "${validate[@]}" -k "$v" "${files[@]}" "${rendered[@]}"
  echo "kubernetes $v: ${#files[@]} manifests${rendered:+ and ${#rendered[@]} kustomize builds} valid (strict)"
done
