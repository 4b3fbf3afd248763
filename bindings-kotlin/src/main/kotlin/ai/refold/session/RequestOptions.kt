package ai.refold.session

import java.time.Duration

/**
 * Settings for one call, overriding the client's (every call of [RefoldClient] takes one as its
 * last argument; null members keep the client's). The core checks them before anything is sent
 * ([RefoldException.InvalidInput]).
 *
 * ```kotlin
 * refold.getTokenForLinkedAccount("user-42", options = RequestOptions(timeout = Duration.ofSeconds(2), maxRetries = 0))
 * ```
 *
 * @property timeout this call's per-attempt timeout.
 * @property maxRetries this call's retries after the first attempt, 0 to 100.
 * @property traceparent a W3C `traceparent` sent on each attempt, so the call joins that trace
 *   (default: the current OpenTelemetry span's, when OpenTelemetry is on the classpath and
 *   registered, and the client's `telemetry` is on).
 */
data class RequestOptions @JvmOverloads constructor(
    val timeout: Duration? = null,
    val maxRetries: Int? = null,
    val traceparent: String? = null,
) {
    /** The host-value form the core reads, with [current] (the current span's) unless the caller gave one. */
    internal fun toHost(current: String? = null): ByteArray = HostValue.encode(
        HostValue.members("timeout" to timeout, "maxRetries" to maxRetries, "traceparent" to (traceparent ?: current)),
    )
}
