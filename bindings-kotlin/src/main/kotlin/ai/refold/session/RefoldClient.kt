package ai.refold.session

import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.FfiException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.future.future
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Mints Refold (formerly Cobalt) session tokens for your end-users' linked accounts.
 *
 * One client holds one connection pool; share it across threads, coroutines and requests, and
 * [close] it when the application stops. Every option left null falls back to the environment
 * (`REFOLD_API_KEY` then `COBALT_API_KEY`, `REFOLD_ENVIRONMENT`, `REFOLD_BASE_URL`) and then to
 * the defaults (production, 30 s per attempt, 2 retries). Unusable options throw
 * [RefoldException.Configuration] here, before any request.
 *
 * ```kotlin
 * RefoldClient(apiKey = "sk_live_…").use { refold ->
 *     val session = refold.getTokenForLinkedAccount("user-42")
 * }
 * ```
 *
 * @param apiKey the API key (default: `REFOLD_API_KEY`, then `COBALT_API_KEY`).
 * @param environment `production`, `sandbox` or `staging` (default: `REFOLD_ENVIRONMENT`, else production).
 * @param baseUrl overrides the environment's URL (default: `REFOLD_BASE_URL`); `https://`, or
 *   `http://` to a loopback host. The official Node SDK calls it `server_url`.
 * @param timeout per attempt, covering connect, headers and body (default 30 s).
 * @param maxRetries retries after the first attempt (default 2; 0 disables retries).
 * @throws RefoldException.Configuration when an option is missing or unusable.
 */
class RefoldClient @Throws(RefoldException::class) @JvmOverloads constructor(
    apiKey: String? = null,
    environment: String? = null,
    baseUrl: String? = null,
    timeout: Duration? = null,
    maxRetries: Int? = null,
) : AutoCloseable {
    private val native: FfiClient = translate {
        FfiClient(
            apiKey,
            environment,
            baseUrl,
            timeout?.let { it.seconds.toDouble() + it.nano / 1e9 },
            maxRetries?.toDouble(),
            System.getProperty("java.version") ?: "unknown",
        )
    }
    private val closed = AtomicBoolean(false)

    /**
     * Mints a session token for [linkedAccountId], retrying transient failures. Suspends
     * without blocking a thread; cancelling the coroutine abandons the request.
     *
     * @throws RefoldException one subclass per failure, e.g. [RefoldException.InvalidLinkedAccount].
     * @throws IllegalStateException after [close].
     */
    @Throws(RefoldException::class)
    suspend fun getTokenForLinkedAccount(linkedAccountId: String): SessionToken {
        val minted = translate { open().getTokenForLinkedAccount(linkedAccountId) }
        return SessionToken.from(minted ?: throw closedError())
    }

    /**
     * [getTokenForLinkedAccount] for Java and other blocking callers: waits for the token on
     * the calling thread (one native call; the request runs on the native runtime).
     */
    @Throws(RefoldException::class)
    fun getTokenForLinkedAccountBlocking(linkedAccountId: String): SessionToken {
        val minted = translate { open().getTokenForLinkedAccountBlocking(linkedAccountId) }
        return SessionToken.from(minted ?: throw closedError())
    }

    /**
     * [getTokenForLinkedAccount] as a [CompletableFuture], for asynchronous Java code. The
     * future fails with the same [RefoldException]; cancelling it abandons the request.
     */
    fun getTokenForLinkedAccountAsync(linkedAccountId: String): CompletableFuture<SessionToken> =
        futureScope.future { getTokenForLinkedAccount(linkedAccountId) }

    /** The `user-agent` header this client sends. */
    val userAgent: String
        get() = open().userAgent() ?: throw closedError()

    /** The full session-token URL requests go to. */
    val endpoint: String
        get() = open().endpoint() ?: throw closedError()

    /** Whether [close] has been called. */
    val isClosed: Boolean
        get() = closed.get()

    /**
     * Releases the connection pool. Calls in flight finish first; later calls throw
     * [IllegalStateException]. Idempotent.
     */
    override fun close() {
        if (closed.compareAndSet(false, true)) {
            native.release()
            native.close()
        }
    }

    override fun toString(): String =
        if (isClosed) "RefoldClient(closed)" else "RefoldClient(endpoint=$endpoint)"

    private fun open(): FfiClient {
        if (closed.get()) throw closedError()
        return native
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
    }
}
