/**
 * A second mutating webhook for the real API server to call, standing for Istio's sidecar injector: it adds an
 * `istio-proxy` container with its own env and an `istio-envoy` emptyDir mounted into it, to every pod it is sent.
 * It records the pod as it received it, so a test can see what earlier webhooks had already done.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { ControlPlane } from './control-plane.js';
import { freePort } from './process.js';

export const SIDECAR_ENV = [{ name: 'ISTIO_META_MESH_ID', value: 'cluster.local' }];
export const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.24.0';

export interface SidecarWebhook {
  readonly port: number;
  /** The pods as this webhook received them, by name, in order. */
  received(name: string): any[];
  /** A MutatingWebhookConfiguration that sends it the CREATE of pods in namespaces with this label. */
  configuration(name: string, caBundle: string, namespaceLabel: Record<string, string>): object;
  stop(): Promise<void>;
}

/** The JSON patch adding the sidecar, its volume and its mount (`volumes` may be absent: add it whole then). */
function sidecarPatch(pod: any): object[] {
  const volume = { name: 'istio-envoy', emptyDir: { medium: 'Memory' } };
  const container = {
    name: 'istio-proxy',
    image: SIDECAR_IMAGE,
    env: SIDECAR_ENV,
    volumeMounts: [{ name: 'istio-envoy', mountPath: '/etc/istio/proxy' }],
  };
  return [
    { op: 'add', path: '/spec/containers/-', value: container },
    pod.spec.volumes === undefined
      ? { op: 'add', path: '/spec/volumes', value: [volume] }
      : { op: 'add', path: '/spec/volumes/-', value: volume },
  ];
}

/** Starts the sidecar webhook on loopback with this serving certificate (one the caBundle given later trusts). */
export async function startSidecarWebhook(tls: { certFile: string; keyFile: string }): Promise<SidecarWebhook> {
  const received = new Map<string, any[]>();
  const server: Server = createServer(
    { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
    (req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const review = JSON.parse(body);
        const pod = review.request.object;
        const name = pod.metadata.name || pod.metadata.generateName;
        received.set(name, [...(received.get(name) ?? []), pod]);
        const patch = Buffer.from(JSON.stringify(sidecarPatch(pod))).toString('base64');
        const response = { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch };
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      });
    },
  );
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    received: (name) => received.get(name) ?? [],
    configuration: (name, caBundle, namespaceLabel) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
      webhooks: [
        {
          name: `${name}.sidecar.test`,
          admissionReviewVersions: ['v1'],
          clientConfig: { url: `https://127.0.0.1:${port}/inject`, caBundle },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          namespaceSelector: { matchLabels: namespaceLabel },
          // As Istio ships its injector: a failed call refuses the pod, and it is never called twice.
          failurePolicy: 'Fail',
          reinvocationPolicy: 'Never',
          sideEffects: 'None',
          timeoutSeconds: 10,
        },
      ],
    }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Until the API server calls the sidecar webhook for pods in the namespace (its configuration cache caught up). */
export async function waitForSidecar(cp: ControlPlane, webhook: SidecarWebhook, namespace: string): Promise<void> {
  const probe = `sidecar-probe-${namespace}`;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: probe, namespace },
    spec: { containers: [{ name: 'probe', image: 'registry.k8s.io/pause:3.10' }] },
  };
  // The API server loads webhook configurations through an informer: seconds on a loaded machine.
  const deadline = Date.now() + 60_000;
  while (webhook.received(probe).length === 0) {
    if (Date.now() > deadline) throw new Error(`sidecar webhook not called for ${namespace}`);
    await cp.kubectl(['create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(pod), allowFailure: true });
    await new Promise((r) => setTimeout(r, 250));
  }
}
