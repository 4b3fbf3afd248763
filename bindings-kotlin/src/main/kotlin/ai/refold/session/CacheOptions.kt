package ai.refold.session

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
 * @property store a fleet-wide second level on Redis, shared by every process (in any
 *   language) configured with the same store; null: this process only. See [StoreOptions].
 */
data class CacheOptions @JvmOverloads constructor(
    val maxEntries: Int? = null,
    val minRemaining: Duration? = null,
    val refreshAhead: Duration? = null,
    val store: StoreOptions? = null,
) {
    /** The members the core reads (as [RefoldClient]'s `cache` option). */
    internal fun toHost(): Map<String, Any?> = HostValue.members(
        "maxEntries" to maxEntries,
        "minRemaining" to minRemaining,
        "refreshAhead" to refreshAhead,
        "store" to store?.toHost(),
    )
}

/**
 * The fleet store ([CacheOptions.store], docs/contract.md §Fleet store): behind the in-process
 * cache, a token is looked up in Redis before it is minted, one process mints per account for
 * the whole fleet, and tokens are encrypted at rest (AES-256-GCM) under key names that reveal
 * no account id or API key. Redis failing never fails a call: it falls back to a direct mint
 * (counted in [CacheStats.storeErrors]). `StoreOptions()` takes everything from the
 * environment.
 *
 * @property redisUrl `redis://…`, `rediss://…` (TLS), `redis+cluster://host1:port,host2:port`
 *   or node URLs separated by commas (default: `REFOLD_CACHE_REDIS_URL`).
 * @property encryptionKeys base64 32-byte keys (`openssl rand -base64 32`): the first encrypts,
 *   every one decrypts, so keys rotate by deploying `listOf(new, old)` then `listOf(new)`
 *   (default: `REFOLD_CACHE_ENCRYPTION_KEY`, comma-separated for several).
 * @property keyPrefix prefix of every Redis key this client writes (default `refold:`).
 * @property timeout time allowed to each Redis call before falling back (default 250 ms).
 */
data class StoreOptions @JvmOverloads constructor(
    val redisUrl: String? = null,
    val encryptionKeys: List<String> = emptyList(),
    val keyPrefix: String? = null,
    val timeout: Duration? = null,
) {
    /** Kotlin's data-class form without the secrets: the URL (it may hold a password) and the keys. */
    override fun toString(): String =
        "StoreOptions(redisUrl=${if (redisUrl == null) "null" else "[REDACTED]"}, " +
            "encryptionKeys=[${encryptionKeys.size} redacted], keyPrefix=$keyPrefix, timeout=$timeout)"

    /** The members the core reads (as [CacheOptions]' `store`). */
    internal fun toHost(): Map<String, Any?> = HostValue.members(
        "redisUrl" to redisUrl,
        "encryptionKeys" to encryptionKeys.takeIf { it.isNotEmpty() },
        "keyPrefix" to keyPrefix,
        "timeout" to timeout,
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
 * @property storeHits tokens found in the fleet store (minted by another process, or earlier).
 * @property storeErrors fleet-store calls that failed or took too long (each fell back to a mint).
 * @property rateLimitWaits requests that waited for their turn in the rate-limit budget.
 * @property rateLimitWaitMs total time those requests waited, in milliseconds.
 * @property rateLimitRefused calls the budget refused without sending anything (`RateLimited`).
 * @property rateLimit429s 429 answers received from Refold.
 * @property rateLimitBackgroundDeferred background refreshes that found no spare turn at first.
 * @property rateLimitFleetFallbacks turns granted by the local share because the fleet's Redis failed.
 */
data class CacheStats(
    val hits: Long,
    val misses: Long,
    val coalesced: Long,
    val refreshes: Long,
    val refreshFailures: Long,
    val evictions: Long,
    val entries: Long,
    val storeHits: Long = 0,
    val storeErrors: Long = 0,
    val rateLimitWaits: Long = 0,
    val rateLimitWaitMs: Long = 0,
    val rateLimitRefused: Long = 0,
    val rateLimit429s: Long = 0,
    val rateLimitBackgroundDeferred: Long = 0,
    val rateLimitFleetFallbacks: Long = 0,
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
            storeHits = native.storeHits,
            storeErrors = native.storeErrors,
            rateLimitWaits = native.rateLimitWaits,
            rateLimitWaitMs = native.rateLimitWaitMs,
            rateLimitRefused = native.rateLimitRefused,
            rateLimit429s = native.rateLimit429s,
            rateLimitBackgroundDeferred = native.rateLimitBackgroundDeferred,
            rateLimitFleetFallbacks = native.rateLimitFleetFallbacks,
        )
    }
}
