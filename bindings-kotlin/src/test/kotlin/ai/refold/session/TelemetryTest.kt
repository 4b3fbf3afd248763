package ai.refold.session

import io.opentelemetry.api.GlobalOpenTelemetry
import io.opentelemetry.api.common.AttributeKey
import io.opentelemetry.api.trace.Span
import io.opentelemetry.api.trace.SpanKind
import io.opentelemetry.api.trace.StatusCode
import io.opentelemetry.sdk.OpenTelemetrySdk
import io.opentelemetry.sdk.metrics.SdkMeterProvider
import io.opentelemetry.sdk.metrics.data.MetricData
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter
import io.opentelemetry.sdk.trace.SdkTracerProvider
import io.opentelemetry.sdk.trace.data.SpanData
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Paths

/**
 * The OpenTelemetry bridge through the real emulator, with the SDK's in-memory exporter and
 * metric reader registered as `GlobalOpenTelemetry`: call spans under the test's own span, a
 * CLIENT span per attempt, a hit with none, the traceparent the emulator saw, the metrics, the
 * options `telemetry` and `telemetryLinkedAccountId`, and no secret in any attribute or log line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TelemetryTest {
    private lateinit var emulator: Emulator
    private val spans = InMemorySpanExporter.create()
    private val metrics = InMemoryMetricReader.createDelta()
    private lateinit var sdk: OpenTelemetrySdk

    /** Every token handed out in this class: none may show in an attribute or a log line. */
    private val tokens = mutableListOf<String>()

    @BeforeAll
    fun start() {
        emulator = Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true)
        GlobalOpenTelemetry.resetForTest()
        sdk = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .buildAndRegisterGlobal()
        TestTracing.reread()
    }

    @AfterAll
    fun stop() {
        emulator.close()
        sdk.close()
        GlobalOpenTelemetry.resetForTest()
        TestTracing.reread()
    }

    @BeforeEach
    fun reset() {
        emulator.reset()
        spans.reset()
        metrics.collectAllMetrics() // the reader keeps deltas from here on
    }

    private fun client(telemetry: Boolean? = null, telemetryLinkedAccountId: Boolean? = null) = RefoldClient(
        apiKey = Emulator.KEY,
        baseUrl = emulator.baseUrl,
        cache = CacheOptions(),
        readEnvironmentVariables = false,
        telemetry = telemetry,
        telemetryLinkedAccountId = telemetryLinkedAccountId,
    )

    private fun requests(): List<JSONObject> = emulator.requests().getJSONArray("requests").let { list -> (0 until list.length()).map(list::getJSONObject) }

    private fun finished(): List<SpanData> = spans.finishedSpanItems

    private fun calls(name: String) = finished().filter { it.name == "refold.$name" }

    private fun children(of: SpanData) = finished().filter { it.parentSpanId == of.spanId && it.traceId == of.traceId }

    private fun <T : Any> SpanData.attr(key: AttributeKey<T>): T? = attributes.get(key)

    private fun assertNoSecret(texts: Collection<Any?>) {
        val secrets = tokens + Emulator.KEY
        for (text in texts) for (secret in secrets) assertFalse(text.toString().contains(secret), "a secret in: $text")
    }

    private fun assertNoSecretInSpans() = assertNoSecret(finished().flatMap { it.attributes.asMap().values + it.name })

    /** A test span of our own, current while [block] runs. */
    private fun <T> underTestSpan(block: (Span) -> T): T {
        val span = GlobalOpenTelemetry.getTracer("test").spanBuilder("test-request").startSpan()
        try {
            return span.makeCurrent().use { block(span) }
        } finally {
            span.end()
        }
    }

    private fun sum(name: String): Long =
        metrics.collectAllMetrics().filter { it.name == name }.flatMap { it.longSumData.points }.sumOf { it.value }

    @Test
    fun `a token call is a child span of the caller's span, with a CLIENT span per attempt, and a hit has none`() = client().use { refold ->
        val (parent, minted, hit) = underTestSpan { span ->
            val minted = refold.getTokenForLinkedAccountBlocking("otel-1")
            val hit = runBlocking { refold.getTokenForLinkedAccount("otel-1") }
            Triple(span.spanContext, minted, hit)
        }
        tokens += minted.token
        assertTrue(minted === hit, "the second call is a cache hit")
        val calls = calls("get_token_for_linked_account")
        assertEquals(2, calls.size, "$calls")
        for (call in calls) {
            assertEquals(parent.traceId, call.traceId)
            assertEquals(parent.spanId, call.parentSpanId, "the call span's parent is the test's span")
            assertEquals(SpanKind.INTERNAL, call.kind)
            assertNull(call.attr(AttributeKey.stringKey("refold.linked_account_id")), "not asked for")
            assertEquals("refold-session", call.instrumentationScopeInfo.name)
        }
        val miss = calls.single { it.attr(AttributeKey.stringKey("refold.cache.outcome")) == "miss" }
        val cached = calls.single { it.attr(AttributeKey.stringKey("refold.cache.outcome")) == "hit" }
        assertEquals(listOf<SpanData>(), children(cached), "a hit sends nothing")
        val attempt = children(miss).single()
        assertEquals(SpanKind.CLIENT, attempt.kind)
        assertEquals("POST /api/v2/public/session-token", attempt.name)
        assertEquals("POST", attempt.attr(AttributeKey.stringKey("http.request.method")))
        assertEquals("/api/v2/public/session-token", attempt.attr(AttributeKey.stringKey("url.template")))
        assertEquals("127.0.0.1", attempt.attr(AttributeKey.stringKey("server.address")))
        assertEquals(java.net.URI(emulator.baseUrl).port.toLong(), attempt.attr(AttributeKey.longKey("server.port")))
        assertEquals(200L, attempt.attr(AttributeKey.longKey("http.response.status_code")))
        assertNull(attempt.attr(AttributeKey.longKey("http.request.resend_count")))
        assertTrue(attempt.startEpochNanos >= miss.startEpochNanos && attempt.endEpochNanos <= miss.endEpochNanos)
        // The emulator saw the test span's trace.
        val sent = requests().single().getJSONObject("headers").getString("traceparent")
        assertEquals("00-${parent.traceId}-${parent.spanId}-${parent.traceFlags.asHex()}", sent)
        // Metrics: one attempt measured, one hit and one miss counted.
        val all = metrics.collectAllMetrics()
        val duration: MetricData = all.filter { it.name == "http.client.request.duration" }.let { assertEquals(1, it.size, "$it"); it[0] }
        assertEquals("s", duration.unit)
        val point = duration.histogramData.points.single()
        assertEquals(1L, point.count)
        assertEquals("/api/v2/public/session-token", point.attributes.get(AttributeKey.stringKey("url.template")))
        assertEquals(1L, all.filter { it.name == "refold.session_cache.hits" }.sumOf { m -> m.longSumData.points.sumOf { it.value } })
        assertEquals(1L, all.filter { it.name == "refold.session_cache.misses" }.sumOf { m -> m.longSumData.points.sumOf { it.value } })
        assertNoSecretInSpans()
    }

    @Test
    fun `a retried call is two CLIENT spans under one call span, and its retry is one log line without a secret`() = client().use { refold ->
        emulator.faults(JSONArray("""[{"kind":"status","status":503}]"""))
        val token = underTestSpan { refold.getTokenForLinkedAccountBlocking("otel-2", fresh = true) }
        tokens += token.token
        val call = calls("get_token_for_linked_account").single()
        val attempts = children(call).sortedBy { it.startEpochNanos }
        assertEquals(2, attempts.size, "$attempts")
        assertEquals(503L, attempts[0].attr(AttributeKey.longKey("http.response.status_code")))
        assertEquals("server_error", attempts[0].attr(AttributeKey.stringKey("error.type")))
        assertEquals(StatusCode.ERROR, attempts[0].status.statusCode)
        assertEquals(200L, attempts[1].attr(AttributeKey.longKey("http.response.status_code")))
        assertEquals(1L, attempts[1].attr(AttributeKey.longKey("http.request.resend_count")))
        assertNull(call.attr(AttributeKey.stringKey("error.type")), "the call succeeded")
        assertEquals(2L, metrics.collectAllMetrics().single { it.name == "http.client.request.duration" }.histogramData.points.sumOf { it.count })
        // SLF4J (slf4j-simple at test scope, to the file Surefire names) got the core's retry line.
        val lines = Files.readAllLines(Paths.get(System.getProperty("org.slf4j.simpleLogger.logFile")))
        assertTrue(lines.any { it.contains("ai.refold.session") && it.contains("attempt 1 failed") }, "$lines")
        assertNoSecret(lines)
        assertNoSecretInSpans()
    }

    @Test
    fun `a failed call's span carries our error code`() = client().use { refold ->
        emulator.faults(JSONArray("""[{"kind":"status","status":400}]"""))
        assertThrows<RefoldException.BadRequest> { refold.getLinkedAccountBlocking("otel-3") }
        val call = calls("get_linked_account").single()
        assertEquals("bad_request", call.attr(AttributeKey.stringKey("error.type")))
        assertEquals(StatusCode.ERROR, call.status.statusCode)
        assertEquals("GET /api/v2/public/linked-account/{linked_account_id}", children(call).single().name)
        assertNoSecretInSpans()
    }

    @Test
    fun `the API, scoped clients and suspend calls are traced under the caller's span`() = client().use { refold ->
        val parent = underTestSpan { span ->
            runBlocking {
                refold.upsertLinkedAccount(LinkedAccountInput("otel-4"))
                refold.api.listPersistentTables(linkedAccountId = "otel-4")
                refold.forLinkedAccount("otel-4").api.blocking.listPersistentTables()
            }
            span.spanContext
        }
        assertEquals(1, calls("upsert_linked_account").size)
        val tables = calls("list_persistent_tables")
        assertEquals(2, tables.size, "${finished()}")
        for (call in calls("upsert_linked_account") + tables) {
            assertEquals(parent.spanId, call.parentSpanId)
            assertEquals(SpanKind.CLIENT, children(call).single().kind)
        }
        for (request in requests()) {
            assertEquals(parent.traceId, request.getJSONObject("headers").getString("traceparent").substring(3, 35))
        }
        assertNoSecretInSpans()
    }

    @Test
    fun `a call without a current span is a root span and sends no traceparent, and a caller's traceparent wins`() = client().use { refold ->
        refold.listLinkedAccountsBlocking()
        val root = calls("list_linked_accounts").single()
        assertFalse(root.parentSpanContext.isValid, "no parent")
        assertFalse(requests().single().getJSONObject("headers").has("traceparent"))
        emulator.reset()
        spans.reset()
        val given = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        underTestSpan { refold.listLinkedAccountsBlocking(options = RequestOptions(traceparent = given)) }
        assertEquals(given, requests().single().getJSONObject("headers").getString("traceparent"))
        assertEquals("b7ad6b7169203331", calls("list_linked_accounts").single().parentSpanId)
        val bad = assertThrows<RefoldException.InvalidInput> { refold.listLinkedAccountsBlocking(options = RequestOptions(traceparent = "nope")) }
        assertEquals(0, bad.attempts)
    }

    @Test
    fun `telemetry = false records nothing and sends no traceparent`() = client(telemetry = false).use { refold ->
        underTestSpan {
            tokens += refold.getTokenForLinkedAccountBlocking("otel-5").token
            runBlocking { refold.getTokenForLinkedAccount("otel-5") }
        }
        assertEquals(listOf("test-request"), finished().map { it.name })
        assertFalse(requests().single().getJSONObject("headers").has("traceparent"))
        assertEquals(0L, sum("refold.session_cache.misses"))
    }

    @Test
    fun `the linked account id only when asked`() = client(telemetryLinkedAccountId = true).use { refold ->
        tokens += refold.getTokenForLinkedAccountBlocking("otel-6").token
        val call = calls("get_token_for_linked_account").single()
        assertEquals("otel-6", call.attr(AttributeKey.stringKey("refold.linked_account_id")))
        assertNotNull(call.attr(AttributeKey.stringKey("refold.cache.outcome")))
    }
}
