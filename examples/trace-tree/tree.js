'use strict';
// One request's trace in Node: an application span (what a web framework's instrumentation would
// make), a minted token whose first attempt fails once and is retried, then a cache hit; the
// spans refold-session recorded through the application's own OpenTelemetry SDK, printed as a
// tree. Run it against the emulator (`make demo-traces`, or under scripts/with-emulator.sh).

const { trace, context, SpanKind } = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
// In an application: require('refold-session').
const Refold = require('../../bindings-node');

const { REFOLD_BASE_URL: baseUrl, REFOLD_API_KEY: apiKey } = process.env;
// What the tree shows of each span besides its name and kind.
const SHOWN = ['refold.cache.outcome', 'http.response.status_code', 'error.type', 'http.request.resend_count'];

async function emulator(method, route, body) {
  const response = await fetch(`${baseUrl}/__emulator/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

async function main() {
  const exporter = new InMemorySpanExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  await emulator('POST', 'reset');
  // Refold answers the first attempt with a 503: the call retries.
  await emulator('POST', 'faults', [{ kind: 'status', status: 503 }]);

  const client = new Refold({ apiKey, baseUrl, cache: true });
  const request = trace.getTracer('example').startSpan('GET /session', { kind: SpanKind.SERVER });
  await context.with(trace.setSpan(context.active(), request), async () => {
    await client.getTokenForLinkedAccount('trace-tree-user');
    await client.getTokenForLinkedAccount('trace-tree-user');
  });
  request.end();

  const spans = exporter.getFinishedSpans();
  const kinds = Object.fromEntries(Object.entries(SpanKind).map(([name, value]) => [value, name]));
  const children = (id) => spans.filter((span) => span.parentSpanContext?.spanId === id)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  const print = (span, depth) => {
    const shown = SHOWN.filter((key) => span.attributes[key] !== undefined).map((key) => `${key}=${span.attributes[key]}`);
    const ms = span.duration[0] * 1e3 + span.duration[1] / 1e6;
    console.log(`${'  '.repeat(depth)}${[span.name, kinds[span.kind], ...shown, `(${ms.toFixed(1)} ms)`].join('  ')}`);
    for (const child of children(span.spanContext().spanId)) print(child, depth + 1);
  };
  console.log(`Node (@opentelemetry/sdk-trace-base): trace ${request.spanContext().traceId}`);
  print(request, 1);
  const { requests } = await emulator('GET', 'requests');
  for (const sent of new Set(requests.map((request) => request.headers.traceparent))) {
    const parent = spans.find((span) => span.spanContext().spanId === sent?.split('-')[2]);
    const count = requests.filter((request) => request.headers.traceparent === sent).length;
    console.log(`  the emulator saw traceparent ${sent} on ${count} request(s): span "${parent?.name}"`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
