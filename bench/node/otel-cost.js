// @ts-nocheck
'use strict';
// OpenTelemetry's cost per call, in process (bench/README.md, "OpenTelemetry's cost"): the host
// SDK's own floor against our bridge replaying one plan, and the per-call check with only the
// API installed. No I/O and no emulator: whole-run req/s on a shared machine is too noisy for a
// difference of tens of microseconds.
//
//   node bench/node/otel-cost.js [calls per round, default 20000]
//   scripts/with-emulator.sh --any-linked-account -- node bench/node/otel-cost.js --calls [calls per round, default 5000]
//
// --calls: whole token calls against the emulator ($REFOLD_BASE_URL), 64 at a time, the client's
// own CPU per call with an SDK registered, with it registered and our replay skipped (the
// native plan and its crossing only), and with it unregistered (API only), rounds interleaved.
//
// Needs this directory's pinned packages (npm ci here, or NODE_PATH to them) and the debug
// addon (make node-addon). The SDK is set up as bench.js's ours-otel-sdk row sets it up.

const path = require('node:path');

const WHOLE_CALLS = process.argv[2] === '--calls';
const CALLS = Number(process.argv[WHOLE_CALLS ? 3 : 2] ?? (WHOLE_CALLS ? 5000 : 20000));
const ROUNDS = 7;
// The bench's c=64: the event loop turns (the batch processor's timer may run) every 64 calls.
const BATCH = 64;

const binding = process.env.REFOLD_BINDINGS_NODE || path.resolve(__dirname, '../../bindings-node');
const native = require(path.join(binding, 'refold-session.linux-x64-gnu.node'));
const { openTelemetryBridge } = require(path.join(binding, 'telemetry.js'));
const api = require('@opentelemetry/api');
// The same SDK set-up as bench.js's ours-otel-sdk rows.
const { registerOpenTelemetrySdk } = require('./bench.js');

const declared = JSON.parse(native.telemetryInstruments());
const [duration, , misses] = declared.instruments.map((spec) => spec.name);

// What the addon hands over for a miss (core's plan, as serde writes it): the call span, one
// CLIENT span, the attempt's duration point and the miss counter. Times move with each call.
function planText(now) {
  const start = [Math.floor(now / 1000), (now % 1000) * 1e6];
  const end = [start[0], start[1] + 900_000];
  const attempt = {
    'http.request.method': 'POST',
    'server.address': '127.0.0.1',
    'server.port': 8080,
    'url.template': '/api/v2/public/session-token',
    'http.response.status_code': 200,
  };
  return JSON.stringify({
    parent: null,
    spans: [
      { name: 'refold.get_token_for_linked_account', kind: 'internal', parent: null, start, end, error: false,
        attributes: { 'refold.cache.outcome': 'miss' } },
      { name: 'POST /api/v2/public/session-token', kind: 'client', parent: 0, start, end, error: false,
        attributes: attempt },
    ],
    points: [
      { instrument: 0, value: 0.0009, attributes: attempt },
      { instrument: 2, value: 1.0, attributes: {} },
    ],
  });
}

// CPU µs per call of each of `calls` (label → function of the call's index), their rounds
// interleaved so that the SDK's queues and the machine's load weigh on each alike; the median round.
async function measure(calls) {
  /** @type {Record<string, number[]>} */
  const rounds = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, call] of Object.entries(calls)) {
      const cpu = process.cpuUsage();
      for (let i = 0; i < CALLS; i++) {
        call(i);
        if (i % BATCH === BATCH - 1) await new Promise(setImmediate);
      }
      const used = process.cpuUsage(cpu);
      (rounds[label] ??= []).push((used.user + used.system) / CALLS);
    }
  }
  /** @type {Record<string, number>} */
  const medians = {};
  for (const [label, perCall] of Object.entries(rounds)) {
    perCall.sort((a, b) => a - b);
    medians[label] = perCall[Math.floor(perCall.length / 2)];
    console.log(`${label.padEnd(44)} ${medians[label].toFixed(2).padStart(7)} µs/call (CPU, median of ${ROUNDS} × ${CALLS})`);
  }
  return medians;
}


