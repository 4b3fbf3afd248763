// OpenTelemetry's cost per call, in process (bench/README.md, "OpenTelemetry's cost"): the host
// SDK's own floor against our bridge (OpenTelemetryBridge.kt) replaying one plan record, and the
// per-call traceparent() check with only the API. No I/O and no emulator: whole-run req/s on a
// shared machine is too noisy for a difference of microseconds. Run from the repository root
// (java's single-file launch; the jars as bench/prepare.sh leaves them, or the binding's jar
// from `make kotlin-install`):
//
//   java -cp "bench/jvm/target/lib/*:bench/jvm/target/otel-lib/*:bench/.build/refold-session-release.jar" \
//     bench/jvm/src/cost/OtelCost.java [calls per round, default 200000]
//   scripts/with-emulator.sh --any-linked-account -- java -cp "…" bench/jvm/src/cost/OtelCost.java --calls [calls, 5000]
//
// --calls: whole blocking token calls against the emulator ($REFOLD_BASE_URL) from 64 threads,
// the process's CPU per call with no OpenTelemetry registered (API only), with the API's no-op
// OpenTelemetry registered (the native plan, its crossing and our decode, replayed into
// no-ops), and with the SDK registered; rounds interleaved.
//
// The SDK is set up as OursOtel.kt's (the ours-otel-sdk rows): batch span processor into a
// dropping exporter, a periodic metric reader that never exports within the run.

import ai.refold.session.OpenTelemetryBridge;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

