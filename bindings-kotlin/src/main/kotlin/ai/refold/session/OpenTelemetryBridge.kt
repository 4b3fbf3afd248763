package ai.refold.session

import ai.refold.session.ffi.packageVersion
import io.opentelemetry.api.GlobalOpenTelemetry
import io.opentelemetry.api.OpenTelemetry
import io.opentelemetry.api.common.AttributeKey
import io.opentelemetry.api.common.Attributes
import io.opentelemetry.api.common.AttributesBuilder
import io.opentelemetry.api.metrics.DoubleHistogram
import io.opentelemetry.api.metrics.LongCounter
import io.opentelemetry.api.trace.Span
import io.opentelemetry.api.trace.SpanContext
import io.opentelemetry.api.trace.SpanKind
import io.opentelemetry.api.trace.StatusCode
import io.opentelemetry.api.trace.TraceFlags
import io.opentelemetry.api.trace.TraceState
import io.opentelemetry.api.trace.Tracer
import io.opentelemetry.context.Context
import java.nio.ByteBuffer
import java.util.concurrent.TimeUnit

/**
 * Turns the core's call traces (bindings-kotlin/src/telemetry.rs, one byte record per call) into
 * spans and metrics of the application's OpenTelemetry (`GlobalOpenTelemetry`, scope
 * `refold-session`), with the times the core recorded: a span `refold.<call>` per call (INTERNAL,
 * under the span that was current when the call began, carried back as the trace's parent) and a
 * CLIENT span `{method} {route template}` per attempt under it; the histogram
 * `http.client.request.duration` per attempt and a counter per cache outcome. No attribute holds
 * the API key, a token, a body, a raw path or a header value.
 */
internal class OpenTelemetryBridge {
    /** The registered OpenTelemetry (null: none) as last read, and when. */
    private class Registered(val otel: OpenTelemetry?, val readAt: Long)

    /**
     * `GlobalOpenTelemetry` is read at most every [REREAD_NANOS] (its reads take a global lock,
     * which calls on many threads would contend for): an OpenTelemetry registered (or reset)
     * later is seen by the calls after that.
     */
    @Volatile
    private var registered = Registered(null, System.nanoTime() - REREAD_NANOS)

    /** Whether the native hook hands traces over (last value told). */
    private var recording = false

    /** The instruments of the OpenTelemetry they were made from. */
    private class Instruments(
        val of: OpenTelemetry,
        val tracer: Tracer,
        val duration: DoubleHistogram,
        val counters: Map<String, LongCounter>,
    )

    @Volatile
    private var instruments: Instruments? = null

    private val version: String by lazy { packageVersion() }

    /** The registered OpenTelemetry, read again when the last read is old; tells native code whether to record. */
    private fun current(): OpenTelemetry? {
        val last = registered
        val now = System.nanoTime()
        if (now - last.readAt < REREAD_NANOS) return last.otel
        return reread(now)
    }

    @Synchronized
    private fun reread(now: Long): OpenTelemetry? {
        val otel = if (GlobalOpenTelemetry.isSet()) GlobalOpenTelemetry.getOrNoop() else null
        registered = Registered(otel, now)
        if ((otel != null) != recording) {
            recording = otel != null
            NativeFast.setRecording(recording)
        }
        return otel
    }

    /** Reads `GlobalOpenTelemetry` now (tests that register one). */
    fun reread() {
        reread(System.nanoTime())
    }

    /** Per call: the current span's traceparent, when an OpenTelemetry is registered and the span is valid. */
    fun traceparent(): String? {
        current() ?: return null
        val context = Span.current().spanContext
        if (!context.isValid) return null
        return "00-${context.traceId}-${context.spanId}-${context.traceFlags.asHex()}"
    }

    /** One call's trace; never throws (a trace that cannot be recorded is dropped). */
    fun record(trace: ByteArray) {
        val otel = current() ?: return
        try {
            emit(instruments(otel), ByteBuffer.wrap(trace))
        } catch (error: RuntimeException) {
            // The call is unaffected; its trace is lost.
        }
    }

    private fun instruments(otel: OpenTelemetry): Instruments {
        instruments?.takeIf { it.of === otel }?.let { return it }
        val meter = otel.meterBuilder(SCOPE).setInstrumentationVersion(version).build()
        val made = Instruments(
            of = otel,
            tracer = otel.tracerBuilder(SCOPE).setInstrumentationVersion(version).build(),
            duration = meter.histogramBuilder("http.client.request.duration")
                .setUnit("s")
                .setDescription("Duration of HTTP client requests.")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
                .build(),
            counters = CACHE_COUNTERS.values.toSet().associateWith { name -> meter.counterBuilder(name).build() },
        )
        instruments = made
        return made
    }

    private fun emit(to: Instruments, buf: ByteBuffer) {
        val name = buf.text()
        val started = buf.epochNanos()
        val duration = buf.durationNanos()
        val error = buf.optional { text() }
        val cache = buf.optional { text() }
        val account = buf.optional { text() }
        val parent = buf.optional { text() }
        val builder = to.tracer.spanBuilder("refold.$name")
            .setSpanKind(SpanKind.INTERNAL)
            .setStartTimestamp(started, TimeUnit.NANOSECONDS)
        val parentContext = parent?.let(::context)
        if (parentContext != null) builder.setParent(parentContext) else builder.setNoParent()
        cache?.let { builder.setAttribute(CACHE_OUTCOME, it) }
        account?.let { builder.setAttribute(LINKED_ACCOUNT_ID, it) }
        error?.let { builder.setAttribute(ERROR_TYPE, it) }
        val call = builder.startSpan()
        if (error != null) call.setStatus(StatusCode.ERROR)
        val under = Context.root().with(call)
        repeat(buf.int.coerceIn(0, MAX_ATTEMPTS)) { attempt(to, buf, under) }
        call.end(started + duration, TimeUnit.NANOSECONDS)
        cache?.let { CACHE_COUNTERS[it] }?.let { to.counters.getValue(it).add(1) }
    }

