package ai.refold.session

/** For tests that register an OpenTelemetry: the bridge reads `GlobalOpenTelemetry` now, not within 50 ms. */
object TestTracing {
    @JvmStatic
    fun reread() {
        Tracing.bridge?.reread()
    }
}
