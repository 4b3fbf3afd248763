package ai.refold.session

import ai.refold.session.ffi.ErrorInfo
import ai.refold.session.ffi.FfiException
import java.time.Duration

/**
 * Every failure of [RefoldClient]: one subclass per error code of the contract, each carrying
 * what the Rust core reported. [message] is the core's sentence (what happened and what to do,
 * then the server's own words); it never contains the API key or a token.
 *
 * ```kotlin
 * try {
 *     refold.getTokenForLinkedAccount(id)
 * } catch (e: RefoldException.InvalidLinkedAccount) {
 *     // create the linked account first
 * } catch (e: RefoldException) {
 *     log.warn("refold failed: {} / {} (request {})", e.code, e.serverCode, e.requestId)
 * }
 * ```
 */
sealed class RefoldException(info: ErrorInfo) : Exception(info.detail) {
    /** The language-neutral code, e.g. `invalid_linked_account` (the same in every binding). */
    val code: String = info.code

    /** The HTTP status of the last response, or null when none arrived. */
    val status: Int? = info.status

    /** The `x-request-id` / `request-id` of the last response, for Refold support. */
    val requestId: String? = info.requestId

    /** What the server asked to wait before retrying, if it said. */
    val retryAfter: Duration? = info.retryAfter

    /** [retryAfter] in seconds. */
    @Deprecated("Use retryAfter (a java.time.Duration).", ReplaceWith("retryAfter"))
    val retryAfterSeconds: Double?
        get() = retryAfter?.let { it.seconds + it.nano / 1e9 }

    /** How many requests were sent (0 when the call failed before the wire). */
    val attempts: Int = info.attempts

    /** Refold's own code of the error (e.g. `INVALID_LINKED_ACCOUNT_ID`), when its answer had one. */
    val serverCode: String? = info.serverCode

    /** Refold's `http_error_type` of the error (e.g. `BAD_REQUEST`), when its answer had one. */
    val httpErrorType: String? = info.httpErrorType

    override val message: String = info.detail

    /** An argument is unusable (the id, a per-call option, a value JSON cannot carry…): nothing was sent. */
    class InvalidInput internal constructor(info: ErrorInfo) : RefoldException(info)

    /** The client options are unusable (missing key, unknown environment, unsafe base URL, a lone surrogate…). */
    class Configuration internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 400 or 422. */
    class BadRequest internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 401: the API key (or, on a session-token call, the token) was rejected. */
    class Authentication internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 403. */
    class PermissionDenied internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 404. */
    class NotFound internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 429, after the retries ran out. */
    class RateLimited internal constructor(info: ErrorInfo) : RefoldException(info)

    /** Refold does not know the linked account a token was asked for (400 `INVALID_LINKED_ACCOUNT_ID`, or the older 500). */
    class InvalidLinkedAccount internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 501–599 other than 500 (502–504 after the retries ran out). */
    class ServerError internal constructor(info: ErrorInfo) : RefoldException(info)

    /** An attempt exceeded the timeout, or HTTP 408. */
    class Timeout internal constructor(info: ErrorInfo) : RefoldException(info)

    /** DNS, refused, reset, closed early, or TLS failure. */
    class Connection internal constructor(info: ErrorInfo) : RefoldException(info)

    /** A 2xx whose body is not what the call expects, or over 1 MiB. */
    class InvalidResponse internal constructor(info: ErrorInfo) : RefoldException(info)

    /** Any other status, redirects included. */
    class UnexpectedStatus internal constructor(info: ErrorInfo) : RefoldException(info)

    /** A bug in this library (a panic in native code, a runtime that could not start): please report it. Never retried. */
    class Internal internal constructor(info: ErrorInfo) : RefoldException(info)

    /** The caller cancelled the call; a request already sent may have reached Refold. Never retried. */
    class Aborted internal constructor(info: ErrorInfo) : RefoldException(info)

    internal companion object {
        /** The one table: the core's code string (`ErrorCode::as_str`) → its subclass. */
        val BY_CODE: Map<String, (ErrorInfo) -> RefoldException> = mapOf(
            "invalid_input" to ::InvalidInput,
            "configuration" to ::Configuration,
            "bad_request" to ::BadRequest,
            "authentication" to ::Authentication,
            "permission_denied" to ::PermissionDenied,
            "not_found" to ::NotFound,
            "rate_limited" to ::RateLimited,
            "invalid_linked_account" to ::InvalidLinkedAccount,
            "server_error" to ::ServerError,
            "timeout" to ::Timeout,
            "connection" to ::Connection,
            "invalid_response" to ::InvalidResponse,
            "unexpected_status" to ::UnexpectedStatus,
            "internal" to ::Internal,
            "aborted" to ::Aborted,
        )

        /** The core's error as its subclass (a code this table lacks, which a test rules out: [Internal]). */
        fun from(info: ErrorInfo): RefoldException = (BY_CODE[info.code] ?: ::Internal)(info)

        /** The generated uniffi error (one variant carrying the [ErrorInfo]). */
        fun from(error: FfiException): RefoldException = when (error) {
            is FfiException.Refold -> from(error.info)
        }
    }
}