    private fun attempt(to: Instruments, buf: ByteBuffer, under: Context) {
        val method = buf.text()
        val route = buf.text()
        val address = buf.text()
        val port = buf.int.toLong()
        val status = buf.optional { int.toLong() }
        val error = buf.optional { text() }
        val number = buf.int
        val started = buf.epochNanos()
        val duration = buf.durationNanos()
        val budgetWait = buf.durationNanos()
        val attributes = Attributes.builder()
            .put(HTTP_METHOD, method)
            .put(SERVER_ADDRESS, address)
            .put(SERVER_PORT, port)
            .put(URL_TEMPLATE, route)
            .putIf(STATUS_CODE, status)
            .putIf(ERROR_TYPE, error)
            .build()
        val builder = to.tracer.spanBuilder("$method $route")
            .setParent(under)
            .setSpanKind(SpanKind.CLIENT)
            .setStartTimestamp(started, TimeUnit.NANOSECONDS)
            .setAllAttributes(attributes)
        if (number > 1) builder.setAttribute(RESEND_COUNT, (number - 1).toLong())
        if (budgetWait > 0) builder.setAttribute(BUDGET_WAIT, budgetWait / 1e9)
        val span = builder.startSpan()
        if (error != null) span.setStatus(StatusCode.ERROR)
        span.end(started + duration, TimeUnit.NANOSECONDS)
        to.duration.record(duration / 1e9, attributes)
    }

    /** The context of the host span a traceparent names (checked by the core: version 00). */
    private fun context(traceparent: String): Context? {
        if (traceparent.length != 55) return null
        val span = SpanContext.create(
            traceparent.substring(3, 35),
            traceparent.substring(36, 52),
            TraceFlags.fromHex(traceparent, 53),
            TraceState.getDefault(),
        )
        return if (span.isValid) Context.root().with(Span.wrap(span)) else null
    }

    private companion object {
        const val SCOPE = "refold-session"

        /** How often `GlobalOpenTelemetry` is read again: 50 ms. */
        const val REREAD_NANOS = 50_000_000L

        /** The core makes at most 101 attempts per call; a bound on what the record says. */
        const val MAX_ATTEMPTS = 1_000

        val CACHE_OUTCOME: AttributeKey<String> = AttributeKey.stringKey("refold.cache.outcome")
        val LINKED_ACCOUNT_ID: AttributeKey<String> = AttributeKey.stringKey("refold.linked_account_id")
        val ERROR_TYPE: AttributeKey<String> = AttributeKey.stringKey("error.type")
        val HTTP_METHOD: AttributeKey<String> = AttributeKey.stringKey("http.request.method")
        val SERVER_ADDRESS: AttributeKey<String> = AttributeKey.stringKey("server.address")
        val SERVER_PORT: AttributeKey<Long> = AttributeKey.longKey("server.port")
        val URL_TEMPLATE: AttributeKey<String> = AttributeKey.stringKey("url.template")
        val STATUS_CODE: AttributeKey<Long> = AttributeKey.longKey("http.response.status_code")
        val RESEND_COUNT: AttributeKey<Long> = AttributeKey.longKey("http.request.resend_count")
        val BUDGET_WAIT: AttributeKey<Double> = AttributeKey.doubleKey("refold.budget_wait")

        /** The semantic conventions' advice for `http.client.request.duration`. */
        val DURATION_BUCKETS = listOf(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

        /** The counter each cache outcome adds to (a store hit is a hit). */
        val CACHE_COUNTERS = mapOf(
            "hit" to "refold.session_cache.hits",
            "store_hit" to "refold.session_cache.hits",
            "miss" to "refold.session_cache.misses",
            "coalesced" to "refold.session_cache.coalesced",
            "refresh" to "refold.session_cache.refreshes",
            "store_error" to "refold.session_cache.store_errors",
        )

        fun <T : Any> AttributesBuilder.putIf(key: AttributeKey<T>, value: T?): AttributesBuilder =
            if (value != null) put(key, value) else this

        inline fun <T> ByteBuffer.optional(read: ByteBuffer.() -> T): T? = if (get().toInt() != 0) read() else null

        fun ByteBuffer.text(): String {
            val length = int
            val text = String(array(), arrayOffset() + position(), length, Charsets.UTF_8)
            position(position() + length)
            return text
        }

        /** A time (uniffi's timestamp encoding) as nanoseconds since the epoch. */
        fun ByteBuffer.epochNanos(): Long {
            val seconds = long
            val nanos = int
            return if (seconds >= 0) seconds * 1_000_000_000L + nanos else seconds * 1_000_000_000L - nanos
        }

        /** A duration (seconds, nanoseconds) in nanoseconds. */
        fun ByteBuffer.durationNanos(): Long = long * 1_000_000_000L + int
    }
}
