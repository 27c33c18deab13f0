/**
 * The do-nothing webhook that bench/floor-server.ts and bench/cluster-noop-webhook.ts serve: a bare Node `https`
 * server with the given TLS material that reads and parses each AdmissionReview and answers it allowed, without a
 * patch; keep-alive past the API server's 90 s idle close, as ours. `onAnswered` runs after each answer is written.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';

export function allowAllServer(certFile: string, keyFile: string, onAnswered: () => void = () => undefined): Server {
  const server = createServer(
    { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2' },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          apiVersion: string;
          request: { uid: string };
        };
        const body = JSON.stringify({
          apiVersion: review.apiVersion,
          kind: 'AdmissionReview',
          response: { uid: review.request.uid, allowed: true },
        });
        onAnswered();
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
      });
    },
  );
  server.keepAliveTimeout = 120_000; // above the API server's 90 s idle close
  return server;
}
