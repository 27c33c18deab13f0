/**
 * A stand-in for an OpenTelemetry collector (not one): an OTLP/gRPC receiver over TLS that serves
 * `TraceService/Export` and `MetricsService/Export`, optionally requires a client certificate, decodes what arrives
 * (test/e2e/otlp/*.proto, written from the OTLP specification) and records it.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

export interface Export {
  readonly signal: 'traces' | 'metrics';
  /** Resource attributes of each resource in the request, values as strings. */
  readonly resources: readonly Record<string, string>[];
  /** Span names, or metric names. */
  readonly names: readonly string[];
  /** Request metadata (headers), lowercased keys. */
  readonly headers: Readonly<Record<string, string>>;
  /** The client certificate's subject CN, when one was presented. */
  readonly clientSubject: string | undefined;
  readonly at: number;
}

export interface CollectorOptions {
  readonly cert: string;
  readonly key: string;
  /** When set, a client certificate signed by this CA is required. */
  readonly clientCa?: string;
}

const PROTO_DIR = fileURLToPath(new URL('../e2e/otlp/', import.meta.url));

type AnyValue = { string_value?: string; bool_value?: boolean; int_value?: string; double_value?: number };
type Resource = { attributes?: { key: string; value?: AnyValue }[] };
type Named = { name: string };
type TraceRequest = { resource_spans?: { resource?: Resource; scope_spans?: { spans?: Named[] }[] }[] };
type MetricsRequest = { resource_metrics?: { resource?: Resource; scope_metrics?: { metrics?: Named[] }[] }[] };

const text = (v: AnyValue | undefined): string =>
  String(v?.string_value ?? v?.bool_value ?? v?.int_value ?? v?.double_value ?? '');
const attributes = (r: Resource | undefined) =>
  Object.fromEntries((r?.attributes ?? []).map((a) => [a.key, text(a.value)]));

export class CollectorStandIn {
  readonly exports: Export[] = [];
  private server: grpc.Server | undefined;
  port = 0;

  async start(options: CollectorOptions): Promise<this> {
    const definition = protoLoader.loadSync(['trace_service.proto', 'metrics_service.proto'], {
      includeDirs: [PROTO_DIR],
      keepCase: true,
      longs: String,
      oneofs: false,
    });
    const proto = grpc.loadPackageDefinition(definition) as unknown as {
      opentelemetry: {
        proto: {
          collector: {
            trace: { v1: { TraceService: grpc.ServiceClientConstructor } };
            metrics: { v1: { MetricsService: grpc.ServiceClientConstructor } };
          };
        };
      };
    };
    const { trace, metrics } = proto.opentelemetry.proto.collector;
    const server = new grpc.Server();
    server.addService(trace.v1.TraceService.service, {
      Export: (call: grpc.ServerUnaryCall<TraceRequest, object>, done: grpc.sendUnaryData<object>) => {
        const rs = call.request.resource_spans ?? [];
        const names = rs.flatMap((r) => (r.scope_spans ?? []).flatMap((s) => (s.spans ?? []).map((x) => x.name)));
        this.record(
          'traces',
          call,
          rs.map((r) => attributes(r.resource)),
          names,
        );
        done(null, {});
      },
    });
    server.addService(metrics.v1.MetricsService.service, {
      Export: (call: grpc.ServerUnaryCall<MetricsRequest, object>, done: grpc.sendUnaryData<object>) => {
        const rm = call.request.resource_metrics ?? [];
        const names = rm.flatMap((r) => (r.scope_metrics ?? []).flatMap((s) => (s.metrics ?? []).map((x) => x.name)));
        this.record(
          'metrics',
          call,
          rm.map((r) => attributes(r.resource)),
          names,
        );
        done(null, {});
      },
    });
    const credentials = grpc.ServerCredentials.createSsl(
      options.clientCa === undefined ? null : Buffer.from(options.clientCa),
      [{ private_key: Buffer.from(options.key), cert_chain: Buffer.from(options.cert) }],
      options.clientCa !== undefined,
    );
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.server = server;
    return this;
  }

  private record(
    signal: Export['signal'],
    call: grpc.ServerUnaryCall<unknown, unknown>,
    resources: Record<string, string>[],
    names: string[],
  ): void {
    const headers = Object.fromEntries(
      Object.entries(call.metadata.getMap()).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    const subject = call.getAuthContext().sslPeerCertificate?.subject as { CN?: string } | undefined;
    this.exports.push({ signal, resources, names, headers, clientSubject: subject?.CN, at: Date.now() });
  }

  of(signal: Export['signal']): Export[] {
    return this.exports.filter((e) => e.signal === signal);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.server === undefined) return resolve();
      this.server.tryShutdown(() => resolve());
      setTimeout(() => this.server?.forceShutdown(), 1000).unref();
    });
  }
}
