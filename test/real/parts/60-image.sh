#!/usr/bin/env bash
# Our container image, built from the Dockerfile as users build it, into the cache as an archive (`docker save`):
#   $AIGW_REAL_CACHE/image/aigw-otel-injector.tar, tag aigw-otel-injector:dev
# test/image checks and runs it; the real-node tests load it into containerd.
#
# The Dockerfile's FROM images cannot be pulled here (no registry can be reached): test/real/image/base-images.sh
# makes test stand-ins for the BASE IMAGES ONLY under their exact names; every line after FROM is the real one.
# Built with the classic builder (DOCKER_BUILDKIT=0): BuildKit's `# syntax=` line would pull a frontend image.
# The engine is Debian's docker.io, installed here when missing; its daemon is private to this script (its own
# socket and folders, no iptables, no bridge) and ended by pid when the script exits.
#
# Rebuilt when what goes into the image changes: a stamp of the Dockerfile, .dockerignore, package*.json,
# tsconfig*.json and src/, and of the base stand-ins. The daemon's data root stays in the cache, so a rebuild
# reuses the `npm ci` layers while package*.json are unchanged.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$AIGW_REAL_CACHE/image"
archive="$out/aigw-otel-injector.tar"
tag=aigw-otel-injector:dev

inputs="$(
  cd "$repo"
  {
    find src -type f | LC_ALL=C sort
    printf '%s\n' Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json
  } | xargs sha256sum | sha256sum | cut -c1-16
)"
bases="$(sha256sum "$here/image/base-images.sh" "$here/image/dockerd.sh" "$0" | sha256sum | cut -c1-16)"
stamp="$inputs-$bases-node$NODE24_VERSION-npm$NODE24_NPM_VERSION"
mkdir -p "$out"
# One build at a time: two daemons on one data root would corrupt it. A second build.sh waits, then finds it cached.
exec 9>"$out/.lock"
flock 9
if [[ -s "$archive" && "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "image $tag: cached in $archive"
  exit 0
fi

# The engine and the base-image tools, from Debian's packages (apt-get update once, only when something is missing).
missing=()
command -v dockerd >/dev/null && [[ -x /usr/bin/docker ]] || missing+=(docker.io)
command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "image: needs ${missing[*]} (Debian packages) and root to build the image; its tests will skip" >&2
    [[ "${CI:-}" == "true" ]] && exit 1
    exit 0
  fi
  echo "image: installing ${missing[*]} from Debian's packages"
  # Other scripts may hold the dpkg lock for a while; wait for it (10 min) rather than fail.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# shellcheck source=../image/dockerd.sh
source "$here/image/dockerd.sh"
# A clean-up that fails must not fail a build that succeeded; dockerd_stop says what it could not undo.
trap 'dockerd_stop || echo "image: dockerd clean-up incomplete (see above)" >&2' EXIT
dockerd_start "$out/docker"

t0=$SECONDS
bash "$here/image/base-images.sh" "$out/base" "${DOCKER_CMD[@]}"
echo "image: base stand-ins ready in $((SECONDS - t0)) s"

t0=$SECONDS
echo "image: building $tag from the Dockerfile (classic builder)"
# --network host: the daemon has no bridge; `npm ci` reaches the registry as the host's npm does.
DOCKER_BUILDKIT=0 "${DOCKER_CMD[@]}" build --network host --tag "$tag" "$repo"
echo "image: $tag built in $((SECONDS - t0)) s"
"${DOCKER_CMD[@]}" save "$tag" --output "$archive.tmp"
mv "$archive.tmp" "$archive"
# The build stages' images are the next build's cache (its `npm ci` layers): name them (all cache hits, seconds),
# then drop what no image names any more (earlier builds' layers).
for stage in build production-deps; do
  DOCKER_BUILDKIT=0 "${DOCKER_CMD[@]}" build --quiet --network host --target "$stage" --tag "aigw-otel-injector-cache:$stage" "$repo" >/dev/null
done
"${DOCKER_CMD[@]}" image prune --force >/dev/null
echo "$stamp" >"$out/.source"
echo "image: $tag saved to $archive ($(($(stat -c %s "$archive") / 1000000)) MB)"
