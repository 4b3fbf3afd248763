'use strict';
// The OpenTelemetry bridge through the emulator: the SDK's in-memory span exporter and a
// metric reader (pinned dev dependencies) record what a user's own setup would.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { trace, context, metrics, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const Refold = require('..');
const { startEmulator } = require('./helpers');

const KEY = 'sk_otel_distinctive_8c1f0e3a9b7d4c25';
const ACCOUNT = 'otel-acct-1';

class TestReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const exporter = new InMemorySpanExporter();
const reader = new TestReader();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const meterProvider = new MeterProvider({ readers: [reader] });
const tracer = tracerProvider.getTracer('test');

let emulator;
let client;
/** Every token handed out, to look for in what telemetry recorded. */
const tokens = [];

before(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  emulator = await startEmulator({ apiKeys: [KEY], anyLinkedAccount: true });
  client = new Refold({ apiKey: KEY, baseUrl: emulator.url, cache: true });
});
after(async () => {
  await emulator?.stop();
  trace.disable();
  metrics.disable();
  context.disable();
});
beforeEach(async () => {
  await emulator.reset();
  exporter.reset();
});

/** Runs `body` inside a new active test span; resolves to [its result, the span]. */
async function underSpan(body) {
  const span = tracer.startSpan('test request');
  try {
    return [await context.with(trace.setSpan(context.active(), span), body), span];
  } finally {
    span.end();
  }
}

/** The finished spans once `count` of ours (scope refold-session) have arrived. */
async function ourSpans(count) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'refold-session');
    if (spans.length >= count || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const parentId = (span) => span.parentSpanContext?.spanId;

function checkNoSecret(spans) {
  const shown = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.status]));
  assert.ok(!shown.includes(KEY), 'the API key');
  for (const token of tokens) assert.ok(!shown.includes(token), 'a token');
}

