/**
 * The real node itself (test/harness/node): the kubelet registers, runs pods on the harness's bridge as the
 * kubelet materialises them (env expansion, Secret files with fsGroup), and kube-proxy routes a ClusterIP from a
 * pod and from the machine (where the API server calls webhooks from). Every assertion is on what ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realPaths, realVersions } from '../helpers/real-parts.js';
import { NODE_NETWORK } from '../harness/node/configs.js';
import { NODE_START_MS, NODE_STOP_MS, startNodeCluster, type NodeCluster } from '../harness/node/node-cluster.js';
import { IMAGE_REFS, haveNodeParts } from '../harness/node/parts.js';
import { containerPid, eventually, getPods, logs, processFacts, type PodJson } from '../harness/node/pods.js';

const describeNode = describe.skipIf(!haveNodeParts('busyboxImage'));
// A pod on an idle node starts in seconds; a loaded two-core machine (image unpack, CNI, runc) takes longer.
const POD_MS = 90_000;

const secretPod = (name: string, fsGroup: number | undefined) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'node-basics' },
  spec: {
    securityContext: { runAsUser: 65532, runAsGroup: 65532, ...(fsGroup === undefined ? {} : { fsGroup }) },
    containers: [
      {
        name: 'main',
        image: IMAGE_REFS.busybox,
        imagePullPolicy: 'Never',
        command: [
          'sh',
          '-c',
          'cat /secret/key && echo; ls -lnL /secret/key; echo "B=$B"; echo "C=$C"; exec sleep 3600',
        ],
        env: [
          { name: 'A', value: 'first' },
          { name: 'B', value: '$(A)-second' },
          { name: 'C', value: '$(LATER)' },
          { name: 'LATER', value: 'x' },
        ],
        volumeMounts: [{ name: 'secret', mountPath: '/secret', readOnly: true }],
      },
    ],
    volumes: [{ name: 'secret', secret: { secretName: 'payload', defaultMode: 0o440 } }],
  },
});

describeNode('a real node: kubelet, containerd, CNI bridge, kube-proxy', () => {
  let node: NodeCluster;
  beforeAll(async () => {
    node = await startNodeCluster({ images: [realPaths.busyboxImage] });
    await node.kubectl(['create', 'namespace', 'node-basics']);
    await node.kubectl(['-n', 'node-basics', 'create', 'secret', 'generic', 'payload', '--from-literal=key=s3cret']);
  }, NODE_START_MS);
  afterAll(() => node?.stop(), NODE_STOP_MS);

  it('registers the Node Ready, at the bridge address, with the built kubelet version', async () => {
    const got = await node.getJson(['get', 'node', node.nodeName]);
    expect(got.status.addresses).toContainEqual({ type: 'InternalIP', address: NODE_NETWORK.nodeIp });
    expect(got.status.nodeInfo.kubeletVersion).toBe(realVersions.KUBE_VERSION);
    expect(got.status.nodeInfo.containerRuntimeVersion).toBe(
      `containerd://${realVersions.CONTAINERD_VERSION.replace(/^v/, '')}`,
    );
    console.info(`real node: Ready in ${node.nodeStartupMs} ms (lock waited ${node.lockWaitMs} ms)`);
  });

  it.each([
    { name: 'with-fsgroup', fsGroup: 3000, reads: true },
    { name: 'without-fsgroup', fsGroup: undefined, reads: false },
  ])(
    '$name: the kubelet writes the 0440 Secret file root-owned; uid 65532 reads it only through fsGroup',
    async (c) => {
      await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(secretPod(c.name, c.fsGroup)) });
      const pod = await eventually(
        `pod ${c.name} running`,
        async () => {
          const [p] = (await getPods(node, 'node-basics')).filter((x) => x.metadata.name === c.name);
          return p?.status.containerStatuses?.[0]?.state?.running ? p : undefined;
        },
        POD_MS,
      );
      expect(pod.status.podIP?.startsWith('10.244.0.')).toBe(true);
      const out = await eventually(
        'its log',
        async () =>
          (await logs(node, 'node-basics', c.name)).includes('C=')
            ? await logs(node, 'node-basics', c.name)
            : undefined,
        POD_MS,
      );
      expect(out.includes('s3cret')).toBe(c.reads);
      if (!c.reads) expect(out).toContain('Permission denied');
      // $(A) was defined earlier: expanded. $(LATER) only after: kept as written.
      expect(out).toContain('B=first-second');
      expect(out).toContain('C=$(LATER)');
      const facts = processFacts(await containerPid(node, pod, 'main'));
      expect(facts.uid).toBe(65532);
      // fsGroup is a supplementary group of the process, and the file's group; without it the file stays root's.
      expect(facts.groups.includes(3000)).toBe(c.fsGroup !== undefined);
      expect(out).toMatch(new RegExp(`-r--r-----\\s+1\\s+0\\s+${c.fsGroup ?? 0}\\s`));
    },
  );

  it('routes a ClusterIP from a pod and from the machine to a pod behind it (kube-proxy)', async () => {
    const manifest = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'web', namespace: 'node-basics', labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: IMAGE_REFS.busybox,
                imagePullPolicy: 'Never',
                command: [
                  'sh',
                  '-c',
                  'mkdir -p /tmp/www && echo served-by-web >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
                ],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web', namespace: 'node-basics' },
          spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
        },
      ],
    };
    await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    const svc = await node.getJson(['-n', 'node-basics', 'get', 'service', 'web']);
    const ip = svc.spec.clusterIP as string;
    // From the machine, as the API server calls a webhook Service.
    const body = await eventually(
      'the ClusterIP answering on the machine',
      async () => {
        const r = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2000) });
        return r.ok ? await r.text() : undefined;
      },
      POD_MS,
    );
    expect(body.trim()).toBe('served-by-web');
    // From another pod on the bridge.
    const client = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'node-basics' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'client',
            image: IMAGE_REFS.busybox,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 80; echo "nc exited $?"`],
          },
        ],
      },
    };
    await node.kubectl(['apply', '-f', '-'], { input: JSON.stringify(client) });
    const done = await eventually(
      'the client pod finished',
      async () => {
        const [p] = (await getPods(node, 'node-basics')).filter((x: PodJson) => x.metadata.name === 'client');
        return p?.status.phase === 'Succeeded' || p?.status.phase === 'Failed' ? p : undefined;
      },
      POD_MS,
    );
    expect(done.status.phase).toBe('Succeeded');
    const out = await logs(node, 'node-basics', 'client');
    expect(out).toContain('served-by-web');
    expect(out).toContain('nc exited 0');
  });
});
