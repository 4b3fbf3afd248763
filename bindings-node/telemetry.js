// @ts-check
'use strict';
// The OpenTelemetry bridge (docs/contract.md §18, Node): the current span's W3C traceparent
// for each call, and each call's trace plan (decided by core, through the addon's hook) as spans
// and metrics of the application's own `@opentelemetry/api`, so its provider, sampler, exporter
// and parent span apply. Loaded only when `@opentelemetry/api` is installed (an optional peer
// dependency); without a registered provider nothing crosses from the addon.

/** @typedef {typeof import('@opentelemetry/api')} OpenTelemetryApi */

/**
 * The plan of one call's trace, as core decides it (core/src/telemetry/plan.rs): every name,
 * kind, attribute and metric point, so this file only replays it.
 * @typedef {{[key: string]: string | number}} Attributes
 * @typedef {object} SpanPlan
 * @property {string} name
 * @property {'internal' | 'client'} kind
 * @property {number | null} parent index of the span it belongs under; null: the call's parent
 * @property {[number, number]} start
 * @property {[number, number]} end
 * @property {boolean} error
 * @property {Attributes} attributes
 *
 * @typedef {object} TracePlan
 * @property {string | null} parent the traceparent the call was made under
 * @property {SpanPlan[]} spans
 * @property {{instrument: number, value: number, attributes: Attributes}[]} points
 *
 * @typedef {object} InstrumentSpec
 * @property {string} name
 * @property {'counter' | 'histogram'} kind
 * @property {string} unit
 * @property {string} description
 * @property {number[]} buckets
 *
 * @typedef {object} Instruments core's declaration of the scope and its instruments
 * @property {string} scope
 * @property {string} version
 * @property {InstrumentSpec[]} instruments
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

class Bridge {
  /** @type {OpenTelemetryApi} */
  #api;
  /** @type {Instruments} */
  #declared;
  /** The API's no-op tracer provider, behind its global proxy until one is registered. */
  #noopTracers;
  /** @type {unknown} */
  #noopMeter;
  /** @type {unknown} */
  #seenTracers = undefined;
  /** @type {unknown} */
  #seenMeters = undefined;
  #recording = false;
  /** @type {{provider: unknown, made: {record?: Function, add?: Function}[]} | undefined} */
  #instruments;
  /** @type {{provider: unknown, tracer: import('@opentelemetry/api').Tracer} | undefined} */
  #tracer;

  /**
   * @param {OpenTelemetryApi} api
   * @param {Instruments} declared
   */
  constructor(api, declared) {
    this.#api = api;
    this.#declared = declared;
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
      const { scope, version } = this.#declared;
      this.#recording = tracers !== this.#noopTracers || meters.getMeter(scope, version) !== this.#noopMeter;
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
   * Records one call's trace plan (JSON text from the addon). Never throws: a failing SDK
   * loses that trace only.
   * @param {string} text
   */
  record(text) {
    try {
      /** @type {TracePlan} */
      const plan = JSON.parse(text);
      this.#spans(plan);
      this.#points(plan);
    } catch {
      // Nothing to report to: the application's telemetry is what failed.
    }
  }

  /** Our tracer, made again only when another tracer provider is registered. */
  #ourTracer() {
    const api = this.#api;
    const proxy = /** @type {{getDelegate?: () => unknown}} */ (api.trace.getTracerProvider());
    const provider = typeof proxy.getDelegate === 'function' ? proxy.getDelegate() : proxy;
    let made = this.#tracer;
    if (made === undefined || made.provider !== provider) {
      made = { provider, tracer: api.trace.getTracer(this.#declared.scope, this.#declared.version) };
      this.#tracer = made;
    }
    return made.tracer;
  }

  /** @param {TracePlan} plan */
  #spans(plan) {
    const api = this.#api;
    const tracer = this.#ourTracer();
    let parent = api.ROOT_CONTEXT;
    if (plan.parent) {
      const [, traceId, spanId, flags] = plan.parent.split('-');
      parent = api.trace.setSpanContext(api.ROOT_CONTEXT, {
        traceId,
        spanId,
        traceFlags: parseInt(flags, 16),
        isRemote: true,
      });
    }
    const spans = plan.spans;
    /** @type {(import('@opentelemetry/api').Context | undefined)[]} */
    const contexts = [];
    /** @type {import('@opentelemetry/api').Span[]} */
    const open = [];
    for (const planned of spans) {
      let within = parent;
      if (planned.parent !== null) {
        // Made once per span that has children (the call's span), not per span.
        within = contexts[planned.parent] ??= api.trace.setSpan(api.ROOT_CONTEXT, open[planned.parent]);
      }
      const kind = planned.kind === 'client' ? api.SpanKind.CLIENT : api.SpanKind.INTERNAL;
      const span = tracer.startSpan(
        planned.name,
        { kind, startTime: planned.start, attributes: planned.attributes },
        within,
      );
      if (planned.error) span.setStatus({ code: api.SpanStatusCode.ERROR });
      open.push(span);
    }
    // Children end before their parents, as they did.
    for (let i = open.length - 1; i >= 0; i--) open[i].end(spans[i].end);
  }

  /** @param {TracePlan} plan */
  #points(plan) {
    const provider = this.#api.metrics.getMeterProvider();
    if (this.#instruments?.provider !== provider) {
      const { scope, version, instruments } = this.#declared;
      const meter = provider.getMeter(scope, version);
      const made = instruments.map((spec) =>
        spec.kind === 'histogram'
          ? meter.createHistogram(spec.name, {
              description: spec.description,
              unit: spec.unit,
              advice: spec.buckets.length > 0 ? { explicitBucketBoundaries: spec.buckets } : undefined,
            })
          : meter.createCounter(spec.name, { description: spec.description, unit: spec.unit }),
      );
      this.#instruments = { provider, made: /** @type {{record?: Function, add?: Function}[]} */ (made) };
    }
    const made = this.#instruments.made;
    for (const point of plan.points) {
      const instrument = made[point.instrument];
      if (instrument === undefined) continue;
      if (instrument.record) instrument.record(point.value, point.attributes);
      else instrument.add?.(point.value, point.attributes);
    }
  }
}

/**
 * The bridge, or `null` when `@opentelemetry/api` is not installed.
 * @param {() => string} instruments the addon's `telemetryInstruments`
 * @returns {Bridge | null}
 */
function openTelemetryBridge(instruments) {
  const api = loadApi();
  return api === null ? null : new Bridge(api, JSON.parse(instruments()));
}

module.exports = { openTelemetryBridge };
