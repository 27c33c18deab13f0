/**
 * One source of truth: the chart and the kustomize manifests are kept side by side, and this proves they render the
 * same objects — names, RBAC rules, webhook rules and matchConditions, selectors, the container spec, the alerts and
 * the dashboard — with `helm template` (real helm) and `kubectl kustomize` (real kubectl) of the same install.
 * The only differences allowed are listed in ALLOWED, each with why; each must be needed by some case, so the list
 * cannot go stale.
 */
import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../manifests/render.js';
import { ALL_ON, key, kustomize, template } from '../helpers/helm.js';
import { haveRealParts } from '../helpers/real-parts.js';

const real = haveRealParts('helm', 'kubectl');

type Objects = K8sObject[];
interface Allowed {
  readonly name: string;
  /** Changes the chart's or kustomize's objects in place to remove this difference; true if it changed anything. */
  readonly remove: (chart: Objects, kustomized: Objects) => boolean;
}

/** Labels the chart adds to every object's metadata, as Helm charts do. */
const HELM_LABELS = [
  'helm.sh/chart',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
];
const INSTANCE = 'app.kubernetes.io/instance';

const dropKeys = (labels: Record<string, string> | undefined, keys: string[]): boolean => {
  let changed = false;
  for (const k of keys) {
    if (labels !== undefined && k in labels) {
      delete labels[k];
      changed = true;
    }
  }
  return changed;
};
const removeWhere = (objects: Objects, pick: (o: K8sObject) => boolean): boolean => {
  const before = objects.length;
  objects.splice(0, objects.length, ...objects.filter((o) => !pick(o)));
  return objects.length !== before;
};
/** Every label selector and pod-template label set of an object. */
const selectorsOf = (o: K8sObject): (Record<string, string> | undefined)[] => {
  const spec = o.spec ?? {};
  return [
    o.kind === 'Service' ? spec.selector : undefined,
    spec.selector?.matchLabels,
    spec.template?.metadata?.labels,
    ...((spec.template?.spec?.topologySpreadConstraints ?? []) as { labelSelector?: { matchLabels?: any } }[]).map(
      (c) => c.labelSelector?.matchLabels,
    ),
  ];
};
const GENERATED = '<generated for this rendering>';

export const ALLOWED: Allowed[] = [
  {
    // A chart installs into the release namespace (created with the PSS label as the README says, or by
    // --create-namespace): a chart that renders its own Namespace fails when it exists already.
    name: 'the Namespace object: rendered by kustomize only',
    remove: (_chart, kustomized) => removeWhere(kustomized, (o) => o.kind === 'Namespace'),
  },
  {
    name: 'Helm labels on every object: helm.sh/chart, app.kubernetes.io/instance, version, managed-by',
    remove: (chart) => chart.map((o) => dropKeys(o.metadata.labels, HELM_LABELS)).some(Boolean),
  },
  {
    // Two releases in one cluster must not select each other's pods.
    name: 'app.kubernetes.io/instance (the release) in selectors, pod labels and the topology spread selector',
    remove: (chart) => chart.flatMap((o) => selectorsOf(o).map((s) => dropKeys(s, [INSTANCE]))).some(Boolean),
  },
  {
    // kustomize's `labels` in manifests/base reach only the base's objects, not what an overlay adds; the chart
    // labels everything. Adding the same `labels` to the two overlays would remove this entry (and this test says so).
    name: 'app.kubernetes.io/name and part-of labels on the objects the overlays add (TLS Secret, Issuer, Certificate)',
    remove: (chart, kustomized) =>
      chart
        .filter((o) => ['Secret', 'Issuer', 'Certificate'].includes(o.kind))
        .filter((o) => kustomized.some((k) => key(k) === key(o) && k.metadata.labels === undefined))
        .map((o) => dropKeys(o.metadata.labels, ['app.kubernetes.io/name', 'app.kubernetes.io/part-of']))
        .some(Boolean),
  },
  {
    // The chart keeps its CA (and the CA's key) so that an upgrade keeps the caBundle; it is never mounted.
    name: 'the chart-generated CA in its own Secret <release>-ca',
    remove: (chart) => removeWhere(chart, (o) => o.kind === 'Secret' && o.metadata.name.endsWith('-ca')),
  },
  {
    // What the next upgrade reads to decide whether to keep the serving certificate.
    name: 'annotations aigw-otel.io/dns-names and aigw-otel.io/not-after on the chart-generated TLS Secret',
    remove: (chart) =>
      chart
        .filter((o) => o.kind === 'Secret')
        .map((o) => {
          const had = o.metadata.annotations !== undefined;
          delete o.metadata.annotations;
          return had;
        })
        .some(Boolean),
  },
  {
    // Both make a fresh CA and certificate per rendering (generate.sh for kustomize, the chart's functions); that
    // the caBundle is the CA of the mounted certificate is checked in each (test/manifests, test/helm).
    name: 'certificate material: TLS Secret data values and webhook caBundles (same keys on both sides)',
    remove: (chart, kustomized) => {
      let changed = false;
      for (const o of [...chart, ...kustomized]) {
        if (o.kind === 'Secret') {
          for (const k of Object.keys(o.data ?? {})) o.data[k] = GENERATED;
          changed = true;
        }
        for (const w of (o.webhooks ?? []) as { clientConfig: { caBundle?: string } }[]) {
          if (w.clientConfig.caBundle !== undefined) w.clientConfig.caBundle = GENERATED;
        }
      }
      return changed;
    },
  },
];

