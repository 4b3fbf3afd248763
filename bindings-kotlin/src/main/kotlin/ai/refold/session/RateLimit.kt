package ai.refold.session

/**
 * The request budget every call waits for (docs/contract.md §Rate limit): Refold allows an
 * organisation 20 requests per second with bursts of 5. Shared by every client of the process
 * with the same API key and base URL, and by the whole fleet when a Redis store is configured.
 * Null members take the core's defaults (Refold's documented numbers); [OFF] turns it off.
 *
 * @property requestsPerSecond requests sent per second on average, 1 to 100,000.
 * @property burst requests sent at once after a quiet spell, 1 to 10,000.
 */
class RateLimit private constructor(
    val requestsPerSecond: Int?,
    val burst: Int?,
    private val enabled: Boolean,
) {
    @JvmOverloads constructor(requestsPerSecond: Int? = null, burst: Int? = null) :
        this(requestsPerSecond, burst, true)

    /** The value the core reads (as [RefoldClient]'s `rateLimit` option): false, or the members. */
    internal fun toHost(): Any = if (enabled) {
        HostValue.members("requestsPerSecond" to requestsPerSecond, "burst" to burst)
    } else {
        false
    }

    override fun equals(other: Any?): Boolean = other is RateLimit &&
        other.requestsPerSecond == requestsPerSecond && other.burst == burst && other.enabled == enabled

    override fun hashCode(): Int = listOf(requestsPerSecond, burst, enabled).hashCode()

    override fun toString(): String =
        if (enabled) "RateLimit(requestsPerSecond=$requestsPerSecond, burst=$burst)" else "RateLimit.OFF"

    companion object {
        /** No budget: every call is sent at once (a server without a limit, a load test). */
        @JvmField
        val OFF: RateLimit = RateLimit(null, null, false)
    }
}
