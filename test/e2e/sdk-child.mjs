// A stand-in for an AI Gateway process (not one): a real OpenTelemetry SDK for Node, configured only by the
// environment it was started with, emits one span and one counter, waits, flushes and exits.
//   node test/e2e/sdk-child.mjs core|processor HOLD_MS
// What the program itself decides, as AI Gateway's do in code, not in the environment:
// - both roles export over gRPC (F5: "exports ... to a gRPC endpoint"). The core's Go exporters read no protocol
//   variable; Node's SDK would default to http/protobuf, so gRPC is this program's default. A processor follows
//   OTEL_EXPORTER_OTLP_PROTOCOL when it is set.
// - a processor reads OTEL_EXPORTER_OTLP_TIMEOUT in seconds, as Python's SDK does (Node and Go read milliseconds).
import console from 'node:console';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { metrics, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';

const [role = 'core', holdArg = '0'] = process.argv.slice(2);
if (role === 'core') process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
else process.env.OTEL_EXPORTER_OTLP_PROTOCOL ||= 'grpc';
if (role === 'processor' && process.env.OTEL_EXPORTER_OTLP_TIMEOUT) {
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = String(Number(process.env.OTEL_EXPORTER_OTLP_TIMEOUT) * 1000);
}
// Nothing here logs through OpenTelemetry; no log exporter to set up.
process.env.OTEL_LOGS_EXPORTER = 'none';

const sdk = new NodeSDK();
sdk.start();
trace.getTracer('aigw-stand-in').startSpan(`${role}-request`).end();
metrics.getMeter('aigw-stand-in').createCounter(`${role}_requests`).add(1);
await sleep(Number(holdArg));
// A refused export is the collector's answer, not this program's failure: report it and exit as an app would.
await sdk.shutdown().catch((error) => console.error(`shutdown: ${error}`));
