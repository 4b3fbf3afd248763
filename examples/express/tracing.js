'use strict';
// Tracing for the example, by environment variable: OTEL_TRACES_EXPORTER=console prints each
// span, OTEL_TRACES_EXPORTER=otlp sends them to OTEL_EXPORTER_OTLP_ENDPOINT (the SDK's standard
// variables). server.js loads this first, so the HTTP and Express instrumentations see the
// modules it requires: each request's server span (continuing the caller's `traceparent`) is
// the parent of refold-session's call spans, which it records through @opentelemetry/api.

const exporter = process.env.OTEL_TRACES_EXPORTER;
if (exporter && exporter !== 'none') {
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
  // Traces only, unless metrics or logs are asked for by their own variables.
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'refold-example-express',
    instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()],
  });
  sdk.start();
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      sdk.shutdown().finally(() => process.exit(0));
    });
  }
}