/** The install each case renders both ways. */
const CASES: [
  name: string,
  chartValues: Record<string, unknown>,
  overlay: 'static-certs' | 'cert-manager',
  components: string[],
][] = [
  ['default values = the static-certs overlay', {}, 'static-certs', []],
  [
    'every switch on = static-certs with the auto-rollout and monitoring components',
    ALL_ON,
    'static-certs',
    ['auto-rollout', 'monitoring'],
  ],
  [
    'certificates from cert-manager = the cert-manager overlay',
    { certificates: { source: 'certManager' } },
    'cert-manager',
    [],
  ],
];

const rendered = new Map<string, { chart: Objects; kustomized: Objects; used: string[] }>();
function both(name: string): { chart: Objects; kustomized: Objects; used: string[] } {
  const cached = rendered.get(name);
  if (cached) return cached;
  const [, values, overlay, components] = CASES.find(([n]) => n === name) ?? [];
  if (values === undefined || overlay === undefined || components === undefined) throw new Error(name);
  const chart = template(values);
  const kustomized = kustomize(overlay, components);
  const used = ALLOWED.filter((a) => a.remove(chart, kustomized)).map((a) => a.name);
  // A label set emptied by the removals above is no label set.
  for (const o of chart) if (Object.keys(o.metadata.labels ?? {}).length === 0) delete o.metadata.labels;
  const result = { chart, kustomized, used };
  rendered.set(name, result);
  return result;
}
const byKey = (objects: Objects) => Object.fromEntries(objects.map((o) => [key(o), o]));

describe.skipIf(!real)('the chart and the kustomize manifests render the same objects', () => {
  it.each(CASES)('%s: same objects, field for field, but for the allowed differences', (name) => {
    const { chart, kustomized } = both(name);
    expect(Object.keys(byKey(chart)).sort()).toEqual(Object.keys(byKey(kustomized)).sort());
    for (const [k, o] of Object.entries(byKey(kustomized))) expect.soft(byKey(chart)[k], k).toEqual(o);
  });

  it('every allowed difference is needed by some case (the list names only real differences)', () => {
    const used = new Set(CASES.flatMap(([name]) => both(name).used));
    expect(ALLOWED.map((a) => a.name).filter((n) => !used.has(n))).toEqual([]);
  });

  it('the comparison can fail: a chart value the kustomize manifests do not have is caught', () => {
    const chart = template({ logLevel: 'debug' });
    const kustomized = kustomize('static-certs');
    for (const a of ALLOWED) a.remove(chart, kustomized);
    const deployment = (objects: Objects) => byKey(objects)['Deployment/aigw-otel-injector/aigw-otel-injector'];
    expect(deployment(chart)).not.toEqual(deployment(kustomized));
  });
});
