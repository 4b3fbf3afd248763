package ai.refold.session

import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.FfiClientInfo
import ai.refold.session.ffi.FfiException
import ai.refold.session.ffi.FfiLinkedAccount
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.future.future
import kotlinx.coroutines.suspendCancellableCoroutine
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Mints Refold (formerly Cobalt) session tokens for your end-users' linked accounts.
 *
 * One client holds one connection pool; share it across threads, coroutines and requests, and
 * [close] it when the application stops. Every option left null falls back to the environment
 * (`REFOLD_API_KEY` then `COBALT_API_KEY`, `REFOLD_ENVIRONMENT`, `REFOLD_BASE_URL`) and then to
 * the defaults (production, 30 s per attempt, 2 retries, 1,024 idle connections, no cache). Unusable
 * options throw [RefoldException.Configuration] here, before any request.
 *
 * ```kotlin
 * RefoldClient(apiKey = "sk_live_…", cache = CacheOptions()).use { refold ->
 *     refold.upsertLinkedAccount(LinkedAccountInput("user-42", name = "Mark"))
 *     val session = refold.getTokenForLinkedAccount("user-42")
 * }
 * ```
 *
 * Every call has a `suspend` form for coroutines and a `…Blocking` form for Java and other
 * blocking callers (same arguments, same exceptions), and takes a [RequestOptions] last
 * (`timeout`, `maxRetries` for that call only).
 *
 * @param apiKey the API key (default: `REFOLD_API_KEY`, then `COBALT_API_KEY`).
 * @param environment `production`, `sandbox` or `staging` (default: `REFOLD_ENVIRONMENT`, else production).
 * @param baseUrl overrides the environment's URL (default: `REFOLD_BASE_URL`); `https://`, or
 *   `http://` to a loopback host. The official Node SDK calls it `server_url`.
 * @param timeout per attempt, covering connect, headers and body (default 30 s).
 * @param maxRetries retries after the first attempt, 0 to 100 (default 2; 0 disables retries).
 * @param maxIdleConnections idle connections kept per host, 0 to 10,000 (default 1,024; 0 closes
 *   each connection after use).
 * @param cache turns the session cache on (default: off, every call mints, as the official SDK
 *   does); `CacheOptions()` for its defaults, `CacheOptions(store = StoreOptions(…))` to share
 *   it with the fleet through Redis. See [CacheOptions] and [StoreOptions].
 * @param maxConnections connections open to the host at once (in use, idle or being opened),
 *   1 to 10,000 (default 1,024); calls beyond it wait, within their timeout, for one to come
 *   free. After [cache], so that positional calls written before it still compile.
 * @param readEnvironmentVariables whether options left null are read from the `REFOLD_*`
 *   environment variables (default true); false makes the client depend on its arguments only.
 * @param rateLimit the request budget (default: `REFOLD_RATE_LIMIT`, else Refold's documented
 *   20 requests/s with bursts of 5); [RateLimit.OFF] turns it off. See [RateLimit].
 * @param telemetry whether calls are recorded as spans and metrics of the application's
 *   OpenTelemetry when `io.opentelemetry:opentelemetry-api` is on the classpath and an
 *   OpenTelemetry is registered as `GlobalOpenTelemetry` (default true); false also sends no
 *   `traceparent` of its own.
 * @param telemetryLinkedAccountId whether the call spans carry `refold.linked_account_id`
 *   (default false).
 * @throws RefoldException.Configuration when an option is missing or unusable (text that is not
 *   valid Unicode, such as a lone surrogate, included).
 */
