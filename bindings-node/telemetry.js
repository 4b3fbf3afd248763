// @ts-check
'use strict';
// The OpenTelemetry bridge (docs/contract.md §18, Node): the current span's W3C traceparent
// for each call, and each call's trace (from the core, through the addon's hook) as spans and
// metrics of the application's own `@opentelemetry/api`, so its provider, sampler, exporter
// and parent span apply. Loaded only when `@opentelemetry/api` is installed (an optional peer
// dependency); without a registered provider nothing crosses from the addon.

/** @typedef {typeof import('@opentelemetry/api')} OpenTelemetryApi */

const SCOPE = 'refold-session';
const VERSION = require('./package.json').version;
/** The semantic conventions' buckets for `http.client.request.duration` (seconds). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * @typedef {object} AttemptTrace
 * @property {string} method
 * @property {string} route the route template
 * @property {string} address
 * @property {number} port
 * @property {number | null} status
 * @property {string | null} error
 * @property {number} attempt from 1
 * @property {[number, number]} start
 * @property {number} durationNs
 * @property {number} budgetWaitNs
 *
 * @typedef {object} CallTrace
 * @property {string} name
 * @property {[number, number]} start
 * @property {number} durationNs
 * @property {string | null} error
 * @property {string | null} cache
 * @property {string | null} linkedAccountId
 * @property {string | null} parent
 * @property {AttemptTrace[]} attempts
 */

/**
 * `@opentelemetry/api` if the application can load it, else `null`.
 * @returns {OpenTelemetryApi | null}
 */
function loadApi() {
  try {
    return require('@opentelemetry/api');
  } catch {
    return null;
  }
}

/**
 * @param {[number, number]} start
 * @param {number} durationNs
 * @returns {[number, number]}
 */
function endOf(start, durationNs) {
  const nanos = start[1] + durationNs;
  return [start[0] + Math.floor(nanos / 1e9), nanos % 1e9];
}

class Bridge {
  /** @type {OpenTelemetryApi} */
  #api;
  /** The API's no-op tracer provider, behind its global proxy until one is registered. */
  #noopTracers;
  /** @type {unknown} */
  #noopMeter;
  /** @type {unknown} */
  #seenTracers = undefined;
  /** @type {unknown} */
  #seenMeters = undefined;
  #recording = false;
  /** @type {{provider: unknown, duration: import('@opentelemetry/api').Histogram, counters: Record<string, import('@opentelemetry/api').Counter>} | undefined} */
  #instruments;

  /** @param {OpenTelemetryApi} api */
  constructor(api) {
    this.#api = api;
    this.#noopTracers = new api.ProxyTracerProvider().getDelegate();
    this.#noopMeter = api.createNoopMeter();
  }

  /**
   * Whether a tracer or meter provider is registered (checked by identity on each call, so a
   * provider registered after the client was built is seen at once).
   */
  recording() {
    const api = this.#api;
    const proxy = /** @type {{getDelegate?: () => unknown}} */ (api.trace.getTracerProvider());
    const tracers = typeof proxy.getDelegate === 'function' ? proxy.getDelegate() : proxy;
    const meters = api.metrics.getMeterProvider();
    if (tracers !== this.#seenTracers || meters !== this.#seenMeters) {
      this.#seenTracers = tracers;
      this.#seenMeters = meters;
      this.#recording = tracers !== this.#noopTracers || meters.getMeter(SCOPE, VERSION) !== this.#noopMeter;
    }
    return this.#recording;
  }

  /**
   * The W3C traceparent of the active span, when it is valid.
   * @returns {string | undefined}
   */
  traceparent() {
    const api = this.#api;
    const span = api.trace.getSpan(api.context.active());
    if (span === undefined) return undefined;
    const context = span.spanContext();
    if (!api.trace.isSpanContextValid(context)) return undefined;
    return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  }

  /**
   * Records one call's trace (JSON text from the addon). Never throws: a failing SDK loses
   * that trace only.
   * @param {string} text
   */
  record(text) {
    try {
      /** @type {CallTrace} */
      const trace = JSON.parse(text);
      this.#spans(trace);
      this.#metrics(trace);
    } catch {
      // Nothing to report to: the application's telemetry is what failed.
    }
  }

