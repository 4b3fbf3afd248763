package ai.refold.session

import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.FfiClientInfo
import ai.refold.session.ffi.FfiException
import ai.refold.session.ffi.FfiOptions
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
 * the defaults (production, 30 s per attempt, 2 retries, 32 idle connections). Unusable options
 * throw [RefoldException.Configuration] here, before any request.
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
 * @param maxRetries retries after the first attempt, 0 to 100 (default 2; 0 disables retries).
 * @param maxIdleConnections idle connections kept per host, 0 to 10,000 (default 32; 0 closes
 *   each connection after use).
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
) : AutoCloseable {
    private val native: FfiClient
    private val info: FfiClientInfo
    private val closed = AtomicBoolean(false)

    init {
        // uniffi's string encoder throws CharacterCodingException on a lone surrogate: such an
        // option is passed as null, and the core reports it by name as a configuration error.
        var notUnicode: String? = null
        fun text(option: String, value: String?): String? =
            if (value == null || value.isValidUnicode()) {
                value
            } else {
                if (notUnicode == null) notUnicode = option
                null
            }
        val key = text("apiKey", apiKey)
        val options = FfiOptions(
            environment = text("environment", environment),
            baseUrl = text("baseUrl", baseUrl),
            timeoutSeconds = timeout?.let { it.seconds.toDouble() + it.nano / 1e9 },
            maxRetries = maxRetries?.toDouble(),
            maxIdleConnections = maxIdleConnections?.toDouble(),
            notUnicode = notUnicode,
            runtimeVersion = System.getProperty("java.version")?.takeIf { it.isValidUnicode() } ?: "unknown",
        )
        native = translate { FfiClient(key, options) }
        info = try {
            translate { native.info() } ?: throw IllegalStateException("The native client was released.")
        } catch (error: Throwable) {
            native.close()
            throw error
        }
    }

    /**
     * Mints a session token for [linkedAccountId], retrying transient failures. Suspends
     * without blocking a thread; cancelling the coroutine abandons the request.
     *
     * @throws RefoldException one subclass per failure, e.g. [RefoldException.InvalidLinkedAccount].
     * @throws IllegalStateException after [close].
     */
    @Throws(RefoldException::class)
    suspend fun getTokenForLinkedAccount(linkedAccountId: String): SessionToken {
        val minted = translate { open().getTokenForLinkedAccount(linkedAccountId.ifValidUnicode()) }
        return SessionToken.from(minted ?: throw closedError())
    }

    /**
     * [getTokenForLinkedAccount] for Java and other blocking callers: waits for the token on
     * the calling thread (one native call; the request runs on the native runtime).
     */
    @Throws(RefoldException::class)
    fun getTokenForLinkedAccountBlocking(linkedAccountId: String): SessionToken {
        val minted = translate { open().getTokenForLinkedAccountBlocking(linkedAccountId.ifValidUnicode()) }
        return SessionToken.from(minted ?: throw closedError())
    }

    /**
     * [getTokenForLinkedAccount] as a [CompletableFuture], for asynchronous Java code. The
     * future fails with the same [RefoldException]; cancelling it abandons the request.
     */
    fun getTokenForLinkedAccountAsync(linkedAccountId: String): CompletableFuture<SessionToken> =
        futureScope.future { getTokenForLinkedAccount(linkedAccountId) }

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
            }
        }
    }

    override fun toString(): String =
        if (isClosed) "RefoldClient(closed)" else "RefoldClient(endpoint=$endpoint)"

    private fun open(): FfiClient {
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
         * The id as passed to the native call: null when it holds a lone surrogate (uniffi's
         * encoder would throw CharacterCodingException), which the core reports as
         * `invalid_input` in its own words, with nothing sent.
         */
        fun String.ifValidUnicode(): String? = takeIf { it.isValidUnicode() }

        /** Whether this UTF-16 text is well formed: every surrogate is half of a pair. */
        fun String.isValidUnicode(): Boolean {
            var index = 0
            while (index < length) {
                val char = this[index++]
                if (!char.isSurrogate()) continue
                if (!char.isHighSurrogate() || index == length || !this[index].isLowSurrogate()) return false
                index++
            }
            return true
        }
    }
}