class RefoldClient @Throws(RefoldException::class) @JvmOverloads constructor(
    apiKey: String? = null,
    environment: String? = null,
    baseUrl: String? = null,
    timeout: Duration? = null,
    maxRetries: Int? = null,
    maxIdleConnections: Int? = null,
    cache: CacheOptions? = null,
    maxConnections: Int? = null,
    readEnvironmentVariables: Boolean? = null,
    rateLimit: RateLimit? = null,
    telemetry: Boolean? = null,
    telemetryLinkedAccountId: Boolean? = null,
) : OfficialSdkCalls(),
    AutoCloseable {
    private val native: FfiClient
    private val info: FfiClientInfo

    /**
     * The handle the token calls pass to their JNI entry points ([NativeFast]); null when JNI
     * is unavailable, and the token calls then take the uniffi path like every other call.
     */
    private val fast: FastHandle?

    /** Whether the cache is on: without it, the token calls skip the cache lookup. */
    private val cacheOn = cache != null

    /** Whether calls are reported to OpenTelemetry and carry the current span's traceparent. */
    private val traced = telemetry != false && Tracing.bridge != null
    private val closed = AtomicBoolean(false)

    init {
        // The options cross whole, as a host value the core reads (every check, default and
        // message is the core's); the bytes hold the API key and are wiped after the call.
        val options = HostValue.encode(
            HostValue.members(
                "apiKey" to apiKey,
                "environment" to environment,
                "baseUrl" to baseUrl,
                "timeout" to timeout,
                "maxRetries" to maxRetries,
                "maxIdleConnections" to maxIdleConnections,
                "cache" to cache?.toHost(),
                "maxConnections" to maxConnections,
                "readEnvironmentVariables" to readEnvironmentVariables,
                "rateLimit" to rateLimit?.toHost(),
                "telemetry" to telemetry,
                "telemetryLinkedAccountId" to telemetryLinkedAccountId,
            ),
        )
        Logs.install()
        val runtimeVersion = System.getProperty("java.version")?.takeIf { it.isValidUnicode() } ?: "unknown"
        native = try {
            translate { FfiClient(options, runtimeVersion, traced) }
        } finally {
            options.fill(0)
        }
        info = try {
            translate { native.info() } ?: throw IllegalStateException("The native client was released.")
        } catch (error: Throwable) {
            native.close()
            throw error
        }
        fast = if (NativeFast.available) FastHandle(native.fastHandle().toLong()) else null
    }

    /**
     * A session token for [linkedAccountId]: minted (retrying transient failures), or, with the
     * cache on, the cached one while it has life left (the same [SessionToken] object on every
     * hit). [fresh] bypasses the cache: Refold mints a new token (`force_refresh=true`), which
     * is stored (for a front end whose token was just refused). [options] apply to this call
     * only. Suspends without blocking a thread; cancelling the coroutine abandons the request.
     *
     * @throws RefoldException one subclass per failure, e.g. [RefoldException.InvalidLinkedAccount]
     *   for an account Refold does not know (create it with [upsertLinkedAccount] first).
     * @throws IllegalStateException after [close].
     */
    @Throws(RefoldException::class)
    suspend fun getTokenForLinkedAccount(
        linkedAccountId: String,
        fresh: Boolean = false,
        options: RequestOptions? = null,
    ): SessionToken {
        val parent = traceparent()
        return cachedToken(linkedAccountId, fresh, options, parent) ?: mint(linkedAccountId, fresh, options, parent)
    }

    /**
     * [getTokenForLinkedAccount] for Java and other blocking callers: waits for the token on
     * the calling thread (one native call; a cache hit is answered on the calling thread).
     */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getTokenForLinkedAccountBlocking(
        linkedAccountId: String,
        fresh: Boolean = false,
        options: RequestOptions? = null,
    ): SessionToken {
        val host = callOptions(options)
        val fast = fast ?: run {
            val minted = translate { open().getTokenForLinkedAccountBlocking(linkedAccountId.ifValidUnicode(), fresh, host) }
            return SessionToken.from(minted ?: throw closedError())
        }
        if (closed.get()) throw closedError()
        val answer = fast.use(::closed) { NativeFast.mintBlocking(it, linkedAccountId, fresh, host) }
        return NativeFast.token(answer) ?: throw closedError()
    }

    /**
     * [getTokenForLinkedAccount] as a [CompletableFuture], for asynchronous Java code. The
     * future fails with the same [RefoldException]; cancelling it abandons the request. A
     * cache hit returns an already completed future.
     */
    @JvmOverloads
    fun getTokenForLinkedAccountAsync(
        linkedAccountId: String,
        fresh: Boolean = false,
        options: RequestOptions? = null,
    ): CompletableFuture<SessionToken> {
        val parent = traceparent()
        val hit = try {
            cachedToken(linkedAccountId, fresh, options, parent)
        } catch (error: Exception) {
            // The future fails; the call itself never throws.
            return CompletableFuture.failedFuture(error)
        }
        return hit?.let { CompletableFuture.completedFuture(it) } ?: futureScope.future { mint(linkedAccountId, fresh, options, parent) }
    }

    /**
     * Revokes a session token (authenticated by the token itself, not the API key): Refold
     * refuses it and its refresh token from then on, and it leaves the cache (and the fleet
     * store), so it is never handed out again. A token Refold refuses (already revoked,
     * expired, not one) is [RefoldException.Authentication].
     */
    @Throws(RefoldException::class)
    suspend fun revokeSessionToken(token: String, options: RequestOptions? = null): RevokeResult =
        RevokeResult.from(translate { open().revokeSessionToken(token.ifValidUnicode(), callOptions(options)) } ?: throw closedError())

    /** [revokeSessionToken], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun revokeSessionTokenBlocking(token: String, options: RequestOptions? = null): RevokeResult =
        RevokeResult.from(translate { open().revokeSessionTokenBlocking(token.ifValidUnicode(), callOptions(options)) } ?: throw closedError())

    /** [revokeSessionToken] as a [CompletableFuture], for asynchronous Java code. */
    @JvmOverloads
    fun revokeSessionTokenAsync(token: String, options: RequestOptions? = null): CompletableFuture<RevokeResult> =
        pinned(options).let { pinned -> futureScope.future { revokeSessionToken(token, pinned) } }

    /**
     * The linked account a session token belongs to (authenticated by the token, not the API
     * key); a token Refold refuses is [RefoldException.Authentication].
     */
    @Throws(RefoldException::class)
    suspend fun getActiveLinkedAccount(token: String, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().getActiveLinkedAccount(token.ifValidUnicode(), callOptions(options)) })

    /** [getActiveLinkedAccount], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getActiveLinkedAccountBlocking(token: String, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().getActiveLinkedAccountBlocking(token.ifValidUnicode(), callOptions(options)) })

    /** [getActiveLinkedAccount] as a [CompletableFuture], for asynchronous Java code. */
    @JvmOverloads
    fun getActiveLinkedAccountAsync(token: String, options: RequestOptions? = null): CompletableFuture<LinkedAccount> =
        pinned(options).let { pinned -> futureScope.future { getActiveLinkedAccount(token, pinned) } }

    /**
     * Creates the linked account, or updates the one with this id (`PUT`, retried like every
     * idempotent call). The official SDK's `upsertLinkedAccount`.
     *
     * @throws RefoldException [RefoldException.InvalidInput] for an input the core rejects or a
     *   value JSON has no form for (nothing is sent; see [LinkedAccountInput]), else one
     *   subclass per failure.
     */
    @Throws(RefoldException::class)
    suspend fun upsertLinkedAccount(input: LinkedAccountInput, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().saveLinkedAccount(input.toHost(), false, callOptions(options)) })

    /** [upsertLinkedAccount], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun upsertLinkedAccountBlocking(input: LinkedAccountInput, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().saveLinkedAccountBlocking(input.toHost(), false, callOptions(options)) })

    /**
     * Creates the linked account (`POST`); one that exists already is
     * [RefoldException.BadRequest]. Not idempotent: retried only when the request never left.
     * The official SDK's `createLinkedAccount`.
     */
    @Throws(RefoldException::class)
    suspend fun createLinkedAccount(input: LinkedAccountInput, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().saveLinkedAccount(input.toHost(), true, callOptions(options)) })

    /** [createLinkedAccount], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun createLinkedAccountBlocking(input: LinkedAccountInput, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().saveLinkedAccountBlocking(input.toHost(), true, callOptions(options)) })

    /**
     * The linked account [linkedAccountId] (the official SDK's `getLinkedAccountById`); an
     * unknown one is [RefoldException.NotFound].
     */
    @Throws(RefoldException::class)
    suspend fun getLinkedAccount(linkedAccountId: String, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().getLinkedAccount(linkedAccountId.ifValidUnicode(), callOptions(options)) })

    /** [getLinkedAccount], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getLinkedAccountBlocking(linkedAccountId: String, options: RequestOptions? = null): LinkedAccount =
        account(translate { open().getLinkedAccountBlocking(linkedAccountId.ifValidUnicode(), callOptions(options)) })

    /**
     * Deletes the linked account; an unknown one is [RefoldException.NotFound]. Returns
     * Refold's answer (e.g. `{message=…}`). With the cache on, the account's cached token is
     * dropped too (and its fleet-store entry), so the next mint reports the deleted account.
     */
    @Throws(RefoldException::class)
    suspend fun deleteLinkedAccount(linkedAccountId: String, options: RequestOptions? = null): Map<String, Any?> =
        (translate { open().deleteLinkedAccount(linkedAccountId.ifValidUnicode(), callOptions(options)) } ?: throw closedError()).toKotlinMap()

    /** [deleteLinkedAccount], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun deleteLinkedAccountBlocking(linkedAccountId: String, options: RequestOptions? = null): Map<String, Any?> =
        (translate { open().deleteLinkedAccountBlocking(linkedAccountId.ifValidUnicode(), callOptions(options)) } ?: throw closedError())
            .toKotlinMap()

    /**
     * One page of linked accounts, in creation order (the official SDK's
     * `getAllLinkedAccounts({page, limit})`): [page] from 1, [limit] from 1 to 100 (null: 10).
     */
    @Throws(RefoldException::class)
    suspend fun listLinkedAccounts(page: Int = 1, limit: Int? = null, options: RequestOptions? = null): LinkedAccountPage =
        LinkedAccountPage.from(translate { open().listLinkedAccounts(page, limit, callOptions(options)) } ?: throw closedError())

    /** [listLinkedAccounts], blocking the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun listLinkedAccountsBlocking(page: Int = 1, limit: Int? = null, options: RequestOptions? = null): LinkedAccountPage =
        LinkedAccountPage.from(translate { open().listLinkedAccountsBlocking(page, limit, callOptions(options)) } ?: throw closedError())

    /**
     * Every linked account, page after page ([limit] per request; null: 10), fetched as the
     * flow is collected; each collection starts again from page 1. A failure is thrown from
     * `collect` as a [RefoldException]; the walk is bounded (the core stops after the last
     * page, an empty page, or 100,000 pages).
     */
    fun linkedAccounts(limit: Int? = null, options: RequestOptions? = null): Flow<LinkedAccount> = flow {
        val pages = translate { open().linkedAccountPages(limit, callOptions(options)) } ?: throw closedError()
        pages.use {
            while (true) {
                open()
                val page = translate { pages.nextPage() } ?: break
                for (account in page.accounts) emit(LinkedAccount.from(account))
            }
        }
    }

    /**
     * [linkedAccounts] for Java and other blocking callers: an [Iterable] whose iterators fetch
     * page after page on the calling thread as they advance (each iterator from page 1).
     * `hasNext()` and `next()` throw the [RefoldException] of a failed page (undeclared, as
     * `Iterator` cannot declare it: Java catches it as `Exception`, or walks the pages with
     * [listLinkedAccountsBlocking]).
     */
    @JvmOverloads
    fun linkedAccountsBlocking(limit: Int? = null, options: RequestOptions? = null): Iterable<LinkedAccount> = Iterable {
        iterator {
            val pages = translate { open().linkedAccountPages(limit, callOptions(options)) } ?: throw closedError()
            pages.use {
                while (true) {
                    open()
                    val page = translate { pages.nextPageBlocking() } ?: break
                    yieldAll(page.accounts.map(LinkedAccount::from))
                }
            }
        }
    }

    /**
     * Drops the cached token of [linkedAccountId] (wiped from memory), so the next call
     * mints. Does nothing when the cache is off. With a [StoreOptions] store, the account's
     * Redis entry is deleted too (waiting at most the store's timeout); else it returns at once.
     */
    @Throws(RefoldException::class)
    fun invalidate(linkedAccountId: String) {
        if (!translate { open().invalidate(linkedAccountId.ifValidUnicode()) }) throw closedError()
    }

    /**
     * Drops every cached token. Does nothing when the cache is off. With a store, also deletes
     * every Redis key under the store's prefix (with `SCAN`, never `FLUSHDB`).
     */
    @Throws(RefoldException::class)
    fun invalidateAll() {
        if (!translate { open().invalidateAll() }) throw closedError()
    }

    /** The session cache's counters, or null when the cache is off. */
    @Throws(RefoldException::class)
    fun cacheStats(): CacheStats? {
        val stats = translate { open().cacheStats() }
        if (stats == null && closed.get()) throw closedError()
        return stats?.let(CacheStats::from)
    }

    /**
     * Whether [signatureHeader] (`x-cobalt-signature`) is the HMAC-SHA256 of [rawBody] keyed on
     * this client's API key ([Refold.verifyWebhookSignature] with the client's key): false,
     * never an exception, for a missing or malformed header.
     *
     * @throws IllegalStateException after [close].
     */
    fun verifyWebhookSignature(rawBody: ByteArray, signatureHeader: String?): Boolean {
        val header = signatureHeader?.takeIf { it.isValidUnicode() }
        val verified = translate { open().verifyWebhookSignature(rawBody, header ?: "") } ?: throw closedError()
        return header != null && verified
    }

    /** The full session-token URL requests go to. */
    val endpoint: String
        get() = whileOpen(info.endpoint)

    /** The environment's name: `production`, `sandbox` or `staging` (even when a base URL overrides its URL). */
    val environment: String
        get() = whileOpen(info.environment)

    /** The `user-agent` header this client sends. */
    val userAgent: String
        get() = whileOpen(info.userAgent)

    /** Whether [close] has been called. */
    val isClosed: Boolean
        get() = closed.get()

    /**
     * Releases the connection pool. Calls in flight finish first; later calls throw
     * [IllegalStateException]. Idempotent.
     */
    override fun close() {
        if (closed.compareAndSet(false, true)) {
            try {
                translate { native.release() }
            } finally {
                native.close()
                fast?.close()
            }
        }
    }

    override fun toString(): String =
        if (isClosed) "RefoldClient(closed)" else "RefoldClient(endpoint=$endpoint)"

    /**
     * The fast path of every token call: the cached token when the core answers it at once (one
     * synchronous native call, nothing spawned, no suspension), else null and the caller takes
     * the async path. Never for [fresh] calls or calls with [options] (the core reads those);
     * null for an id that is not valid Unicode.
     */
    private fun cachedToken(id: String, fresh: Boolean, options: RequestOptions?, parent: String?): SessionToken? {
        if (fresh || options != null || !cacheOn) return null
        val fast = fast ?: return translate { open().cachedToken(id.ifValidUnicode()) }?.let(SessionToken::from)
        if (closed.get()) throw closedError()
        return NativeFast.token(fast.use(::closed) { NativeFast.cachedToken(it, id, parent) })
    }

    /**
     * The async path of the token calls: a task on the native runtime, awaited (its answer
     * resumes this coroutine from the runtime's thread; cancelling the coroutine aborts it).
     */
    private suspend fun mint(id: String, fresh: Boolean, options: RequestOptions?, parent: String?): SessionToken {
        val host = hostOptions(options, parent)
        val fast = fast
            ?: return SessionToken.from(
                translate { open().getTokenForLinkedAccount(id.ifValidUnicode(), fresh, host) } ?: throw closedError(),
            )
        if (closed.get()) throw closedError()
        val answer = suspendCancellableCoroutine { continuation ->
            val call = fast.use(::closed) { NativeFast.mintStart(it, id, fresh, host, NativeFast.Completion(continuation)) }
            if (call != 0L) continuation.invokeOnCancellation { NativeFast.cancel(call) }
        }
        return NativeFast.token(answer) ?: throw closedError()
    }

    private fun closed(): Nothing = throw closedError()

    /** The current span's traceparent when this client traces (read on the calling thread). */
    private fun traceparent(): String? = if (traced) Tracing.traceparent() else null

    internal override fun callOptions(options: RequestOptions?): ByteArray? = hostOptions(options, traceparent())

    /** [options] with the calling thread's traceparent, for a call that runs on another thread. */
    private fun pinned(options: RequestOptions?): RequestOptions? {
        if (options?.traceparent != null) return options
        val parent = traceparent() ?: return options
        return (options ?: RequestOptions()).copy(traceparent = parent)
    }

    private fun hostOptions(options: RequestOptions?, parent: String?): ByteArray? =
        options?.toHost(parent) ?: parent?.let { RequestOptions(traceparent = it).toHost() }

    private fun account(native: FfiLinkedAccount?): LinkedAccount = LinkedAccount.from(native ?: throw closedError())

    internal override fun open(): FfiClient {
        if (closed.get()) throw closedError()
        return native
    }

    private fun <T> whileOpen(value: T): T {
        if (closed.get()) throw closedError()
        return value
    }

    private fun closedError() = IllegalStateException("This RefoldClient is closed.")

    private companion object {
        /** Daemon threads only (Dispatchers.Default): a JVM never waits for them. */
        val futureScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

        inline fun <T> translate(call: () -> T): T =
            try {
                call()
            } catch (error: FfiException) {
                throw RefoldException.from(error)
            }

        /**
         * An id or token as passed to the native call: null when it holds a lone surrogate
         * (uniffi's encoder would throw CharacterCodingException), which the core reports as
         * `invalid_input` in its own words, with nothing sent.
         */
        fun String.ifValidUnicode(): String? = takeIf { it.isValidUnicode() }
    }
}
