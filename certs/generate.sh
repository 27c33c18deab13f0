#!/usr/bin/env bash
# Makes a CA and a serving certificate for the webhook Service, and prints the base64 caBundle.
# Usage: certs/generate.sh [--service NAME] [--namespace NS] [--out DIR] [--days N] [--if-missing] [--reuse-ca] [--quiet]
set -euo pipefail

service=aigw-otel-injector
namespace=aigw-otel-injector
out="$(cd "$(dirname "$0")" && pwd)"
# A year: long enough for a development cluster, short enough to notice rotation.
days=365
if_missing=false
reuse_ca=false
quiet=false

while [ $# -gt 0 ]; do
  case "$1" in
    --service) service="$2"; shift 2 ;;
    --namespace) namespace="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --if-missing) if_missing=true; shift ;;
    --reuse-ca) reuse_ca=true; shift ;;
    --quiet) quiet=true; shift ;;
    -h|--help) sed -n '2,3s/^# //p' "$0"; exit 0 ;;
    *) echo "generate.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if $if_missing && [ -s "$out/tls.crt" ] && [ -s "$out/tls.key" ] && [ -s "$out/ca.crt" ]; then
  $quiet || echo "certs: $out/tls.crt exists; keeping it"
  exit 0
fi
command -v openssl >/dev/null || { echo "generate.sh: openssl is required" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

# --reuse-ca renews the serving certificate under the existing CA: the webhooks' caBundle stays valid.
if $reuse_ca && [ -s "$out/ca.crt" ] && [ -s "$out/ca.key" ]; then
  cp "$out/ca.crt" "$out/ca.key" "$work/"
else
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key"
  openssl req -x509 -new -key "$work/ca.key" -sha256 -days "$days" -subj "/CN=${service}-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$work/ca.crt" 2>/dev/null
fi

openssl ecparam -name prime256v1 -genkey -noout -out "$work/tls.key"
san="DNS:${service},DNS:${service}.${namespace},DNS:${service}.${namespace}.svc"
san="${san},DNS:${service}.${namespace}.svc.cluster.local,DNS:localhost,IP:127.0.0.1"
openssl req -new -key "$work/tls.key" -subj "/CN=${service}.${namespace}.svc" -out "$work/tls.csr" 2>/dev/null
cat > "$work/ext.cnf" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=${san}
EXT
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days "$days" -sha256 -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null

# Replace the files the server reads in one rename each, so a running server never sees half a pair.
# The key before the certificate: a reader that sees a new key with the old certificate refuses the pair and waits.
for f in ca.key ca.crt tls.key tls.crt; do
  cp "$work/$f" "$out/.$f.new" && mv -f "$out/.$f.new" "$out/$f"
done
chmod 0644 "$out/ca.crt" "$out/tls.crt"
base64 < "$out/ca.crt" | tr -d '\n' > "$out/ca-bundle.b64"

if ! $quiet; then
  echo "certs: wrote $out/{ca.crt,ca.key,tls.crt,tls.key} for ${service}.${namespace}.svc" >&2
  echo "caBundle:" >&2
  cat "$out/ca-bundle.b64"
  echo
fi
