import { createServer, type Server } from 'node:http';
import type { Metrics } from '../observability/metrics.js';

export interface AdminDeps {
  readonly metrics: Metrics;
  /** Ready to take reviews: certificate loaded and namespaces known. */
  readonly ready: () => boolean;
}

/** Plain HTTP for the kubelet and Prometheus: /healthz, /readyz, /metrics. Nothing else answers. */
export function createAdminServer({ metrics, ready }: AdminDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const isReady = ready();
      res.writeHead(isReady ? 200 : 503, { 'Content-Type': 'text/plain' }).end(isReady ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
}
