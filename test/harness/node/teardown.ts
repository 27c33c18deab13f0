/**
 * Everything the real node changes on the machine, recorded before it starts, and the one POSIX sh script that
 * undoes it. The harness runs the script from stop(), and registers it with runOnDeath (test/harness/process) so
 * that it also runs when the test runner dies: a node cannot be left half-running on the machine.
 *
 * What it undoes (what the node trial on this machine found the kubelet, containerd, CNI and kube-proxy change):
 *   - processes: every process whose command line names the run folder (containerd's shims, which leave their
 *     process group), and every process in the node's cgroups (the containers);
 *   - mounts under the run folder and the pods' network namespaces;
 *   - kube-proxy's rules (`kube-proxy --cleanup`), then every iptables/ip6tables chain named KUBE-* or CNI-* that
 *     was not there before, with the rules of the built-in chains that jump to it, and our FORWARD rule;
 *   - the bridge and the route to the Service range;
 *   - the sysctls the kubelet sets (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops) and any other the
 *     node may touch, back to their values before;
 *   - the cgroups `kubepods` and `k8s.io` in each hierarchy, and the folders outside the run folder the kubelet,
 *     containerd and CNI create (/var/lib/kubelet, /var/log/pods, /var/log/containers, /var/lib/cni, /run/netns,
 *     /run/containerd), each only when it did not exist before.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { NODE_NETWORK } from './configs.js';

/** Sysctls the node may change (the kubelet's three, and what kube-proxy and CNI may set), restored after. */
export const SYSCTLS = [
  'vm/overcommit_memory',
  'kernel/panic',
  'kernel/panic_on_oops',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
  'net/netfilter/nf_conntrack_max',
] as const;

/** Folders outside the run folder the node's programs create (paths they hard-code). */
export const OUTSIDE_FOLDERS = [
  '/var/lib/kubelet',
  '/var/log/pods',
  '/var/log/containers',
  '/var/lib/cni',
  '/run/netns',
  '/run/containerd',
  '/run/nri',
] as const;

/** The cgroups the kubelet (kubepods) and containerd (k8s.io) make in each hierarchy. */
export const CGROUPS = ['kubepods', 'k8s.io'] as const;

const TABLES = ['filter', 'nat', 'mangle'] as const;
const IPTABLES = ['iptables', 'ip6tables'] as const;

export interface MachineBefore {
  readonly sysctls: Readonly<Record<string, string>>;
  /** `<command> <table> <chain>` of every chain present before. */
  readonly chains: readonly string[];
  /** Which of OUTSIDE_FOLDERS existed. */
  readonly folders: readonly string[];
  /** The cgroup folders (`/sys/fs/cgroup/<hierarchy>/<name>`) that existed. */
  readonly cgroups: readonly string[];
  /** The entries of /run/netns. */
  readonly netns: readonly string[];
}

/** The cgroup hierarchies: each folder of /sys/fs/cgroup (cgroup v1 controllers and the unified v2 one). */
export function cgroupHierarchies(): string[] {
  return readdirSync('/sys/fs/cgroup', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `/sys/fs/cgroup/${d.name}`);
}

function chainsOf(command: string, table: string): string[] {
  try {
    const rules = execFileSync(command, ['-w', '5', '-t', table, '-S'], { encoding: 'utf8', stdio: 'pipe' });
    return rules
      .split('\n')
      .filter((l) => l.startsWith('-N ') || l.startsWith('-P '))
      .map((l) => `${command} ${table} ${l.split(' ')[1]}`);
  } catch {
    return [];
  }
}

