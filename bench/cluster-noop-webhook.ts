/**
 * The do-nothing webhook of `bench/cluster.ts`: the server of bench/floor-server.ts (bench/allow-all-server.ts: reads
 * and parses the review, answers allowed without a patch, keep-alive past the API server's 90 s), plus a plain-HTTP
 * count of the reviews it answered, so the bench knows when the API server has started (or stopped) calling it.
 *
 *   node dist-bench/bench/cluster-noop-webhook.js <cert> <key> <port> <count port> [<address>]
 *
 * Both listen on 127.0.0.1 unless an address is given: in a pod on the real node (bench/cluster-node.ts) it is
 * 0.0.0.0, so the Service and the bench reach it at the pod's IP.
 */
import { createServer } from 'node:http';
import { allowAllServer } from './allow-all-server.js';

const [certFile = '', keyFile = '', port = '0', countPort = '0', address = '127.0.0.1'] = process.argv.slice(2);
let reviews = 0;
const server = allowAllServer(certFile, keyFile, () => reviews++);
const counter = createServer((_req, res) => res.end(String(reviews)));
server.listen(Number(port), address, () => counter.listen(Number(countPort), address));
process.on('SIGTERM', () => process.exit(0));