public class OtelCost {
    static final int ROUNDS = 7;
    static final long PAUSE_NANOS = 100_000;
    static int calls;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--calls")) {
            calls = args.length > 1 ? Integer.parseInt(args[1]) : 5_000;
            wholeCalls();
            System.exit(0);
        }
        calls = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        OpenTelemetryBridge bridge = new OpenTelemetryBridge();
        Map<String, IntConsumer> apiOnly = new LinkedHashMap<>();
        apiOnly.put("nothing (the loop)", i -> {});
        // (d) Only the API: what each call asks the bridge.
        apiOnly.put("API only: traceparent()", i -> bridge.traceparent());
        measure(apiOnly);

        registerSdk();
        bridge.reread();
        long now = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
        byte[][] records = new byte[256][];
        for (int i = 0; i < records.length; i++) records[i] = record(now + i);
        Tracer tracer = GlobalOpenTelemetry.getTracer("refold-session", "0.1.0");
        var meter = GlobalOpenTelemetry.getMeter("refold-session");
        DoubleHistogram histogram = meter.histogramBuilder("http.client.request.duration").setUnit("s").build();
        LongCounter counter = meter.counterBuilder("refold.session_cache.misses").build();
        Attributes callAttributes = Attributes.of(AttributeKey.stringKey("refold.cache.outcome"), "miss");
        Attributes attemptAttributes = Attributes.builder()
            .put(AttributeKey.stringKey("http.request.method"), "POST")
            .put(AttributeKey.stringKey("server.address"), "127.0.0.1")
            .put(AttributeKey.longKey("server.port"), 8080L)
            .put(AttributeKey.stringKey("url.template"), "/api/v2/public/session-token")
            .put(AttributeKey.longKey("http.response.status_code"), 200L)
            .build();
        Map<String, IntConsumer> sdk = new LinkedHashMap<>();
        // (a) The floor: the same two spans, a histogram point and a counter add, through the API.
        sdk.put("SDK floor: 2 spans + record + add", i -> {
            long start = now + i;
            Span call = tracer.spanBuilder("refold.get_token_for_linked_account").setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(start, TimeUnit.NANOSECONDS).setAllAttributes(callAttributes).setNoParent().startSpan();
            Span attempt = tracer.spanBuilder("POST /api/v2/public/session-token").setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(start, TimeUnit.NANOSECONDS).setAllAttributes(attemptAttributes)
                .setParent(Context.root().with(call)).startSpan();
            attempt.end(start + 900_000, TimeUnit.NANOSECONDS);
            call.end(start + 950_000, TimeUnit.NANOSECONDS);
            histogram.record(0.0009, attemptAttributes);
            counter.add(1, Attributes.empty());
        });
        // (b) Ours: the bridge decoding and replaying the native side's record.
        sdk.put("ours: record(plan bytes)", i -> bridge.record(records[i & 255]));
        sdk.put("traceparent() with the SDK", i -> bridge.traceparent());
        Map<String, Double> medians = measure(sdk);
        System.out.printf("ours over the floor: %.2f µs/call%n",
            medians.get("ours: record(plan bytes)") - medians.get("SDK floor: 2 spans + record + add"));
        System.exit(0);
    }

    static void wholeCalls() throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        var client = new ai.refold.session.RefoldClient(System.getenv("REFOLD_API_KEY"), null, System.getenv("REFOLD_BASE_URL"));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(64);
        var next = new java.util.concurrent.atomic.AtomicLong();
        Map<String, Runnable> states = new LinkedHashMap<>();
        states.put("API only (nothing registered)", () -> {});
        states.put("no-op OpenTelemetry (plan + crossing)", () -> GlobalOpenTelemetry.set(io.opentelemetry.api.OpenTelemetry.noop()));
        states.put("SDK, whole bridge", OtelCost::registerSdk);
        Map<String, double[]> rounds = new LinkedHashMap<>();
        for (String label : states.keySet()) rounds.put(label, new double[ROUNDS]);
        for (int round = 0; round < ROUNDS; round++) {
            for (var state : states.entrySet()) {
                GlobalOpenTelemetry.resetForTest();
                state.getValue().run();
                Thread.sleep(60); // the bridge reads GlobalOpenTelemetry again after 50 ms
                var left = new java.util.concurrent.atomic.AtomicInteger(calls);
                long cpu = os.getProcessCpuTime();
                var done = new java.util.ArrayList<java.util.concurrent.Future<?>>();
                for (int t = 0; t < 64; t++) {
                    done.add(pool.submit(() -> {
                        while (left.getAndDecrement() > 0) client.getTokenForLinkedAccountBlocking("cost-" + next.incrementAndGet());
                        return null;
                    }));
                }
                for (var f : done) f.get();
                rounds.get(state.getKey())[round] = (os.getProcessCpuTime() - cpu) / 1000.0 / calls;
            }
        }
        rounds.forEach((label, perCall) -> {
            Arrays.sort(perCall);
            System.out.printf("%-44s %7.2f µs/call (process CPU, median of %d × %d)%n", label, perCall[ROUNDS / 2], ROUNDS, calls);
        });
    }

    /** What the native side hands over for a miss (bindings-kotlin/src/telemetry.rs's record). */
    static byte[] record(long start) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(0); // no parent
        out.writeInt(2);
        span(out, "refold.get_token_for_linked_account", 0, -1, start, start + 950_000);
        out.writeInt(1);
        text(out, "refold.cache.outcome", "miss");
        span(out, "POST /api/v2/public/session-token", 1, 0, start, start + 900_000);
        attempt(out);
        out.writeInt(2);
        out.writeInt(0);
        out.writeLong(Double.doubleToLongBits(0.0009));
        attempt(out);
        out.writeInt(2);
        out.writeLong(Double.doubleToLongBits(1.0));
        out.writeInt(0);
        return bytes.toByteArray();
    }

    static void span(DataOutputStream out, String name, int kind, int parent, long start, long end) throws IOException {
        str(out, name);
        out.writeByte(kind);
        out.writeInt(parent);
        out.writeLong(start);
        out.writeLong(end);
        out.writeByte(0);
    }

    static void attempt(DataOutputStream out) throws IOException {
        out.writeInt(5);
        text(out, "http.request.method", "POST");
        text(out, "server.address", "127.0.0.1");
        number(out, "server.port", 8080);
        text(out, "url.template", "/api/v2/public/session-token");
        number(out, "http.response.status_code", 200);
    }

    static void text(DataOutputStream out, String key, String value) throws IOException {
        str(out, key);
        out.writeByte(0);
        str(out, value);
    }

    static void number(DataOutputStream out, String key, long value) throws IOException {
        str(out, key);
        out.writeByte(1);
        out.writeLong(value);
    }

    static void str(DataOutputStream out, String text) throws IOException {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    /**
     * The calling thread's CPU µs per call of each (the batch processor's export runs on its own
     * thread, alike for all), rounds interleaved; the median round (the first warm the JIT).
     */
    static Map<String, Double> measure(Map<String, IntConsumer> work) {
        var threads = ManagementFactory.getThreadMXBean();
        Map<String, double[]> rounds = new LinkedHashMap<>();
        for (String label : work.keySet()) rounds.put(label, new double[ROUNDS]);
        for (int round = 0; round < ROUNDS; round++) {
            for (var entry : work.entrySet()) {
                long cpu = threads.getCurrentThreadCpuTime();
                IntConsumer call = entry.getValue();
                for (int i = 0; i < calls; i++) {
                    call.accept(i);
                    // A burst of 64 calls, then a pause: the batch processor's thread keeps up
                    // (in a tight loop its queue fills and it drops spans, costing less than a
                    // service's steady stream does).
                    if (i % 64 == 63) LockSupport.parkNanos(PAUSE_NANOS);
                }
                rounds.get(entry.getKey())[round] = (threads.getCurrentThreadCpuTime() - cpu) / 1000.0 / calls;
            }
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        rounds.forEach((label, perCall) -> {
            Arrays.sort(perCall);
            medians.put(label, perCall[ROUNDS / 2]);
            System.out.printf("%-44s %7.2f µs/call (thread CPU, median of %d × %d)%n", label, perCall[ROUNDS / 2], ROUNDS, calls);
        });
        return medians;
    }

    static void registerSdk() {
        OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(new DropSpans()).build()).build())
            .setMeterProvider(SdkMeterProvider.builder()
                .registerMetricReader(PeriodicMetricReader.builder(new DropMetrics()).setInterval(Duration.ofMinutes(10)).build())
                .build())
            .buildAndRegisterGlobal();
    }

    static final class DropSpans implements SpanExporter {
        public CompletableResultCode export(Collection<SpanData> spans) { return CompletableResultCode.ofSuccess(); }
        public CompletableResultCode flush() { return CompletableResultCode.ofSuccess(); }
        public CompletableResultCode shutdown() { return CompletableResultCode.ofSuccess(); }
    }

    static final class DropMetrics implements MetricExporter {
        public AggregationTemporality getAggregationTemporality(InstrumentType type) { return AggregationTemporality.CUMULATIVE; }
        public CompletableResultCode export(Collection<MetricData> metrics) { return CompletableResultCode.ofSuccess(); }
        public CompletableResultCode flush() { return CompletableResultCode.ofSuccess(); }
        public CompletableResultCode shutdown() { return CompletableResultCode.ofSuccess(); }
    }
}
