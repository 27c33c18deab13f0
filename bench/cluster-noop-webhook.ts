/**
 * The do-nothing webhook of `bench/cluster.ts`: the server of bench/floor-server.ts (bench/allow-all-server.ts: reads
 * and parses the review, answers allowed without a patch, keep-alive past the API server's 90 s), plus a plain-HTTP
 * count of the reviews it answered, so the bench knows when the API server has started (or stopped) calling it.
 *
 *   node dist-bench/bench/cluster-noop-webhook.js <cert> <key> <port> <count port>
 */
import { createServer } from 'node:http';
import { allowAllServer } from './allow-all-server.js';

const [certFile = '', keyFile = '', port = '0', countPort = '0'] = process.argv.slice(2);
let reviews = 0;
const server = allowAllServer(certFile, keyFile, () => reviews++);
const counter = createServer((_req, res) => res.end(String(reviews)));
server.listen(Number(port), '127.0.0.1', () => counter.listen(Number(countPort), '127.0.0.1'));
process.on('SIGTERM', () => process.exit(0));
