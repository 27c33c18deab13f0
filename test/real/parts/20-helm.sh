#!/usr/bin/env bash
# helm from helm.sh/helm/v3 (cmd/helm) at HELM_VERSION of versions.env, for the chart's tests (test/helm). The
# committed module (test/real/helm) pins the default release; another release (HELM_VERSION=…) gets a module of
# its own written into the cache and resolved there.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/helm-$HELM_VERSION"
if [[ -x "$out/helm" ]]; then
  echo "helm $HELM_VERSION: cached in $out"
  exit 0
fi

module="$here/helm"
pinned="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" { print $3; exit }' "$module/go.mod")"
if [[ "$HELM_VERSION" != "$pinned" ]]; then
  module="$out/module"
  mkdir -p "$module"
  cp "$here/helm/tools.go" "$module/"
  sed -e "s#helm.sh/helm/v3 $pinned#helm.sh/helm/v3 $HELM_VERSION#" -e '/^\t[^ ]* v.* \/\/ indirect$/d' \
    "$here/helm/go.mod" >"$module/go.mod"
  echo "helm $HELM_VERSION: resolving a module for it (not the committed pin $pinned)"
  (cd "$module" && go mod tidy)
fi

mkdir -p "$out"
echo "helm $HELM_VERSION: building into $out"
cd "$module"
# What helm's Makefile sets: its own version (else `helm version` prints a bare default) and the Kubernetes version
# of its client-go as the default .Capabilities.KubeVersion and lint target (else 1.20, which knows no
# matchConditions).
IFS=. read -r _ client_minor _ <<<"$(go list -m -f '{{.Version}}' k8s.io/client-go)"
ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.metadata="
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$client_minor"
done
go build -trimpath -ldflags "$ldflags" -o "$out/.helm.new" helm.sh/helm/v3/cmd/helm
mv -f "$out/.helm.new" "$out/helm"
"$out/helm" version --short