describe('spans', () => {
  test('a minted token: the call span under the active span, one CLIENT span, the traceparent sent', async () => {
    const [session, testSpan] = await underSpan(() => client.getTokenForLinkedAccount(ACCOUNT, { fresh: true }));
    tokens.push(session.token);
    const spans = await ourSpans(2);
    assert.equal(spans.length, 2, spans.map((span) => span.name).join());
    const call = spans.find((span) => span.kind === SpanKind.INTERNAL);
    const attempt = spans.find((span) => span.kind === SpanKind.CLIENT);
    assert.equal(call.name, 'refold.get_token_for_linked_account');
    assert.equal(call.instrumentationScope.version, require('../package.json').version);
    assert.equal(call.spanContext().traceId, testSpan.spanContext().traceId);
    assert.equal(parentId(call), testSpan.spanContext().spanId);
    assert.equal(call.attributes['refold.cache.outcome'], 'miss');
    assert.equal(call.attributes['refold.linked_account_id'], undefined, 'only when opted in');
    assert.equal(call.status.code, SpanStatusCode.UNSET);

    assert.equal(parentId(attempt), call.spanContext().spanId);
    const method = attempt.attributes['http.request.method'];
    assert.equal(attempt.name, `${method} /api/v2/public/session-token`);
    assert.equal(attempt.attributes['url.template'], '/api/v2/public/session-token');
    assert.equal(attempt.attributes['server.address'], '127.0.0.1');
    assert.equal(attempt.attributes['server.port'], Number(new URL(emulator.url).port));
    assert.equal(attempt.attributes['http.response.status_code'], 200);
    assert.equal(attempt.attributes['http.request.resend_count'], undefined);
    assert.ok(attempt.startTime[0] > 0 && attempt.endTime[0] >= attempt.startTime[0]);

    const { requests } = await emulator.requests();
    assert.equal(requests.length, 1);
    const sent = requests[0].headers.traceparent;
    assert.match(sent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.equal(sent.split('-')[1], testSpan.spanContext().traceId);
    checkNoSecret(spans);
  });

  test("a call's spans have ended by the time its promise settles (they cross with its outcome)", async () => {
    const [session] = await underSpan(() => client.getTokenForLinkedAccount('otel-settled', { fresh: true }));
    tokens.push(session.token);
    // No waiting: read at once.
    const names = exporter.getFinishedSpans()
      .filter((span) => span.instrumentationScope.name === 'refold-session')
      .map((span) => span.name);
    assert.deepEqual(names.sort(), ['POST /api/v2/public/session-token', 'refold.get_token_for_linked_account']);
    // A cache hit's too: under a span (the call carries its traceparent) and outside one (the
    // client's hit function).
    for (const hit of [() => underSpan(() => client.getTokenForLinkedAccount('otel-settled')),
      () => client.getTokenForLinkedAccount('otel-settled')]) {
      exporter.reset();
      await hit();
      const hits = exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === 'refold-session');
      assert.deepEqual(hits.map((span) => [span.name, span.attributes['refold.cache.outcome']]),
        [['refold.get_token_for_linked_account', 'hit']]);
    }
    // A failed call's too.
    await emulator.faults([{ kind: 'status', status: 403 }]);
    await assert.rejects(client.getTokenForLinkedAccount('otel-settled-denied', { fresh: true }), Refold.PermissionDeniedError);
    const failed = exporter.getFinishedSpans()
      .filter((span) => span.name === 'refold.get_token_for_linked_account' && span.status.code === SpanStatusCode.ERROR);
    assert.equal(failed.length, 1);
  });

  test('a retried attempt: two CLIENT spans under one call span', async () => {
    await emulator.faults([{ kind: 'status', status: 503 }]);
    const [session, testSpan] = await underSpan(() => client.getTokenForLinkedAccount('otel-retry', { fresh: true }));
    tokens.push(session.token);
    const spans = await ourSpans(3);
    assert.equal(spans.length, 3);
    const call = spans.find((span) => span.kind === SpanKind.INTERNAL);
    assert.equal(parentId(call), testSpan.spanContext().spanId);
    const attempts = spans.filter((span) => span.kind === SpanKind.CLIENT).sort((a, b) =>
      (a.attributes['http.request.resend_count'] ?? 0) - (b.attributes['http.request.resend_count'] ?? 0));
    assert.equal(attempts.length, 2);
    for (const attempt of attempts) assert.equal(parentId(attempt), call.spanContext().spanId);
    assert.equal(attempts[0].attributes['http.response.status_code'], 503);
    assert.equal(attempts[0].attributes['error.type'], 'server_error');
    assert.equal(attempts[0].status.code, SpanStatusCode.ERROR);
    assert.equal(attempts[1].attributes['http.response.status_code'], 200);
    assert.equal(attempts[1].attributes['http.request.resend_count'], 1);
    checkNoSecret(spans);
  });

  test('a cache hit: a call span with outcome hit and no CLIENT span, under the active span', async () => {
    tokens.push((await client.getTokenForLinkedAccount('otel-hit')).token);
    await ourSpans(2);
    exporter.reset();
    const [, testSpan] = await underSpan(() => client.getTokenForLinkedAccount('otel-hit'));
    const spans = await ourSpans(1);
    // Give a stray CLIENT span the time to show up, were there one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT).map((span) => span.name), []);
    assert.equal(spans.length, 1);
    assert.equal(spans[0].attributes['refold.cache.outcome'], 'hit');
    assert.equal(parentId(spans[0]), testSpan.spanContext().spanId);
  });

  test('a failed call: error.type and status ERROR on the call span', async () => {
    await emulator.faults([{ kind: 'status', status: 403 }]);
    await assert.rejects(client.getTokenForLinkedAccount('otel-denied', { fresh: true }), Refold.PermissionDeniedError);
    const [call] = (await ourSpans(2)).filter((span) => span.kind === SpanKind.INTERNAL);
    assert.equal(call.attributes['error.type'], 'permission_denied');
    assert.equal(call.status.code, SpanStatusCode.ERROR);
  });

  test('client.api, client.call and a scoped client go through the bridge', async () => {
    await underSpan(async () => {
      await client.api.listWebhooks();
      await client.call('listWebhooks');
      await client.forLinkedAccount(ACCOUNT).api.listPersistentTables();
    });
    const spans = await ourSpans(6);
    const calls = spans.filter((span) => span.kind === SpanKind.INTERNAL).map((span) => span.name).sort();
    assert.deepEqual(calls, ['refold.list_persistent_tables', 'refold.list_webhooks', 'refold.list_webhooks']);
    for (const span of spans.filter((span) => span.kind === SpanKind.CLIENT)) {
      assert.ok(!/\/[0-9a-f]{24}/.test(span.attributes['url.template']), 'a template, not a raw path');
    }
    const { requests } = await emulator.requests();
    assert.equal(requests.length, 3);
    assert.ok(requests.every((request) => /^00-[0-9a-f]{32}-/.test(request.headers.traceparent ?? '')));
  });

  test('a traceparent the caller passes wins over the active span', async () => {
    const given = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await underSpan(() => client.getTokenForLinkedAccount('otel-given', { fresh: true, traceparent: given }));
    const { requests } = await emulator.requests();
    assert.equal(requests[0].headers.traceparent, given);
    const [call] = (await ourSpans(2)).filter((span) => span.kind === SpanKind.INTERNAL);
    assert.equal(call.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(parentId(call), '00f067aa0ba902b7');
  });

  test('telemetryLinkedAccountId names the account on the call span', async () => {
    const named = new Refold({ apiKey: KEY, baseUrl: emulator.url, telemetryLinkedAccountId: true });
    await named.getTokenForLinkedAccount('otel-named');
    const [call] = (await ourSpans(2)).filter((span) => span.kind === SpanKind.INTERNAL);
    assert.equal(call.attributes['refold.linked_account_id'], 'otel-named');
  });

  test('telemetry: false records nothing and sends no traceparent', async () => {
    const quiet = new Refold({ apiKey: KEY, baseUrl: emulator.url, telemetry: false });
    await underSpan(() => quiet.getTokenForLinkedAccount('otel-quiet', { fresh: true }));
    const [sent] = (await emulator.requests()).requests;
    assert.equal(sent.headers.traceparent, undefined, 'no trace context with telemetry off');
    // A probe call on the observed client: once its spans are in, a quiet one would be too.
    await client.getTokenForLinkedAccount('otel-probe', { fresh: true });
    const spans = await ourSpans(2);
    assert.equal(spans.filter((span) => span.kind === SpanKind.INTERNAL).length, 1, 'the probe only');
    assert.equal(spans.filter((span) => span.kind === SpanKind.CLIENT).length, 1, 'the probe only');
    assert.equal((await emulator.requests()).requests.length, 2, 'both calls were made');
  });
});

describe('metrics', () => {
  test('the request duration histogram and the session-cache counters', async () => {
    const metered = new Refold({ apiKey: KEY, baseUrl: emulator.url, cache: true });
    tokens.push((await metered.getTokenForLinkedAccount('otel-metrics')).token);
    await metered.getTokenForLinkedAccount('otel-metrics');
    await ourSpans(3);
    const { resourceMetrics } = await reader.collect();
    const ours = resourceMetrics.scopeMetrics.find((scope) => scope.scope.name === 'refold-session');
    assert.ok(ours, 'our meter');
    const byName = Object.fromEntries(ours.metrics.map((metric) => [metric.descriptor.name, metric]));
    const duration = byName['http.client.request.duration'];
    assert.equal(duration.descriptor.unit, 's');
    const point = duration.dataPoints.find((p) => p.attributes['http.response.status_code'] === 200);
    assert.ok(point.value.count >= 1);
    assert.equal(point.attributes['url.template'], '/api/v2/public/session-token');
    assert.equal(point.attributes['server.address'], '127.0.0.1');
    assert.ok(byName['refold.session_cache.hits'].dataPoints[0].value >= 1);
    assert.ok(byName['refold.session_cache.misses'].dataPoints[0].value >= 1);
    const shown = JSON.stringify(resourceMetrics.scopeMetrics.map((scope) => scope.metrics.map((metric) => metric.dataPoints.map((p) => p.attributes))));
    assert.ok(!shown.includes(KEY));
    for (const token of tokens) assert.ok(!shown.includes(token));
  });
});
