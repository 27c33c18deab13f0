// Command aigw-core-sdk sets up telemetry as AI Gateway's core (a Go program) does when the environment alone
// configures it: otlptracegrpc.New and otlpmetricgrpc.New with no options, a periodic reader with its defaults,
// the resource from the environment and the sampler from the environment. It records a span ("core-request") and
// a counter ("core_requests"), keeps running for -hold so that the reader exports at its interval, then shuts the
// providers down (which flushes) and exits. Each outcome is one JSON line on stdout for the tests:
//
//	{"event":"traces-shutdown","ms":1003,"error":"context deadline exceeded"}
//
// Errors the SDK reports through its global handler (an export that failed in the background) come as
// {"event":"otel-error",...}. The exit code is 0 whatever the collector answered: an app does not crash on it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

var out = json.NewEncoder(os.Stdout)

func report(event string, started time.Time, err error) {
	line := map[string]any{"event": event, "ms": time.Since(started).Milliseconds()}
	if err != nil {
		line["error"] = err.Error()
	}
	_ = out.Encode(line)
}

func main() {
	hold := flag.Duration("hold", 0, "how long to run before shutting down (metric exports happen at the interval)")
	flag.Parse()
	ctx := context.Background()
	begin := time.Now()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { report("otel-error", begin, err) }))

	// A malformed OTEL_RESOURCE_ATTRIBUTES gives a partial resource and an error; a service goes on with it.
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		report("resource", begin, err)
	}
	traceExporter, err := otlptracegrpc.New(ctx)
	if err != nil {
		report("trace-exporter", begin, err)
		os.Exit(1)
	}
	metricExporter, err := otlpmetricgrpc.New(ctx)
	if err != nil {
		report("metric-exporter", begin, err)
		os.Exit(1)
	}
	tracerProvider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(traceExporter), sdktrace.WithResource(res))
	meterProvider := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metricExporter)),
		sdkmetric.WithResource(res),
	)
	counter, err := meterProvider.Meter("aigw-core").Int64Counter("core_requests")
	if err != nil {
		report("counter", begin, err)
		os.Exit(1)
	}
	_, span := tracerProvider.Tracer("aigw-core").Start(ctx, "core-request")
	counter.Add(ctx, 1)
	span.End()
	report("recorded", begin, nil)

	time.Sleep(*hold)
	started := time.Now()
	report("traces-shutdown", started, tracerProvider.Shutdown(ctx))
	started = time.Now()
	report("metrics-shutdown", started, meterProvider.Shutdown(ctx))
}