  /** @param {CallTrace} trace */
  #spans(trace) {
    const api = this.#api;
    const tracer = api.trace.getTracer(SCOPE, VERSION);
    let parent = api.ROOT_CONTEXT;
    if (trace.parent) {
      const [, traceId, spanId, flags] = trace.parent.split('-');
      parent = api.trace.setSpanContext(api.ROOT_CONTEXT, {
        traceId,
        spanId,
        traceFlags: parseInt(flags, 16),
        isRemote: true,
      });
    }
    /** @type {import('@opentelemetry/api').Attributes} */
    const attributes = {};
    if (trace.cache) attributes['refold.cache.outcome'] = trace.cache;
    if (trace.error) attributes['error.type'] = trace.error;
    if (trace.linkedAccountId) attributes['refold.linked_account_id'] = trace.linkedAccountId;
    const call = tracer.startSpan(
      `refold.${trace.name}`,
      { kind: api.SpanKind.INTERNAL, startTime: trace.start, attributes },
      parent,
    );
    if (trace.error) call.setStatus({ code: api.SpanStatusCode.ERROR });
    const inside = api.trace.setSpan(api.ROOT_CONTEXT, call);
    for (const attempt of trace.attempts) {
      const span = tracer.startSpan(
        `${attempt.method} ${attempt.route}`,
        { kind: api.SpanKind.CLIENT, startTime: attempt.start, attributes: attemptAttributes(attempt, true) },
        inside,
      );
      if (attempt.error) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end(endOf(attempt.start, attempt.durationNs));
    }
    call.end(endOf(trace.start, trace.durationNs));
  }

  /** @param {CallTrace} trace */
  #metrics(trace) {
    const api = this.#api;
    const provider = api.metrics.getMeterProvider();
    if (this.#instruments?.provider !== provider) {
      const meter = provider.getMeter(SCOPE, VERSION);
      /** @param {string} name @param {string} description */
      const counter = (name, description) => meter.createCounter(name, { description, unit: '{call}' });
      const hits = counter('refold.session_cache.hits', 'Session tokens answered from the cache or the fleet store.');
      this.#instruments = {
        provider,
        duration: meter.createHistogram('http.client.request.duration', {
          description: 'Duration of HTTP client requests.',
          unit: 's',
          advice: { explicitBucketBoundaries: DURATION_BUCKETS },
        }),
        counters: {
          hit: hits,
          store_hit: hits,
          miss: counter('refold.session_cache.misses', 'Session tokens minted by the call.'),
          coalesced: counter('refold.session_cache.coalesced', "Calls that waited for another caller's mint."),
          refresh: counter('refold.session_cache.refreshes', 'Background refreshes ahead of expiry.'),
          store_error: counter('refold.session_cache.store_errors', 'Calls whose fleet store failed.'),
        },
      };
    }
    const instruments = this.#instruments;
    for (const attempt of trace.attempts) {
      instruments.duration.record(attempt.durationNs / 1e9, attemptAttributes(attempt, false));
    }
    if (trace.cache) instruments.counters[trace.cache]?.add(1);
  }
}

/**
 * An attempt's attributes (the histogram's subset without `span`).
 * @param {AttemptTrace} attempt
 * @param {boolean} span
 */
function attemptAttributes(attempt, span) {
  /** @type {import('@opentelemetry/api').Attributes} */
  const attributes = {
    'http.request.method': attempt.method,
    'server.address': attempt.address,
    'server.port': attempt.port,
    'url.template': attempt.route,
  };
  if (attempt.status != null) attributes['http.response.status_code'] = attempt.status;
  if (attempt.error) attributes['error.type'] = attempt.error;
  if (span) {
    if (attempt.attempt > 1) attributes['http.request.resend_count'] = attempt.attempt - 1;
    if (attempt.budgetWaitNs > 0) attributes['refold.budget_wait'] = attempt.budgetWaitNs / 1e9;
  }
  return attributes;
}

/**
 * The bridge, or `null` when `@opentelemetry/api` is not installed.
 * @returns {Bridge | null}
 */
function openTelemetryBridge() {
  const api = loadApi();
  return api === null ? null : new Bridge(api);
}

module.exports = { openTelemetryBridge };
