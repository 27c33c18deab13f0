"""A processor's telemetry set-up, as one built on F5's processor SDK does it (not a processor).

F5's SDK (nginxinc/f5-ai-gateway-sdk-py) pins opentelemetry-sdk ~= 1.33.0 and creates no exporter itself: the
processor program makes a TracerProvider with the resource from the environment and a batch span processor over
the OTLP exporter, which reads its settings from the environment. This program does the same, picking the exporter
the environment selects (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL, default grpc, as the
SDK's own configurator does), records one span ("processor-request"), waits --hold-ms, flushes, shuts down, exits.
No metrics: processors export none.

Each outcome is one JSON line on stdout for the tests, e.g. {"event": "flush", "ms": 12, "ok": true}; the SDK's own
warnings come as {"event": "otel-log", "ms": ..., "message": ...}, timed from the start like "flushing", so a test
can tell how long an export took by the SDK's clock.
"""

import argparse
import json
import logging
import os
import sys
import time

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def report(event, started, **fields):
    line = {"event": event, "ms": round((time.monotonic() - started) * 1000), **fields}
    print(json.dumps(line), flush=True)


class ReportLogs(logging.Handler):
    """The SDK's own log records (an export that failed, a retry) as events, timed on this program's clock."""

    def __init__(self, begin):
        super().__init__(logging.WARNING)
        self.begin = begin

    def emit(self, record):
        report("otel-log", self.begin, level=record.levelname, message=record.getMessage())
        print(record.getMessage(), file=sys.stderr, flush=True)  # as Python's last-resort handler printed it


def exporter_from_env():
    protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or os.environ.get(
        "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"
    )
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    elif protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    else:
        raise SystemExit(f"processor: no OTLP exporter for protocol {protocol!r}")
    return protocol, OTLPSpanExporter()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hold-ms", type=int, default=0)
    # How long the final flush may take before the program gives up on it (the SDK's default is 30 s).
    parser.add_argument("--flush-ms", type=int, default=30_000)
    args = parser.parse_args()
    begin = time.monotonic()
    logging.getLogger("opentelemetry").addHandler(ReportLogs(begin))
    try:
        protocol, exporter = exporter_from_env()
    except Exception as error:  # what a processor would die of at start-up
        report("exporter", begin, error=f"{type(error).__name__}: {error}")
        sys.exit(1)
    report("exporter", begin, protocol=protocol)
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(BatchSpanProcessor(exporter))
    provider.get_tracer("aigw-processor").start_span("processor-request").end()
    report("recorded", begin)
    time.sleep(args.hold_ms / 1000)
    report("flushing", begin)
    started = time.monotonic()
    ok = provider.force_flush(timeout_millis=args.flush_ms)
    report("flush", started, ok=ok)
    started = time.monotonic()
    provider.shutdown()
    report("shutdown", started)


if __name__ == "__main__":
    main()
