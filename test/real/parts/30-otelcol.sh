#!/usr/bin/env bash
# The OpenTelemetry Collector the real-SDK tests export to: our small main (test/real/otelcol/main.go) over the
# collector core and contrib modules at OTELCOL_VERSION (OTLP receiver, file exporter, bearer-token auth), pinned in
# the committed go.mod/go.sum.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/otelcol-$OTELCOL_VERSION"
# The binary is rebuilt when our source or the pins change (a stamp of go.mod, go.sum and main.go beside it).
stamp="$(cat "$here/otelcol/go.mod" "$here/otelcol/go.sum" "$here/otelcol/main.go" | sha256sum | cut -d' ' -f1)"
if [[ -x "$out/otelcol" && "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "otelcol $OTELCOL_VERSION: cached in $out"
  exit 0
fi
module="$here/otelcol"
pinned="$(awk '$1 == "go.opentelemetry.io/collector/otelcol" { print $2; exit }' "$module/go.mod")"
if [[ "$OTELCOL_VERSION" != "$pinned" ]]; then
  echo "otelcol: OTELCOL_VERSION=$OTELCOL_VERSION but test/real/otelcol/go.mod pins $pinned: change both together" >&2
  exit 1
fi
mkdir -p "$out"
echo "otelcol $OTELCOL_VERSION: building into $out"
cd "$module"
go build -trimpath -o "$out/otelcol.tmp" .
mv "$out/otelcol.tmp" "$out/otelcol"
echo "$stamp" >"$out/.source"
"$out/otelcol" --version
