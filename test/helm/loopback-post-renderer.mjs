// A helm --post-renderer for the real-control-plane tests (test/helm/real-cluster.test.ts): there is no cluster
// network there for the API server to reach a Service through, so each webhook calls the test process on
// 127.0.0.1:<port> at the Service's path instead. Everything else, the caBundle included, stays as the chart
// rendered it: the same one change test/helpers/cluster-install.ts makes to the kustomize rendering.
// Usage: node loopback-post-renderer.mjs <port>   (manifests on stdin, to stdout)
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { parseAllDocuments, stringify } from 'yaml';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: loopback-post-renderer.mjs <port>');
const out = [];
for (const doc of parseAllDocuments(readFileSync(0, 'utf8'))) {
  const o = doc.toJS();
  if (o === null) continue;
  if (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration') {
    for (const w of o.webhooks) {
      const { service, ...rest } = w.clientConfig;
      w.clientConfig = { ...rest, url: `https://127.0.0.1:${port}${service.path}` };
    }
  }
  out.push(stringify(o));
}
process.stdout.write(out.join('---\n'));
