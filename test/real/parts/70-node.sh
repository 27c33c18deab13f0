#!/usr/bin/env bash
# The real node's programs: kubelet, kube-scheduler and kube-proxy from the same k8s.io/kubernetes release as the
# control plane (test/real/node: its own module, so the control plane's pins and stamp stay as they are), and
# containerd 2.x with its runc shim and ctr (test/real/containerd). runc, the CNI plugins, iptables and conntrack
# come from Debian's packages, installed here when missing:
#   - runc needs cgo and C code (its nsenter) plus libseccomp; Debian's 1.1.5 is what the node trial ran with;
#   - the kubelet and kube-proxy call the iptables and conntrack programs, which only a package gives anyway;
#   - containernetworking-plugins 1.1.1 has every plugin the node uses (bridge, host-local, loopback, portmap).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
self="$here/parts/$(basename "$0")"
# The version a go.mod requires a module at (in a require block or on a one-line require).
pin() { awk -v m="$1" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$2"; }

# --- Debian packages --------------------------------------------------------------------------------------------
# The CNI plugins are looked up in Debian's folder; the harness (test/harness/node) reads the same path.
cni_dir=/usr/lib/cni
missing=()
command -v runc >/dev/null || missing+=(runc)
command -v iptables >/dev/null || missing+=(iptables)
command -v conntrack >/dev/null || missing+=(conntrack)
# busybox-static and mmdebstrap make the base images (75-node-images.sh).
for p in busybox-static mmdebstrap; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
done
for p in bridge host-local loopback portmap; do [[ -x "$cni_dir/$p" ]] || { missing+=(containernetworking-plugins); break; }; done
if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "node: missing Debian packages ${missing[*]} and cannot install them (needs root and apt-get)" >&2
    exit 1
  fi
  echo "node: installing Debian packages ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# --- kubelet, kube-scheduler, kube-proxy ------------------------------------------------------------------------
out="$AIGW_REAL_CACHE/node-$KUBE_VERSION"
bins=(kubelet kube-scheduler kube-proxy)
module="$here/node"
pinned="$(pin k8s.io/kubernetes "$module/go.mod")"
control_plane="$(pin k8s.io/kubernetes "$here/kubernetes/go.mod")"
if [[ "$pinned" != "$control_plane" ]]; then
  echo "node: test/real/node/go.mod pins k8s.io/kubernetes $pinned, test/real/kubernetes/go.mod $control_plane: change both together" >&2
  exit 1
fi
stamp="$(cat "$module/go.mod" "$module/go.sum" "$module/tools.go" "$self" | sha256sum | cut -d' ' -f1)"
complete() { for b in "${bins[@]}"; do [[ -x "$out/$b" ]] || return 1; done; }
if complete && [[ "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "node $KUBE_VERSION: cached in $out"
else
  if [[ "$KUBE_VERSION" != "$pinned" ]]; then
    # Another release (KUBE_VERSION=…): 10-kubernetes.sh has resolved a module for it in the cache; ours is a copy
    # of that one with the node commands named, tidied there.
    from="$AIGW_REAL_CACHE/kubernetes-$KUBE_VERSION/module"
    [[ -f "$from/go.mod" ]] || { echo "node: no module for $KUBE_VERSION in $from (run 10-kubernetes.sh first)" >&2; exit 1; }
    module="$out/module"
    mkdir -p "$module"
    cp "$from/go.mod" "$from/go.sum" "$module/"
    cp "$here/node/tools.go" "$module/"
    sed -i 's|^module .*|module aigw-otel-injector/test/real/node|' "$module/go.mod"
    echo "node $KUBE_VERSION: resolving a module for it (not the committed pin $pinned)"
    (cd "$module" && go mod tidy)
  fi
  mkdir -p "$out"
  echo "node $KUBE_VERSION: building ${bins[*]} into $out (minutes on a cold Go build cache)"
  IFS=. read -r _ minor _ <<<"$KUBE_VERSION"
  # The version stamp Kubernetes' own build sets (hack/lib/version.sh): the Node object reports it.
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  cd "$module"
  for b in "${bins[@]}"; do
    t0=$SECONDS
    go build -trimpath -ldflags "$ldflags" -o "$out/.$b.new" "k8s.io/kubernetes/cmd/$b"
    mv -f "$out/.$b.new" "$out/$b"
    echo "node $KUBE_VERSION: $b built in $((SECONDS - t0)) s"
  done
  complete
  echo "$stamp" >"$out/.source"
  "$out/kubelet" --version
fi

# --- containerd -------------------------------------------------------------------------------------------------
out="$AIGW_REAL_CACHE/containerd-$CONTAINERD_VERSION"
module="$here/containerd"
pinned="$(pin github.com/containerd/containerd/v2 "$module/go.mod")"
if [[ "$CONTAINERD_VERSION" != "$pinned" ]]; then
  echo "node: CONTAINERD_VERSION=$CONTAINERD_VERSION but test/real/containerd/go.mod pins $pinned: change both together" >&2
  exit 1
fi
stamp="$(cat "$module/go.mod" "$module/go.sum" "$module/tools.go" "$self" | sha256sum | cut -d' ' -f1)"
if [[ -x "$out/containerd" && -x "$out/containerd-shim-runc-v2" && -x "$out/ctr" &&
  "$(cat "$out/.source" 2>/dev/null)" == "$stamp" ]]; then
  echo "containerd $CONTAINERD_VERSION: cached in $out"
  exit 0
fi
mkdir -p "$out"
cd "$module"
pkg=github.com/containerd/containerd/v2
ldflags="-X $pkg/version.Version=$CONTAINERD_VERSION"
# Snapshotters this machine cannot use (btrfs, devmapper, zfs) and the docs generator are left out, as
# containerd's own static builds do; the shim needs no gRPC server (it speaks ttrpc).
t0=$SECONDS
go build -trimpath -tags 'urfave_cli_no_docs no_btrfs no_devmapper no_zfs' -ldflags "$ldflags" -o "$out/.containerd.new" "$pkg/cmd/containerd"
echo "containerd $CONTAINERD_VERSION: containerd built in $((SECONDS - t0)) s"
t0=$SECONDS
go build -trimpath -tags 'no_grpc' -ldflags "$ldflags" -o "$out/.containerd-shim-runc-v2.new" "$pkg/cmd/containerd-shim-runc-v2"
echo "containerd $CONTAINERD_VERSION: containerd-shim-runc-v2 built in $((SECONDS - t0)) s"
t0=$SECONDS
go build -trimpath -tags 'urfave_cli_no_docs no_btrfs no_devmapper no_zfs' -ldflags "$ldflags" -o "$out/.ctr.new" "$pkg/cmd/ctr"
echo "containerd $CONTAINERD_VERSION: ctr built in $((SECONDS - t0)) s"
for b in containerd containerd-shim-runc-v2 ctr; do mv -f "$out/.$b.new" "$out/$b"; done
echo "$stamp" >"$out/.source"
"$out/containerd" --version
