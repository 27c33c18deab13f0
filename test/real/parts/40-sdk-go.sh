#!/usr/bin/env bash
# The Go program standing for AI Gateway core's telemetry set-up (test/real/sdk-go/main.go): go.opentelemetry.io/otel
# and its OTLP/gRPC exporters at OTEL_GO_VERSION, pinned in the committed go.mod/go.sum.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/sdk-go-$OTEL_GO_VERSION"
# The binary is rebuilt when our source or the pins change (a stamp of go.mod, go.sum and main.go beside it).
stamp="$(cat "$here/sdk-go/go.mod" "$here/sdk-go/go.sum" "$here/sdk-go/main.go" | sha256sum | cut -d' ' -f1)"
if [[ -x "$out/aigw-core-sdk" && "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "sdk-go $OTEL_GO_VERSION: cached in $out"
  exit 0
fi
module="$here/sdk-go"
pinned="$(awk '$1 == "go.opentelemetry.io/otel" { print $2; exit }' "$module/go.mod")"
if [[ "$OTEL_GO_VERSION" != "$pinned" ]]; then
  echo "sdk-go: OTEL_GO_VERSION=$OTEL_GO_VERSION but test/real/sdk-go/go.mod pins $pinned: change both together" >&2
  exit 1
fi
mkdir -p "$out"
echo "sdk-go $OTEL_GO_VERSION: building into $out"
cd "$module"
go build -trimpath -o "$out/aigw-core-sdk.tmp" .
mv "$out/aigw-core-sdk.tmp" "$out/aigw-core-sdk"
echo "$stamp" >"$out/.source"
