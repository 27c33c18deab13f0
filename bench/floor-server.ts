/**
 * The floor: a bare Node `https` server with the webhook's TLS material that reads and parses the body and
 * answers a fixed allowed AdmissionReview — what Node itself costs for one review.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [certFile = '', keyFile = '', port = '0'] = process.argv.slice(2);
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
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
  },
);
server.keepAliveTimeout = 120_000;
server.listen(Number(port), () => process.stdout.write('floor ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
