// Ours with OpenTelemetry on the classpath (target/otel-lib, added by bench/run.py for these
// clients only): with the API alone (no SDK registered: the bridge records nothing), or with
// the SDK registered as GlobalOpenTelemetry, its spans batched to an exporter that drops them
// and its metrics read by a reader that never exports within the run. The miss path of
// `Ours`, with the bridge's cost on top.
package bench

import ai.refold.session.RefoldClient
import io.opentelemetry.sdk.OpenTelemetrySdk
import io.opentelemetry.sdk.common.CompletableResultCode
import io.opentelemetry.sdk.metrics.SdkMeterProvider
import io.opentelemetry.sdk.metrics.export.MetricExporter
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader
import io.opentelemetry.sdk.metrics.data.AggregationTemporality
import io.opentelemetry.sdk.metrics.InstrumentType
import io.opentelemetry.sdk.metrics.data.MetricData
import io.opentelemetry.sdk.trace.SdkTracerProvider
import io.opentelemetry.sdk.trace.data.SpanData
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor
import io.opentelemetry.sdk.trace.export.SpanExporter
import java.time.Duration

class OursOtel(url: String, key: String, override val coroutines: Boolean, sdk: Boolean) : BenchClient {
    init {
        if (sdk) {
            OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(DropSpans).build()).build())
                .setMeterProvider(
                    SdkMeterProvider.builder()
                        .registerMetricReader(PeriodicMetricReader.builder(DropMetrics).setInterval(Duration.ofMinutes(10)).build())
                        .build(),
                )
                .buildAndRegisterGlobal()
        }
    }

    private val client = RefoldClient(apiKey = key, baseUrl = url)

    override fun blocking(id: String): String = client.getTokenForLinkedAccountBlocking(id).token

    override suspend fun suspending(id: String): String = client.getTokenForLinkedAccount(id).token

    private object DropSpans : SpanExporter {
        override fun export(spans: Collection<SpanData>): CompletableResultCode = CompletableResultCode.ofSuccess()

        override fun flush(): CompletableResultCode = CompletableResultCode.ofSuccess()

        override fun shutdown(): CompletableResultCode = CompletableResultCode.ofSuccess()
    }

    private object DropMetrics : MetricExporter {
        override fun getAggregationTemporality(instrumentType: InstrumentType) = AggregationTemporality.CUMULATIVE

        override fun export(metrics: Collection<MetricData>): CompletableResultCode = CompletableResultCode.ofSuccess()

        override fun flush(): CompletableResultCode = CompletableResultCode.ofSuccess()

        override fun shutdown(): CompletableResultCode = CompletableResultCode.ofSuccess()
    }
}