async function main() {
  const bridge = openTelemetryBridge(() => native.telemetryInstruments());
  await measure({
    'nothing (loop and event-loop turns)': () => {},
    // (d) Only the API: what callOptions asks the bridge per call.
    'API only: recording() + traceparent()': () => {
      bridge.recording();
      bridge.traceparent();
    },
  });

  registerOpenTelemetrySdk();
  const texts = Array.from({ length: 256 }, (_, i) => planText(Date.now() + i));
  const medians = await measure({
    // (a) The floor: the same two spans, a histogram point and a counter add, straight through the API.
    'SDK floor: 2 spans + record + add': sdkFloor(),
    // (b) Ours: the bridge replaying the addon's JSON text (parse included; the text made outside).
    'ours: record(plan JSON), parse included': (i) => bridge.record(texts[i & 255]),
    '  of which JSON.parse': (i) => JSON.parse(texts[i & 255]),
    'recording() + traceparent() with the SDK': () => {
      bridge.recording();
      bridge.traceparent();
    },
  });
  const over = medians['ours: record(plan JSON), parse included'] - medians['SDK floor: 2 spans + record + add'];
  console.log(`ours over the floor: ${over.toFixed(2)} µs/call`);
}

// The SDK's floor of one call: the same two spans, a histogram point and a counter add, straight
// through the API (attribute objects made once, as an application's own code might).
function sdkFloor() {
  const tracer = api.trace.getTracer(declared.scope, declared.version);
  const meter = api.metrics.getMeter(declared.scope, declared.version);
  const histogram = meter.createHistogram(duration, { unit: 's' });
  const counter = meter.createCounter(misses);
  const callAttributes = { 'refold.cache.outcome': 'miss' };
  const attemptAttributes = {
    'http.request.method': 'POST',
    'server.address': '127.0.0.1',
    'server.port': 8080,
    'url.template': '/api/v2/public/session-token',
    'http.response.status_code': 200,
  };
  return () => {
    const now = [Math.floor(Date.now() / 1000), 0];
    const call = tracer.startSpan('refold.get_token_for_linked_account',
      { kind: api.SpanKind.INTERNAL, startTime: now, attributes: callAttributes }, api.ROOT_CONTEXT);
    const attempt = tracer.startSpan('POST /api/v2/public/session-token',
      { kind: api.SpanKind.CLIENT, startTime: now, attributes: attemptAttributes },
      api.trace.setSpan(api.ROOT_CONTEXT, call));
    attempt.end(now);
    call.end(now);
    histogram.record(0.0009, attemptAttributes);
    counter.add(1, {});
  };
}

// Whole calls through the addon: what no micro-benchmark above sees (core's recording, the
// plan's JSON and the threadsafe function's crossing).
async function wholeCalls() {
  // The bridge the client will make, caught to switch its replay off for one state.
  const telemetry = require(path.join(binding, 'telemetry.js'));
  const made = telemetry.openTelemetryBridge;
  let caught;
  telemetry.openTelemetryBridge = (instruments) => (caught = made(instruments));
  const Refold = require(binding);
  const client = new Refold({ apiKey: process.env.REFOLD_API_KEY, baseUrl: process.env.REFOLD_BASE_URL });
  const replay = caught.record.bind(caught);
  let next = 0;
  const state = {
    'API only (SDK unregistered)': () => {
      api.trace.disable();
      api.metrics.disable();
      caught.record = replay;
    },
    'SDK, replay skipped (plan + crossing)': () => {
      registerOpenTelemetrySdk();
      caught.record = () => {};
    },
    'SDK, floor instead of our replay': () => {
      registerOpenTelemetrySdk();
      const floor = sdkFloor();
      caught.record = () => floor();
    },
    'SDK, whole bridge': () => {
      registerOpenTelemetrySdk();
      caught.record = replay;
    },
  };
  /** @type {Record<string, number[]>} */
  const rounds = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, enter] of Object.entries(state)) {
      enter();
      const cpu = process.cpuUsage();
      let left = CALLS;
      await Promise.all(Array.from({ length: 64 }, async () => {
        while (left-- > 0) await client.getTokenForLinkedAccount(`cost-${next++}`);
      }));
      const used = process.cpuUsage(cpu);
      (rounds[label] ??= []).push((used.user + used.system) / CALLS);
      api.trace.disable();
      api.metrics.disable();
    }
  }
  for (const [label, perCall] of Object.entries(rounds)) {
    perCall.sort((a, b) => a - b);
    const median = perCall[Math.floor(perCall.length / 2)];
    console.log(`${label.padEnd(44)} ${median.toFixed(2).padStart(7)} µs/call (client CPU, median of ${ROUNDS} × ${CALLS})`);
  }
}

(WHOLE_CALLS ? wholeCalls() : main()).then(() => process.exit(0));
