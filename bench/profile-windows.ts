/**
 * Where a long-running webhook's CPU goes in given windows of wall time (issue 27): a `node --cpu-prof` profile of the
 * whole run, its samples cut by the windows' monotonic timestamps (process.hrtime in the bench, V8's TimeTicks in the
 * profile: both CLOCK_MONOTONIC on Linux) and summed by self time into the contributors the issue names, in ms of CPU
 * per second of wall time.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Window {
  readonly name: string;
  /** Monotonic µs (process.hrtime.bigint() / 1000n). */
  readonly fromUs: number;
  readonly toUs: number;
}

const EXPRESS =
  /node_modules\/(express|router|content-type|mime-types|mime-db|type-is|media-typer|finalhandler|on-finished|parseurl|path-to-regexp|depd|qs|accepts|negotiator|statuses|fresh|encodeurl|escape-html|vary|http-errors|is-promise)\//;

// The first rule that matches a profile node (function name, script url) names its contributor; in this order.
const RULES: [(f: string, url: string) => boolean, string][] = [
  [(f) => f === '(garbage collector)', 'GC'],
  [(f) => f === '(program)', 'native, outside JS (event loop, syscalls, V8)'],
  [(_, u) => /prom-client|\/observability\/(process-)?metrics/.test(u), 'metrics (prom-client)'],
  [(_, u) => /pino|sonic-boom|thread-stream/.test(u), 'logging (pino)'],
  [(_, u) => /\/dist\/(core|admission)\/|fast-json-patch|crypto/.test(u), 'review: decision, patch, diff'],
  [(_, u) => EXPRESS.test(u) || /\/dist\/http\//.test(u), 'review: express, body read, route'],
  [(_, u) => /\/dist\/namespaces\/|watch-stream|node:readline/.test(u), 'namespace informer'],
  [(_, u) => u.includes('/dist/kube/events'), 'Event flusher'],
  // fs/promises: the polls' stat; node:internal/fs/utils is also under pino's synchronous write, so not matched here.
  [(_, u) => /\/dist\/(files|tls)\/|node:internal\/fs\/promises/.test(u), 'file polling'],
  [(_, u) => u.includes('node:internal/timers'), 'timers'],
  [(_, u) => /@kubernetes\/client-node|\/dist\/(kube|rollout)\//.test(u), 'API client (other)'],
];

/** The contributor a profile node's self time belongs to; undefined for idle. */
export function contributor({ callFrame: { functionName, url } }: ProfileNode): string | undefined {
  if (functionName === '(idle)') return undefined;
  return RULES.find(([matches]) => matches(functionName, url))?.[1] ?? 'Node: TLS, HTTP, sockets, streams';
}

/** ms of CPU per s of wall time, per contributor, in each window. */
export function windowContributors(file: string, windows: readonly Window[]): Record<string, Record<string, number>> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n] as const)));
  // A native function (no script: a socket's writeString, a hash) counts for the script that called it: the same
  // writeString is a log line under sonic-boom and an encrypted answer under the TLS socket.
  const caller = (node: ProfileNode): ProfileNode => {
    let n = node;
    while (n.callFrame.url === '' && !n.callFrame.functionName.startsWith('(') && parent.has(n.id))
      n = parent.get(n.id)!;
    return n.callFrame.url === '' ? node : n;
  };
  const sums: Record<string, number>[] = windows.map(() => ({}));
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const node = byId.get(id);
    const name = node && contributor(caller(node));
    if (name === undefined) return;
    windows.forEach((w, k) => {
      if (t >= w.fromUs && t < w.toUs) sums[k]![name] = (sums[k]![name] ?? 0) + delta;
    });
  });
  return Object.fromEntries(
    windows.map((w, k) => {
      const seconds = (w.toUs - w.fromUs) / 1e6;
      const perS = Object.entries(sums[k]!).map(([n, us]) => [n, Math.round((us / 1000 / seconds) * 1000) / 1000]);
      return [w.name, Object.fromEntries(perS)];
    }),
  );
}

export function contributorTable(byWindow: Record<string, Record<string, number>>): string {
  const windows = Object.keys(byWindow);
  const names = [...new Set(windows.flatMap((w) => Object.keys(byWindow[w]!)))].sort(
    (a, b) => (byWindow[windows.at(-1)!]?.[b] ?? 0) - (byWindow[windows.at(-1)!]?.[a] ?? 0),
  );
  const lines = [
    `| ms of CPU per s (profiled, main thread) | ${windows.join(' | ')} |`,
    `|---|${windows.map(() => '---:').join('|')}|`,
  ];
  for (const n of names) lines.push(`| ${n} | ${windows.map((w) => (byWindow[w]![n] ?? 0).toFixed(3)).join(' | ')} |`);
  const total = (w: string) => Object.values(byWindow[w]!).reduce((s, v) => s + v, 0);
  lines.push(`| **total** | ${windows.map((w) => `**${total(w).toFixed(3)}**`).join(' | ')} |`);
  return lines.join('\n');
}
