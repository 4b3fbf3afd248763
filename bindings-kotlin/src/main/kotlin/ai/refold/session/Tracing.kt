package ai.refold.session

/**
 * Whether calls are reported to the application's OpenTelemetry: only when the OpenTelemetry
 * API (`io.opentelemetry:opentelemetry-api`, an optional dependency) is on the classpath and
 * JNI is bound ([NativeFast.available]), checked once. Without it no client installs the native
 * hook and no call does any tracing work. [OpenTelemetryBridge] is the only class that names
 * OpenTelemetry's types, so it is loaded only when they are there.
 */
internal object Tracing {
    @JvmField
    val bridge: OpenTelemetryBridge? = load()

    private fun load(): OpenTelemetryBridge? = try {
        Class.forName("io.opentelemetry.api.GlobalOpenTelemetry", false, Tracing::class.java.classLoader)
        if (NativeFast.available) OpenTelemetryBridge() else null
    } catch (error: ClassNotFoundException) {
        null
    } catch (error: LinkageError) {
        null
    }

    /** The current span's W3C traceparent (calling thread's context), when it is valid. */
    fun traceparent(): String? = bridge?.traceparent()
}
