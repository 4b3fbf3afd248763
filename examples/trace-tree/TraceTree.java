// One request's trace on the JVM: an application span (what a web framework's instrumentation
// would make), a minted token whose first attempt fails once and is retried, then a cache hit; the
// spans refold-session recorded through the application's own OpenTelemetry SDK, printed as a
// tree. Run it against the emulator (`make demo-traces`, or under scripts/with-emulator.sh with
// the binding and the OpenTelemetry SDK on the class path).

import ai.refold.session.CacheOptions;
import ai.refold.session.RefoldClient;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class TraceTree {
    /** What the tree shows of each span besides its name and kind. */
    private static final List<String> SHOWN = List.of(
            "refold.cache.outcome", "http.response.status_code", "error.type", "http.request.resend_count");
    private static final String BASE_URL = System.getenv("REFOLD_BASE_URL");

    private static String emulator(String method, String route, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(BASE_URL + "/__emulator/" + route))
                .header("content-type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    public static void main(String[] args) throws Exception {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build())
                .buildAndRegisterGlobal();
        emulator("POST", "reset", null);
        // Refold answers the first attempt with a 503: the call retries.
        emulator("POST", "faults", "[{\"kind\": \"status\", \"status\": 503}]");

        Span request = sdk.getTracer("example").spanBuilder("GET /session").setSpanKind(SpanKind.SERVER).startSpan();
        try (RefoldClient refold = new RefoldClient(System.getenv("REFOLD_API_KEY"), null, BASE_URL, null, null, null,
                        new CacheOptions());
                Scope scope = request.makeCurrent()) {
            refold.getTokenForLinkedAccountBlocking("trace-tree-user");
            refold.getTokenForLinkedAccountBlocking("trace-tree-user");
        } finally {
            request.end();
        }

        List<SpanData> spans = exporter.getFinishedSpanItems();
        System.out.println("JVM (opentelemetry-sdk): trace " + request.getSpanContext().getTraceId());
        SpanData root = spans.stream().filter(s -> s.getSpanId().equals(request.getSpanContext().getSpanId())).findFirst().orElseThrow();
        print(spans, root, 1);
        // The emulator's request log: each session-token request's traceparent header.
        Matcher sent = Pattern.compile("\"traceparent\"\\s*:\\s*\"([^\"]+)\"").matcher(emulator("GET", "requests", null));
        Map<String, Integer> counts = new LinkedHashMap<>();
        while (sent.find()) counts.merge(sent.group(1), 1, Integer::sum);
        counts.forEach((traceparent, count) -> {
            String parent = spans.stream().filter(s -> s.getSpanId().equals(traceparent.split("-")[2]))
                    .map(SpanData::getName).findFirst().orElse(null);
            System.out.println("  the emulator saw traceparent " + traceparent + " on " + count + " request(s): span \"" + parent + "\"");
        });
        sdk.close();
    }

    private static void print(List<SpanData> spans, SpanData span, int depth) {
        List<String> parts = new ArrayList<>(List.of(span.getName(), span.getKind().name()));
        for (String key : SHOWN) {
            Object value = span.getAttributes().asMap().entrySet().stream()
                    .filter(e -> e.getKey().getKey().equals(key)).map(Map.Entry::getValue).findFirst().orElse(null);
            if (value != null) parts.add(key + "=" + value);
        }
        parts.add(String.format("(%.1f ms)", (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1e6));
        System.out.println("  ".repeat(depth) + String.join("  ", parts));
        spans.stream().filter(s -> s.getParentSpanId().equals(span.getSpanId()))
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
                .forEach(child -> print(spans, child, depth + 1));
    }
}
