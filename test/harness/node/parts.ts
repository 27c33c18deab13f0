/**
 * What the real node needs besides the built parts of test/helpers/real-parts.ts: Debian's runc, CNI plugins and
 * iptables (installed by test/real/parts/70-node.sh), root, and the image references the archives carry
 * (test/real/parts/72-node-images.sh, 60-image.sh).
 */
import { existsSync } from 'node:fs';
import { haveRealParts, realVersions, type RealPart } from '../../helpers/real-parts.js';

/** Debian's runc (runc 1.1.5) and CNI plugins (containernetworking-plugins 1.1.1). */
export const RUNC = '/usr/sbin/runc';
export const CNI_BIN_DIR = '/usr/lib/cni';
const DEBIAN = [RUNC, `${CNI_BIN_DIR}/bridge`, `${CNI_BIN_DIR}/host-local`, `${CNI_BIN_DIR}/portmap`];
const PROGRAMS = ['/usr/sbin/iptables', '/usr/sbin/conntrack'];

/** The references each archive is imported under (the name a pod's `image` gives). */
export const IMAGE_REFS = {
  pause: 'aigw.test/pause:3.10',
  busybox: 'aigw.test/busybox:1',
  otelcol: `aigw.test/otelcol:${realVersions.OTELCOL_VERSION}`,
  /** Ends in /aigw, as F5's core image does: the injector's image rule makes it a core. */
  core: `aigw.test/f5/aigw:${realVersions.OTEL_GO_VERSION}`,
  /** Starts with aigw-processors-, as F5's processor images do. */
  processor: `aigw.test/f5/aigw-processors-f5:${realVersions.OTEL_PY_VERSION}`,
  /** `docker save` of aigw-otel-injector:dev; containerd names it in full. */
  injector: 'docker.io/library/aigw-otel-injector:dev',
} as const;

const NODE: RealPart[] = ['kubeApiserver', 'kubeControllerManager', 'kubectl', 'etcd'];
NODE.push('kubelet', 'kubeScheduler', 'kubeProxy', 'containerd', 'ctr', 'pauseImage');

/**
 * Whether a real node can start here, with the named extra parts (images, helm). Under CI=true anything missing is
 * an error (haveRealParts); elsewhere the caller skips with one line.
 */
export function haveNodeParts(...extra: RealPart[]): boolean {
  const missing = [...DEBIAN, ...PROGRAMS].filter((p) => !existsSync(p));
  const root = process.getuid?.() === 0;
  if (missing.length > 0 || !root) {
    const why = `${root ? '' : 'not root; '}missing ${missing.join(', ') || 'nothing'}: run \`bash test/real/build.sh\``;
    if (process.env.CI === 'true') throw new Error(`CI=true: the real node cannot start (${why})`);
    console.warn(`skipping the real node: ${why}`);
    return false;
  }
  return haveRealParts(...NODE, ...extra);
}
