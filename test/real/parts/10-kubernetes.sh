#!/usr/bin/env bash
# kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes, and etcd from go.etcd.io/etcd/server/v3,
# at the versions of versions.env. The committed module (test/real/kubernetes) pins the default release; another
# release (KUBE_VERSION=…) gets a module of its own written into the cache and resolved there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/kubernetes-$KUBE_VERSION"
bins=(kube-apiserver kube-controller-manager kubectl etcd)
complete() { for b in "${bins[@]}"; do [[ -x "$out/$b" ]] || return 1; done; }
if complete; then
  echo "kubernetes $KUBE_VERSION: cached in $out"
  exit 0
fi

module="$here/kubernetes"
pinned="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$module/go.mod")"
if [[ "$KUBE_VERSION" != "$pinned" ]]; then
  # Staging modules are published as v0.<minor>.<patch> for v1.<minor>.<patch>.
  staging="v0.${KUBE_VERSION#v1.}"
  module="$out/module"
  mkdir -p "$module"
  cp "$here/kubernetes/tools.go" "$module/"
  sed -e "s#k8s.io/kubernetes $pinned#k8s.io/kubernetes $KUBE_VERSION#" \
    -e "s#=> \(k8s.io/[a-z0-9-]*\) v0[.0-9]*#=> \1 $staging#" \
    -e "s#go.etcd.io/etcd/server/v3 v[.0-9]*#go.etcd.io/etcd/server/v3 $ETCD_VERSION#" \
    -e '/^\t[^ ]* v.* \/\/ indirect$/d' "$here/kubernetes/go.mod" >"$module/go.mod"
  echo "kubernetes $KUBE_VERSION: resolving a module for it (not the committed pin $pinned)"
  (cd "$module" && go mod tidy)
fi

mkdir -p "$out"
echo "kubernetes $KUBE_VERSION: building ${bins[*]} into $out (minutes on a cold Go build cache)"
cd "$module"
go build -trimpath -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -o "$out/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager
go build -trimpath -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl
go build -trimpath -o "$out/etcd" go.etcd.io/etcd/server/v3
complete
"$out/kubectl" version --client