/** What the machine looks like now, in what the node may change. */
export function recordMachine(): MachineBefore {
  const sysctls: Record<string, string> = {};
  for (const s of SYSCTLS) {
    try {
      sysctls[s] = readFileSync(`/proc/sys/${s}`, 'utf8').trim();
    } catch {
      // Absent on this kernel: nothing to restore.
    }
  }
  const hierarchies = cgroupHierarchies();
  return {
    sysctls,
    chains: IPTABLES.flatMap((c) => TABLES.flatMap((t) => chainsOf(c, t))),
    folders: OUTSIDE_FOLDERS.filter((f) => existsSync(f)),
    cgroups: hierarchies.flatMap((h) => CGROUPS.map((c) => `${h}/${c}`)).filter((c) => existsSync(c)),
    netns: existsSync('/run/netns') ? readdirSync('/run/netns') : [],
  };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface TeardownInputs {
  readonly before: MachineBefore;
  /** The run folder: every process naming it dies, every mount under it goes, then it goes. */
  readonly dir: string;
  readonly kubeProxy: string;
}

/** The teardown script (POSIX sh, run by dash): idempotent, every step tolerates what is already gone. */
export function teardownScript({ before, dir, kubeProxy }: TeardownInputs): string {
  const { bridge, podCidr, serviceCidr } = NODE_NETWORK;
  const keptChains = new Set(before.chains);
  const lines: string[] = [
    '#!/bin/sh',
    '# Written by test/harness/node/teardown.ts: undoes what one real node changed on this machine.',
    `dir=${q(dir)}`,
    // Containers first (they are in the node's cgroups), then anything naming the run folder (shims, containerd,
    // the kubelet if still there), twice: a shim may start a process while the first pass runs.
    'killall_node() {',
    ...CGROUPS.map(
      (c) =>
        `  for f in $(find /sys/fs/cgroup/*/${c} -name cgroup.procs 2>/dev/null); do for p in $(cat "$f" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done; done`,
    ),
    '  for p in /proc/[0-9]*; do',
    '    case "$(tr "\\0" " " <"$p/cmdline" 2>/dev/null)" in *"$dir"*) [ "${p#/proc/}" = "$$" ] || kill -KILL "${p#/proc/}" 2>/dev/null;; esac',
    '  done',
    '}',
    'killall_node; sleep 1; killall_node',
    // Mounts: deepest first (container root file systems, volumes, network namespaces).
    `for m in $(awk -v d="$dir" 'index($5, d) == 1 || index($5, "/run/netns/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do`,
    `  case "$m" in /run/netns/*) n=\${m#/run/netns/}; case ${q(` ${before.netns.join(' ')} `)} in *" $n "*) continue;; esac;; esac`,
    '  umount -l "$m" 2>/dev/null',
    'done',
    // kube-proxy's own rules (KUBE-SERVICES and friends), then every KUBE-*/CNI-* chain that is new.
    `${q(kubeProxy)} --cleanup >/dev/null 2>&1`,
  ];
  for (const cmd of IPTABLES) {
    for (const table of TABLES) {
      const kept = [...keptChains].filter((c) => c.startsWith(`${cmd} ${table} `)).map((c) => c.split(' ')[2] ?? '');
      lines.push(
        `new=$(${cmd} -w 5 -t ${table} -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^KUBE-/ || $2 ~ /^CNI-/) { print $2 }' | grep -vxF -e '' ${kept.map((k) => `-e ${q(k)}`).join(' ')})`,
        `for c in $new; do ${cmd} -w 5 -t ${table} -S 2>/dev/null | awk -v c="$c" '$1 == "-A" && $0 ~ (" -j " c "( |$)") { $1 = "-D"; print }' | while read -r rule; do eval "${cmd} -w 5 -t ${table} $rule" 2>/dev/null; done; done`,
        `for c in $new; do ${cmd} -w 5 -t ${table} -F "$c" 2>/dev/null; done`,
        `for c in $new; do ${cmd} -w 5 -t ${table} -X "$c" 2>/dev/null; done`,
      );
    }
  }
  lines.push(
    `while iptables -w 5 -D FORWARD -i ${bridge} -o ${bridge} -j ACCEPT 2>/dev/null; do :; done`,
    `ip route del ${serviceCidr} dev ${bridge} 2>/dev/null`,
    `ip link del ${bridge} 2>/dev/null`,
    // host-local's leases and the pod range's routes go with the bridge; nothing of the pod range may remain.
    `ip route del ${podCidr} 2>/dev/null`,
  );
  for (const [name, value] of Object.entries(before.sysctls)) {
    lines.push(`echo ${q(value)} >/proc/sys/${name} 2>/dev/null`);
  }
  // cgroups: deepest first; a cgroup folder goes with rmdir once its processes are gone.
  const keptGroups = before.cgroups.map(q).join(' ');
  lines.push(
    'for h in /sys/fs/cgroup/*; do',
    `  for c in ${CGROUPS.join(' ')}; do`,
    '    [ -d "$h/$c" ] || continue',
    `    case " ${keptGroups} " in *" '$h/$c' "*) continue;; esac`,
    '    find "$h/$c" -depth -type d -exec rmdir {} \\; 2>/dev/null',
    '  done',
    'done',
  );
  for (const folder of OUTSIDE_FOLDERS) {
    if (!before.folders.includes(folder)) lines.push(`rm -rf ${q(folder)}`);
  }
  if (before.folders.includes('/run/netns')) {
    lines.push(
      `for n in $(ls /run/netns 2>/dev/null); do case ${q(` ${before.netns.join(' ')} `)} in *" $n "*) ;; *) rm -f "/run/netns/$n";; esac; done`,
    );
  }
  lines.push('rm -rf "$dir"', '');
  return lines.join('\n');
}
