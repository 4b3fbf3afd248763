// Traces by environment variable: with OTEL_TRACES_EXPORTER set (`console` prints each span,
// `otlp` sends them to OTEL_EXPORTER_OTLP_ENDPOINT), the OpenTelemetry SDK is configured from the
// standard OTEL_* variables (autoconfigure) and registered as GlobalOpenTelemetry, where
// refold-session finds it; each request gets a SERVER span (joining the page's traceparent), the
// parent of refold-session's call spans. Without the variable nothing is installed.
package example

import io.opentelemetry.api.GlobalOpenTelemetry
import io.opentelemetry.api.trace.SpanKind
import io.opentelemetry.api.trace.StatusCode
import io.opentelemetry.context.Context
import io.opentelemetry.context.propagation.TextMapGetter
import io.opentelemetry.sdk.OpenTelemetrySdk
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk
import jakarta.servlet.FilterChain
import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletResponse
import kotlinx.coroutines.ThreadContextElement
import org.springframework.context.annotation.Bean
import org.springframework.context.annotation.Configuration
import org.springframework.web.filter.OncePerRequestFilter
import org.springframework.web.servlet.HandlerMapping
import kotlin.coroutines.AbstractCoroutineContextElement
import kotlin.coroutines.CoroutineContext

@Configuration
class Tracing {
    /** The SDK, when OTEL_TRACES_EXPORTER asks for one; closed (spans flushed) at shutdown. */
    @Bean(destroyMethod = "close")
    fun openTelemetry(): AutoCloseable {
        if (System.getenv("OTEL_TRACES_EXPORTER").isNullOrBlank()) return AutoCloseable {}
        val sdk: OpenTelemetrySdk = AutoConfiguredOpenTelemetrySdk.builder()
            // Defaults the OTEL_* variables override: this service's name, no metrics or logs.
            .addPropertiesSupplier {
                mapOf(
                    "otel.service.name" to "refold-example-spring-boot",
                    "otel.metrics.exporter" to "none",
                    "otel.logs.exporter" to "none",
                )
            }
            .setResultAsGlobal()
            .build()
            .openTelemetrySdk
        return sdk
    }

    @Bean
    fun serverSpans() = ServerSpans()
}

/** A SERVER span per request, `{method} {route}`, under the caller's traceparent when it sent one. */
class ServerSpans : OncePerRequestFilter() {
    override fun doFilterInternal(request: HttpServletRequest, response: HttpServletResponse, chain: FilterChain) {
        if (!GlobalOpenTelemetry.isSet()) return chain.doFilter(request, response)
        val otel = GlobalOpenTelemetry.get()
        val caller = otel.propagators.textMapPropagator.extract(Context.root(), request, Headers)
        val span = otel.getTracer("refold-example-spring-boot").spanBuilder(request.method)
            .setParent(caller)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", request.method)
            .startSpan()
        try {
            span.makeCurrent().use { chain.doFilter(request, response) }
        } finally {
            (request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE) as? String)?.let { route ->
                span.updateName("${request.method} $route")
                span.setAttribute("http.route", route)
            }
            span.setAttribute("http.response.status_code", response.status.toLong())
            if (response.status >= 500) span.setStatus(StatusCode.ERROR)
            span.end()
        }
    }

    private object Headers : TextMapGetter<HttpServletRequest> {
        override fun keys(carrier: HttpServletRequest): Iterable<String> = carrier.headerNames.toList()

        override fun get(carrier: HttpServletRequest?, key: String): String? = carrier?.getHeader(key)
    }
}

/**
 * The request's OpenTelemetry context for a suspend handler: current on whichever thread the
 * coroutine resumes, so a call made after the first suspension is still under the request's span.
 */
class RequestContext(private val context: Context = Context.current()) :
    AbstractCoroutineContextElement(Key),
    ThreadContextElement<io.opentelemetry.context.Scope> {
    companion object Key : CoroutineContext.Key<RequestContext>

    override fun updateThreadContext(context: CoroutineContext) = this.context.makeCurrent()

    override fun restoreThreadContext(context: CoroutineContext, oldState: io.opentelemetry.context.Scope) = oldState.close()
}
