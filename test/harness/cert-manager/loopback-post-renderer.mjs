// A helm --post-renderer doing what loopback-service.ts does to a kustomize rendering: the Service <namespace>/<name>
// becomes ExternalName 127.0.0.1 and the webhooks calling it call <port>. Everything else stays as the chart rendered
// it (no caBundle is touched: cert-manager's cainjector writes it).
// Usage: node loopback-post-renderer.mjs <namespace> <name> <port>   (manifests on stdin, to stdout)
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { parseAllDocuments, stringify } from 'yaml';

const [namespace, name, portText] = process.argv.slice(2);
const port = Number(portText);
if (!namespace || !name || !Number.isInteger(port) || port <= 0) {
  throw new Error('usage: loopback-post-renderer.mjs <namespace> <name> <port>');
}
const routed = (s) => s?.name === name && s.namespace === namespace;
const out = [];
for (const doc of parseAllDocuments(readFileSync(0, 'utf8'))) {
  const o = doc.toJS();
  if (o === null) continue;
  if (o.kind === 'Service' && routed({ name: o.metadata.name, namespace: o.metadata.namespace })) {
    o.spec = { type: 'ExternalName', externalName: '127.0.0.1', ports: o.spec.ports };
  }
  const isWebhookConfiguration =
    o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration';
  for (const w of isWebhookConfiguration ? o.webhooks : []) {
    if (routed(w.clientConfig.service)) w.clientConfig.service.port = port;
  }
  out.push(stringify(o));
}
process.stdout.write(out.join('---\n'));
