package ai.refold.session

import ai.refold.session.ffi.TelemetryDeclaration
import ai.refold.session.ffi.telemetryDeclaration
import io.opentelemetry.api.GlobalOpenTelemetry
import io.opentelemetry.api.OpenTelemetry
import io.opentelemetry.api.common.AttributeKey
import io.opentelemetry.api.common.Attributes
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
 * Replays the core's plan of each call's trace (bindings-kotlin/src/telemetry.rs, one byte
 * record per call; every span name, attribute and metric point decided by core,
 * docs/contract.md §18) through the application's OpenTelemetry (`GlobalOpenTelemetry`), with the
 * times the core recorded, under the span that was current when the call began. This file knows
 * no name: the scope and instruments are core's declaration (`telemetryDeclaration()`).
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

    /** The tracer and instruments of the OpenTelemetry they were made from. */
    private class Instruments(
        val of: OpenTelemetry,
        val tracer: Tracer,
        /** Per instrument core declares, in its order: adds a point (value, attributes). */
        val points: List<(Double, Attributes) -> Unit>,
    )

    @Volatile
    private var instruments: Instruments? = null

    private val declared: TelemetryDeclaration by lazy { telemetryDeclaration() }

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
        val meter = otel.meterBuilder(declared.scope).setInstrumentationVersion(declared.version).build()
        val points = declared.instruments.map { spec ->
            if (spec.kind == "histogram") {
                val builder = meter.histogramBuilder(spec.name).setUnit(spec.unit).setDescription(spec.description)
                if (spec.buckets.isNotEmpty()) builder.setExplicitBucketBoundariesAdvice(spec.buckets)
                val histogram = builder.build();
                { value: Double, attributes: Attributes -> histogram.record(value, attributes) }
            } else {
                val counter = meter.counterBuilder(spec.name).setUnit(spec.unit).setDescription(spec.description).build();
                { value: Double, attributes: Attributes -> counter.add(value.toLong(), attributes) }
            }
        }
        val made = Instruments(
            of = otel,
            tracer = otel.tracerBuilder(declared.scope).setInstrumentationVersion(declared.version).build(),
            points = points,
        )
        instruments = made
        return made
    }

    private fun emit(to: Instruments, buf: ByteBuffer) {
        val parent = buf.optional { text() }?.let(::context)
        val count = buf.int.coerceIn(0, MAX_SPANS)
        val spans = ArrayList<Span>(count)
        val ends = LongArray(count)
        val contexts = arrayOfNulls<Context>(count)
        repeat(count) { index ->
            val name = buf.text()
            val kind = if (buf.get().toInt() == 1) SpanKind.CLIENT else SpanKind.INTERNAL
            val under = buf.int
            val start = buf.long
            ends[index] = buf.long
            val error = buf.get().toInt() != 0
            val builder = to.tracer.spanBuilder(name)
                .setSpanKind(kind)
                .setStartTimestamp(start, TimeUnit.NANOSECONDS)
                .setAllAttributes(buf.attributes())
            val within = if (under in 0 until index) {
                contexts[under] ?: Context.root().with(spans[under]).also { contexts[under] = it }
            } else {
                parent
            }
            if (within != null) builder.setParent(within) else builder.setNoParent()
            val span = builder.startSpan()
            if (error) span.setStatus(StatusCode.ERROR)
            spans.add(span)
        }
        // Children end before their parents, as they did.
        for (index in spans.indices.reversed()) spans[index].end(ends[index], TimeUnit.NANOSECONDS)
        repeat(buf.int.coerceIn(0, MAX_SPANS)) {
            val instrument = buf.int
            val value = Double.fromBits(buf.long)
            val attributes = buf.attributes()
            to.points.getOrNull(instrument)?.invoke(value, attributes)
        }
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
        /** How often `GlobalOpenTelemetry` is read again: 50 ms. */
        const val REREAD_NANOS = 50_000_000L

        /** The core makes at most 101 attempts per call; a bound on what a record says. */
        const val MAX_SPANS = 1_000

        /** At most this many attributes per span or point (core sets under ten). */
        const val MAX_ATTRIBUTES = 64

        inline fun <T> ByteBuffer.optional(read: ByteBuffer.() -> T): T? = if (get().toInt() != 0) read() else null

        fun ByteBuffer.text(): String {
            val length = int
            val text = String(array(), arrayOffset() + position(), length, Charsets.UTF_8)
            position(position() + length)
            return text
        }

        fun ByteBuffer.attributes(): Attributes {
            val builder = Attributes.builder()
            repeat(int.coerceIn(0, MAX_ATTRIBUTES)) {
                val key = text()
                when (get().toInt()) {
                    0 -> builder.put(AttributeKey.stringKey(key), text())
                    1 -> builder.put(AttributeKey.longKey(key), long)
                    else -> builder.put(AttributeKey.doubleKey(key), Double.fromBits(long))
                }
            }
            return builder.build()
        }
    }
}
