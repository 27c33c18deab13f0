#!/usr/bin/env bash
# kube-apiserver, kube-controller-manager and kubectl from k8s.io/kubernetes, and etcd from go.etcd.io/etcd/server/v3,
# at the versions of versions.env. The committed module (test/real/kubernetes) pins the default release; another
# release (KUBE_VERSION=…) gets a module of its own written into the cache and resolved there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/kubernetes-$KUBE_VERSION"
bins=(kube-apiserver kube-controller-manager kubectl etcd)
# Rebuilt when the pins or this script change (a stamp beside the binaries).
stamp="$(cat "$here/kubernetes/go.mod" "$here/kubernetes/go.sum" "$0" | sha256sum | cut -d' ' -f1)"
complete() { for b in "${bins[@]}"; do [[ -x "$out/$b" ]] || return 1; done; }
if complete && [[ "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "kubernetes $KUBE_VERSION: cached in $out"
  exit 0
fi

module="$here/kubernetes"
pinned="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$module/go.mod")"
if [[ "$KUBE_VERSION" != "$pinned" ]]; then
  # Staging modules are published as v0.<minor>.<patch> for v1.<minor>.<patch>; each release has its own set,
  # read from the go.mod it publishes.
  staging="v0.${KUBE_VERSION#v1.}"
  module="$out/module"
  mkdir -p "$module"
  cp "$here/kubernetes/tools.go" "$module/"
  published="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  {
    echo "// Written by test/real/parts/10-kubernetes.sh for KUBE_VERSION=$KUBE_VERSION; not committed."
    echo "module aigw-otel-injector/test/real/kubernetes"
    echo
    echo "go 1.26.0"
    echo
    echo "require ("
    echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    echo "	k8s.io/kubernetes $KUBE_VERSION"
    echo ")"
    echo
    echo "replace ("
    awk -v v="$staging" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { printf "\t%s => %s %s\n", $1, $1, v }' "$published"
    echo ")"
  } >"$module/go.mod"
  echo "kubernetes $KUBE_VERSION: resolving a module for it (not the committed pin $pinned)"
  (cd "$module" && go mod tidy)
fi

mkdir -p "$out"
echo "kubernetes $KUBE_VERSION: building ${bins[*]} into $out (minutes on a cold Go build cache)"
cd "$module"
# What Kubernetes' own build stamps (hack/lib/version.sh): without it the binaries say v0.0.0-master, so /version,
# kubectl's skew check and helm's .Capabilities.KubeVersion would not know the release.
IFS=. read -r _ minor _ <<<"$KUBE_VERSION"
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
# Each binary is written beside its old one and moved over it: tests may be running the old one.
build() { go build -trimpath -ldflags "$2" -o "$out/.$1.new" "$3" && mv -f "$out/.$1.new" "$out/$1"; }
build kube-apiserver "$ldflags" k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager "$ldflags" k8s.io/kubernetes/cmd/kube-controller-manager
build kubectl "$ldflags" k8s.io/kubernetes/cmd/kubectl
build etcd "" go.etcd.io/etcd/server/v3
complete
echo "$stamp" >"$out/.source"
"$out/kubectl" version --client
