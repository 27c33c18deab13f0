/**
 * A slow OTLP/gRPC receiver over TLS (not a Collector): it answers each TraceService/MetricsService Export only after
 * `delayMs`, and records when each call came and how it ended: answered, or cancelled by the client (an SDK whose
 * export timeout ran out gives up on the call). A real Collector answers as fast as it can and cannot be told to
 * answer slowly, so the tests of export timeouts use this instead (and say so).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO_DIR = fileURLToPath(new URL('../e2e/otlp/', import.meta.url));

export interface SlowCall {
  readonly signal: 'traces' | 'metrics';
  /** When the call arrived, and when it was answered or cancelled (ms since the epoch). */
  readonly at: number;
  end?: { readonly how: 'answered' | 'cancelled'; readonly at: number };
}

type Service = { service: grpc.ServiceDefinition };
type Loaded = {
  opentelemetry: {
    proto: {
      collector: { trace: { v1: { TraceService: Service } }; metrics: { v1: { MetricsService: Service } } };
    };
  };
};

export class SlowReceiver {
  readonly calls: SlowCall[] = [];
  private server: grpc.Server | undefined;
  port = 0;

  constructor(private readonly delayMs: number) {}

  private handler(signal: SlowCall['signal']) {
    return (call: grpc.ServerUnaryCall<unknown, object>, done: grpc.sendUnaryData<object>) => {
      const record: SlowCall = { signal, at: Date.now() };
      this.calls.push(record);
      const timer = setTimeout(() => {
        record.end = { how: 'answered', at: Date.now() };
        done(null, {});
      }, this.delayMs);
      call.on('cancelled', () => {
        clearTimeout(timer);
        record.end ??= { how: 'cancelled', at: Date.now() };
      });
    };
  }

  async start(tls: { cert: string; key: string }): Promise<this> {
    const definition = protoLoader.loadSync(['trace_service.proto', 'metrics_service.proto'], {
      includeDirs: [PROTO_DIR],
      keepCase: true,
    });
    const { trace, metrics } = (grpc.loadPackageDefinition(definition) as unknown as Loaded).opentelemetry.proto
      .collector;
    const server = new grpc.Server();
    server.addService(trace.v1.TraceService.service, { Export: this.handler('traces') });
    server.addService(metrics.v1.MetricsService.service, { Export: this.handler('metrics') });
    const credentials = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) },
    ]);
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.server = server;
    return this;
  }

  stop(): void {
    this.server?.forceShutdown();
  }
}
