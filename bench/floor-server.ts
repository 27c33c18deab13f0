/**
 * The floor: a bare Node `https` server with the webhook's TLS material that reads and parses the body and
 * answers a fixed allowed AdmissionReview — what Node itself costs for one review.
 */
import { allowAllServer } from './allow-all-server.js';

const [certFile = '', keyFile = '', port = '0'] = process.argv.slice(2);
const server = allowAllServer(certFile, keyFile);
server.listen(Number(port), () => process.stdout.write('floor ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
