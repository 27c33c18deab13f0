/**
 * The do-nothing webhook of `bench/cluster.ts`: as bench/floor-server.ts (reads and parses the review, answers
 * allowed without a patch, keep-alive past the API server's 90 s), plus a plain-HTTP count of the reviews it
 * answered, so the bench knows when the API server has started (or stopped) calling it.
 *
 *   node dist-bench/bench/cluster-noop-webhook.js <cert> <key> <port> <count port>
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:https';

const [certFile = '', keyFile = '', port = '0', countPort = '0'] = process.argv.slice(2);
let reviews = 0;
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
      reviews++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
  },
);
server.keepAliveTimeout = 120_000; // as ours: above the API server's 90 s idle close
const counter = createHttpServer((_req, res) => res.end(String(reviews)));
server.listen(Number(port), '127.0.0.1', () => counter.listen(Number(countPort), '127.0.0.1'));
process.on('SIGTERM', () => process.exit(0));
