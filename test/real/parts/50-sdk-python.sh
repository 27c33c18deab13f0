#!/usr/bin/env bash
# The Python side: a virtual environment with opentelemetry-sdk at OTEL_PY_VERSION (the 1.33 line F5's processor
# SDK pins) and its OTLP exporters, from test/real/sdk-python/requirements.txt (every package pinned). The program
# (test/real/sdk-python/processor.py) stays in the repository and runs on the venv's python. Needs python3 with the
# venv module (Debian: apt-get install python3-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$AIGW_REAL_CACHE/sdk-python-$OTEL_PY_VERSION"
requirements="$here/sdk-python/requirements.txt"
if [[ -x "$out/venv/bin/python" && -f "$out/venv/.complete" ]] && cmp -s "$requirements" "$out/venv/.complete"; then
  echo "sdk-python $OTEL_PY_VERSION: cached in $out"
  exit 0
fi
pinned="$(awk -F'==' '$1 == "opentelemetry-sdk" { print $2; exit }' "$requirements")"
if [[ "$OTEL_PY_VERSION" != "$pinned" ]]; then
  echo "sdk-python: OTEL_PY_VERSION=$OTEL_PY_VERSION but requirements.txt pins $pinned: change both together" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "sdk-python: no python3 on PATH" >&2; exit 1; }
rm -rf "$out/venv"
mkdir -p "$out"
echo "sdk-python $OTEL_PY_VERSION: creating $out/venv"
python3 -m venv "$out/venv"
"$out/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
"$out/venv/bin/python" -c 'import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc, opentelemetry.exporter.otlp.proto.http'
cp "$requirements" "$out/venv/.complete"
