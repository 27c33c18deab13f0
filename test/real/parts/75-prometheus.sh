#!/usr/bin/env bash
# promtool and the Prometheus server from github.com/prometheus/prometheus at PROMETHEUS_VERSION (cmd/promtool,
# cmd/prometheus), pinned in the committed test/real/prometheus/go.mod and go.sum, for the monitoring tests
# (test/prometheus): promtool checks and unit-tests the PrometheusRule's alerts, the server scrapes a running
# injector and answers the dashboard's queries.
#
# Two build choices, each against upstream's own release build (.promu.yml):
# - no `builtinassets` tag: the module zip carries the web UI's sources, not its built assets; the tests use only
#   the HTTP API, which does not need them.
# - the `remove_all_sd` tag: the tests scrape a static target, so the server leaves out every cloud service
#   discovery (AWS, Azure, GCE, ...), which is most of its code and build time. promtool imports the Kubernetes
#   discovery itself and keeps it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/prometheus-$PROMETHEUS_VERSION"
module="$here/prometheus"
# The binaries are rebuilt when the pins or this script's build choices change (a stamp beside them).
stamp="$(cat "$module/go.mod" "$module/go.sum" "$module/tools.go" "$0" | sha256sum | cut -d' ' -f1)"
if [[ -x "$out/promtool" && -x "$out/prometheus" && "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "prometheus $PROMETHEUS_VERSION: cached in $out"
  exit 0
fi
pinned="$(awk '$1 == "require" && $2 == "github.com/prometheus/prometheus" { print $3; exit }' "$module/go.mod")"
if [[ "$PROMETHEUS_VERSION" != "$pinned" ]]; then
  echo "prometheus: PROMETHEUS_VERSION=$PROMETHEUS_VERSION but test/real/prometheus/go.mod pins $pinned: change both together" >&2
  exit 1
fi
mkdir -p "$out"
rm -f "$out/.source"
cd "$module"
# What upstream's release build stamps in, so that `--version` names the release (the module's VERSION file).
go mod download github.com/prometheus/prometheus
release="$(cat "$(go list -m -f '{{.Dir}}' github.com/prometheus/prometheus)/VERSION")"
ldflags="-X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Revision=$PROMETHEUS_VERSION"
# promtool first: the rule checks need only it; the server is the longer build.
for cmd in promtool prometheus; do
  t0=$SECONDS
  echo "prometheus $PROMETHEUS_VERSION: building $cmd into $out"
  go build -trimpath -tags remove_all_sd -ldflags "$ldflags" -o "$out/.$cmd.new" \
    "github.com/prometheus/prometheus/cmd/$cmd"
  mv -f "$out/.$cmd.new" "$out/$cmd"
  echo "prometheus $PROMETHEUS_VERSION: $cmd built in $((SECONDS - t0)) s"
done
echo "$stamp" >"$out/.source"
"$out/promtool" --version | head -1
"$out/prometheus" --version | head -1
