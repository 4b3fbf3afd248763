package ai.refold.session

import ai.refold.session.ffi.FfiCacheOptions
import ai.refold.session.ffi.FfiCacheStats
import java.time.Duration

/**
 * Turns on the client's session cache ([RefoldClient]'s `cache` parameter): a token with life
 * left is returned without a request, concurrent calls for one account share one request, and
 * tokens close to expiry are refreshed in the background. Every field left null takes the
 * core's default; `CacheOptions()` is the cache with every default.
 *
 * @property maxEntries accounts kept, least recently used evicted first: 1 to 10,000,000
 *   (default 10,000).
 * @property minRemaining a cached token is returned only with more life left than this (default 1 h).
 * @property refreshAhead a hit with less life left than this refreshes in the background
 *   (default 2 h; at least [minRemaining]).
 */
data class CacheOptions @JvmOverloads constructor(
    val maxEntries: Int? = null,
    val minRemaining: Duration? = null,
    val refreshAhead: Duration? = null,
) {
    internal fun toNative() = FfiCacheOptions(
        maxEntries = maxEntries?.toDouble(),
        minRemainingSeconds = minRemaining?.toSecondsDouble(),
        refreshAheadSeconds = refreshAhead?.toSecondsDouble(),
    )
}

/**
 * The session cache's counters since the client was built ([RefoldClient.cacheStats]).
 *
 * @property hits calls answered from the cache without a request.
 * @property misses calls that started a request (no usable entry, or `fresh`).
 * @property coalesced calls that waited for a request another call had started.
 * @property refreshes background refreshes that stored a new token.
 * @property refreshFailures background refreshes that failed.
 * @property evictions entries removed because the cache was full or their time was up.
 * @property entries accounts cached now.
 */
data class CacheStats(
    val hits: Long,
    val misses: Long,
    val coalesced: Long,
    val refreshes: Long,
    val refreshFailures: Long,
    val evictions: Long,
    val entries: Long,
) {
    internal companion object {
        fun from(native: FfiCacheStats) = CacheStats(
            hits = native.hits,
            misses = native.misses,
            coalesced = native.coalesced,
            refreshes = native.refreshes,
            refreshFailures = native.refreshFailures,
            evictions = native.evictions,
            entries = native.entries,
        )
    }
}

/** The duration in seconds, negative ones included (the core reports those in seconds). */
internal fun Duration.toSecondsDouble(): Double = seconds.toDouble() + nano / 1e9
