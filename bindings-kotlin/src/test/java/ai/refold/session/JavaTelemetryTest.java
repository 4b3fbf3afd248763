package ai.refold.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Java callers' spans: a blocking call and a CompletableFuture (run on another thread) under the caller's span. */
class JavaTelemetryTest {
    @Test
    void blockingAndFutureCallsAreChildrenOfTheCallersSpan() throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        GlobalOpenTelemetry.resetForTest();
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                        .buildAndRegisterGlobal();
                Emulator emulator = new Emulator(List.of(Emulator.KEY), List.of(), true, false);
                RefoldClient refold = new RefoldClient(Emulator.KEY, null, emulator.getBaseUrl())) {
            TestTracing.reread();
            Span parent = sdk.getTracer("test").spanBuilder("java-request").startSpan();
            Scope scope = parent.makeCurrent();
            try {
                String token = refold.getTokenForLinkedAccountBlocking("java-otel-1").getToken();
                refold.getActiveLinkedAccountAsync(token).get(30, TimeUnit.SECONDS);
            } finally {
                scope.close();
                parent.end();
            }
            List<SpanData> calls = spans.getFinishedSpanItems().stream().filter(span -> span.getName().startsWith("refold.")).toList();
            assertEquals(List.of("refold.get_token_for_linked_account", "refold.get_active_linked_account"),
                    calls.stream().map(SpanData::getName).toList());
            for (SpanData call : calls) {
                assertEquals(parent.getSpanContext().getSpanId(), call.getParentSpanId(), call.toString());
            }
            assertTrue(emulator.requests().toString().contains(parent.getSpanContext().getTraceId()));
        } finally {
            GlobalOpenTelemetry.resetForTest();
            TestTracing.reread();
        }
    }
}
