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
 */
data class RequestOptions @JvmOverloads constructor(
    val timeout: Duration? = null,
    val maxRetries: Int? = null,
) {
    /** The host-value form the core reads. */
    internal fun toHost(): ByteArray = HostValue.encode(HostValue.members("timeout" to timeout, "maxRetries" to maxRetries))
}
