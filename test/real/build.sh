#!/usr/bin/env bash
# Builds every real part the test suite runs (Kubernetes control plane and kubectl, etcd, helm, the
# OpenTelemetry Collector, the Go and Python SDK programs) from pinned Go modules and PyPI versions into a
# cache outside the work tree, keyed by version; what is there already is reused. The first build on a new
# machine takes many minutes (Go compiles kube-apiserver and friends from source on two cores).
#
#   bash test/real/build.sh            build what is missing
#   bash test/real/build.sh --print    print the cache folder and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Every version becomes an exported variable for the part scripts.
set -a
# shellcheck source=versions.env
source "$here/versions.env"
set +a
export AIGW_REAL_CACHE="${AIGW_REAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aigw-otel-injector/real}"
export GOTOOLCHAIN=local CGO_ENABLED=0

if [[ "${1:-}" == "--print" ]]; then
  echo "$AIGW_REAL_CACHE"
  exit 0
fi
mkdir -p "$AIGW_REAL_CACHE"
if ! command -v go >/dev/null; then
  # Under CI the suite must run against the real parts; elsewhere their tests skip, each with one line.
  echo "build.sh: no go on PATH: the real parts are built from Go modules (Go 1.26); tests that need them will skip" >&2
  [[ "${CI:-}" == "true" ]] && exit 1
  exit 0
fi

start=$SECONDS
# Each part script builds into "$AIGW_REAL_CACHE/<part>-<version>/" and returns early when it is complete.
for part in "$here"/parts/*.sh; do
  name="$(basename "$part" .sh)"
  t0=$SECONDS
  echo "== real parts: $name"
  bash "$part"
  echo "== real parts: $name ready in $((SECONDS - t0)) s"
done
echo "== real parts: all ready in $((SECONDS - start)) s, in $AIGW_REAL_CACHE"
