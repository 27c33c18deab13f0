#!/usr/bin/env bash
# cert-manager's controller, cainjector and webhook at CERT_MANAGER_VERSION, and its Helm chart (CRDs, RBAC) from the
# same module, for test/real-cluster/cert-manager*.test.ts. cert-manager's own mains (cmd/controller, cmd/cainjector,
# cmd/webhook) are Go modules of their own that no proxy serves, so test/real/cert-manager holds small mains of ours
# calling the library entry points those mains call; go.mod/go.sum pin the module. github.com/Venafi/vcert/v5, which
# only the Venafi issuer uses, is not served either: test/real/cert-manager/vcert-absent stands in so that the
# controller links, and a Venafi Issuer fails with an error saying so.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/cert-manager-$CERT_MANAGER_VERSION"
module="$here/cert-manager"
# Rebuilt when our sources or the pins change: a stamp of every file of the module, beside the binaries.
stamp="$(cd "$module" && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | LC_ALL=C sort | xargs cat | sha256sum | cut -d' ' -f1)"
if [[ -x "$out/bin/controller" && -d "$out/chart" && "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "cert-manager $CERT_MANAGER_VERSION: cached in $out"
  exit 0
fi
pinned="$(awk '$1 == "github.com/cert-manager/cert-manager" { print $2; exit }' "$module/go.mod")"
if [[ "$CERT_MANAGER_VERSION" != "$pinned" ]]; then
  echo "cert-manager: CERT_MANAGER_VERSION=$CERT_MANAGER_VERSION but test/real/cert-manager/go.mod pins $pinned: change both together" >&2
  exit 1
fi
mkdir -p "$out"
echo "cert-manager $CERT_MANAGER_VERSION: building into $out"
cd "$module"
rm -rf "$out/bin.tmp"
# What cert-manager's Makefile (make/00_mod.mk) stamps into its binaries.
go build -trimpath -ldflags "-X github.com/cert-manager/cert-manager/pkg/util.AppVersion=$CERT_MANAGER_VERSION" \
  -o "$out/bin.tmp/" ./controller ./cainjector ./webhook
rm -rf "$out/bin" && mv "$out/bin.tmp" "$out/bin"

# The chart as cert-manager's release tool publishes it: the module's deploy/charts/cert-manager with version and
# appVersion set to the release (the source says v0.0.0 and lets the tool fill them in).
src="$(go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)/deploy/charts/cert-manager"
rm -rf "$out/chart"
cp -r "$src" "$out/chart"
chmod -R u+w "$out/chart"
sed -i -e "s/^version: .*/version: $CERT_MANAGER_VERSION/" -e "s/^appVersion: .*/appVersion: $CERT_MANAGER_VERSION/" "$out/chart/Chart.yaml"
echo "$stamp" >"$out/.source"
"$out/bin/controller" --help >/dev/null
echo "cert-manager $CERT_MANAGER_VERSION: controller, cainjector, webhook and chart ready"
