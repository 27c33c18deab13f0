#!/usr/bin/env bash
# The real node's images, as OCI archives the node harness (test/harness/node) imports with `ctr images import`:
# no registry can be reached and nothing is pulled. Each image is one layer on a minimal base made here:
#   aigw.test/pause:3.10                        the sandbox image: our static Go pause (test/real/images/pause)
#   aigw.test/busybox:1                         Debian's busybox-static, for the tests' own small pods
#   aigw.test/otelcol:$OTELCOL_VERSION          the Collector (30-otelcol.sh), static Go
#   aigw.test/f5/aigw:$OTEL_GO_VERSION          the Go core program (40-sdk-go.sh): the name ends in /aigw, as F5's
#   aigw.test/f5/aigw-processors-f5:$OTEL_PY_VERSION  the Python processor (50-sdk-python.sh) on Debian bookworm's
#                                               python3 (3.11, mmdebstrap) with the venv's packages
# Each archive is remade when its inputs change (a stamp beside it). The injector's own image is 60-image.sh's.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
self="$here/parts/$(basename "$0")"
out="$AIGW_REAL_CACHE/node-images"
mkdir -p "$out"
archive="$here/images/oci_archive.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A stamp of this script, the archive writer and the given files; "$out/<image>.tar" is remade when it changes.
stamp_of() { cat "$self" "$archive" "$@" | sha256sum | cut -d' ' -f1; }
fresh() { [[ -f "$out/$1.tar" && "$(cat "$out/$1.tar.source" 2>/dev/null)" == "$2" ]]; }
done_image() { echo "$2" >"$out/$1.tar.source"; echo "node images: $1 ready"; }

# The base of the static images: a nonroot user (65532, as distroless images have) and a writable /tmp.
base="$work/base"
mkdir -p "$base/etc" "$base/tmp"
chmod 1777 "$base/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$base/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$base/etc/group"

# static <image> <reference> <binary> <name in image> [cmd JSON]
static() {
  local image="$1" ref="$2" binary="$3" name="$4" cmd="${5:-[]}"
  local stamp
  stamp="$(stamp_of "$binary" <(echo "$ref $name $cmd"))"
  fresh "$image" "$stamp" && { echo "node images: $image cached"; return 0; }
  local layer="$work/$image"
  mkdir -p "$layer"
  cp "$binary" "$layer/$name"
  python3 "$archive" --out "$out/$image.tar" --name "$ref" --layer-dir "$base" --layer-dir "$layer" \
    --entrypoint "[\"/$name\"]" --cmd "$cmd" --user 65532:65532
  done_image "$image" "$stamp"
}

# The pause program, built here (no dependencies, a second or two).
(cd "$here/images" && go build -trimpath -o "$work/bin/pause" ./pause)
static pause aigw.test/pause:3.10 "$work/bin/pause" pause

# busybox-static with a link for each applet, running as root like the busybox image (the tests set runAsUser).
stamp="$(stamp_of /bin/busybox)"
if fresh busybox "$stamp"; then echo "node images: busybox cached"; else
  layer="$work/busybox"
  mkdir -p "$layer/bin"
  cp /bin/busybox "$layer/bin/busybox"
  for applet in $(/bin/busybox --list); do [[ "$applet" == busybox ]] || ln -s busybox "$layer/bin/$applet"; done
  python3 "$archive" --out "$out/busybox.tar" --name aigw.test/busybox:1 --layer-dir "$base" --layer-dir "$layer" \
    --entrypoint '["/bin/sh"]'
  done_image busybox "$stamp"
fi

static otelcol "aigw.test/otelcol:$OTELCOL_VERSION" "$AIGW_REAL_CACHE/otelcol-$OTELCOL_VERSION/otelcol" otelcol
# The core program runs until stopped (a day's -hold): a Deployment's container must not exit.
static core "aigw.test/f5/aigw:$OTEL_GO_VERSION" "$AIGW_REAL_CACHE/sdk-go-$OTEL_GO_VERSION/aigw-core-sdk" \
  aigw-core-sdk '["-hold=24h"]'

# The processor: Debian bookworm's python3 (3.11, as the venv's) from mmdebstrap, cached by its command line, plus
# the venv's site-packages and processor.py.
venv="$AIGW_REAL_CACHE/sdk-python-$OTEL_PY_VERSION/venv"
site="$(echo "$venv"/lib/python3*/site-packages)"
# grpcio (the OTLP/gRPC exporter) links libstdc++.
rootfs_args=(--variant=essential --include=python3,libstdc++6 bookworm)
rootfs="$out/python-bookworm-rootfs.tar"
if [[ ! -f "$rootfs" || "$(cat "$rootfs.source" 2>/dev/null)" != "${rootfs_args[*]}" ]]; then
  command -v mmdebstrap >/dev/null || { echo "node images: no mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
  # The host's own Debian sources: mmdebstrap fetches through apt like any package install.
  sources=/etc/apt/sources.list.d/debian.sources
  [[ -f "$sources" ]] || sources=/etc/apt/sources.list
  # mmdebstrap picks the output format by the name's ending: the temporary name must end in .tar too.
  mmdebstrap --quiet "${rootfs_args[@]}" "$out/.python-rootfs.tmp.tar" "$sources"
  mv -f "$out/.python-rootfs.tmp.tar" "$rootfs"
  echo "${rootfs_args[*]}" >"$rootfs.source"
fi
stamp="$(stamp_of "$rootfs.source" "$venv/.complete" "$here/sdk-python/processor.py")"
if fresh processor "$stamp"; then echo "node images: processor cached"; else
  layer="$work/processor"
  mkdir -p "$layer/opt/otel" "$layer/app"
  cp -r "$site" "$layer/opt/otel/site-packages"
  find "$layer" -name __pycache__ -prune -exec rm -rf {} +
  cp "$here/sdk-python/processor.py" "$layer/app/processor.py"
  python3 "$archive" --out "$out/processor.tar" --name "aigw.test/f5/aigw-processors-f5:$OTEL_PY_VERSION" \
    --layer-tar "$rootfs" --layer-dir "$base" --layer-dir "$layer" --env PYTHONPATH=/opt/otel/site-packages \
    --env PYTHONDONTWRITEBYTECODE=1 --entrypoint '["python3", "/app/processor.py"]' --cmd '["--hold-ms=86400000"]' \
    --user 65532:65532
  done_image processor "$stamp"
fi
