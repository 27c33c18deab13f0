#!/usr/bin/env bash
# The Dockerfile's runtime stage, proven without a container engine: a production install (no dev
# dependencies) next to dist/ only, then `node dist/main.js` in standalone mode must answer /healthz.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -d dist ] || npm run build
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

cp package.json package-lock.json "$work/"
cp -r dist "$work/dist"
(cd "$work" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
for dev in typescript vitest supertest kubernetes-models; do
  if [ -e "$work/node_modules/$dev" ]; then echo "smoke: dev dependency $dev in a production install" >&2; exit 1; fi
done

bash certs/generate.sh --out "$work/tls" --quiet
cp examples/namespaces.yaml "$work/namespaces.yaml"
# Ports the kernel hands out as free (random ones can collide with ephemeral ports).
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port=$(free_port)
admin=$(free_port)
(cd "$work" && NAMESPACES_FILE=namespaces.yaml TLS_CERT_FILE=tls/tls.crt TLS_KEY_FILE=tls/tls.key \
  PORT=$port ADMIN_PORT=$admin NODE_ENV=production exec node dist/main.js) > "$work/log" 2>&1 &
pid=$!

for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$admin/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$admin/healthz"
curl -fsS "http://127.0.0.1:$admin/readyz"
answer=$(curl -fsS --cacert "$work/tls/ca.crt" -H 'Content-Type: application/json' \
  --data @examples/review-core-pod.json "https://localhost:$port/mutate-pods?timeout=10s")
case "$answer" in
  *'"patchType":"JSONPatch"'*) echo "smoke: production install serves and patches" ;;
  *) echo "smoke: unexpected answer: $answer" >&2; cat "$work/log" >&2; exit 1 ;;
esac
kill -TERM "$pid"
wait "$pid"
echo "smoke: exited $? on SIGTERM"
