package ai.refold.session

import ai.refold.session.ffi.ErrorInfo
import ai.refold.session.ffi.FfiException

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
 *     log.warn("refold failed: {} (request {})", e.code, e.requestId)
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

    /** What the server asked to wait before retrying, in seconds, if it said. */
    val retryAfterSeconds: Double? = info.retryAfterSeconds

    /** How many requests were sent (0 when the call failed before the wire). */
    val attempts: Int = info.attempts

    override val message: String = info.detail

    /**
     * The linked account id is empty, blank, has a control character, is over 1024 bytes or is
     * not valid Unicode (a lone surrogate).
     */
    class InvalidInput internal constructor(info: ErrorInfo) : RefoldException(info)

    /** The client options are unusable (missing key, unknown environment, unsafe base URL, a lone surrogate…). */
    class Configuration internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 400 or 422. */
    class BadRequest internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 401: the API key was rejected. */
    class Authentication internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 403. */
    class PermissionDenied internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 404. */
    class NotFound internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 429, after the retries ran out. */
    class RateLimited internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 500: Refold's answer to a linked account id it does not know. */
    class InvalidLinkedAccount internal constructor(info: ErrorInfo) : RefoldException(info)

    /** HTTP 501–599 other than 500 (502–504 after the retries ran out). */
    class ServerError internal constructor(info: ErrorInfo) : RefoldException(info)

    /** An attempt exceeded the timeout, or HTTP 408. */
    class Timeout internal constructor(info: ErrorInfo) : RefoldException(info)

    /** DNS, refused, reset, closed early, or TLS failure. */
    class Connection internal constructor(info: ErrorInfo) : RefoldException(info)

    /** A 2xx whose body is not JSON, lacks a token, or is over 1 MiB. */
    class InvalidResponse internal constructor(info: ErrorInfo) : RefoldException(info)

    /** Any other status, redirects included. */
    class UnexpectedStatus internal constructor(info: ErrorInfo) : RefoldException(info)

    /** A bug in this library (a panic in native code, a runtime that could not start): please report it. Never retried. */
    class Internal internal constructor(info: ErrorInfo) : RefoldException(info)

    internal companion object {
        /**
         * The JNI path's error (NativeFast): [variant] is the index of the uniffi variant in
         * `FfiError`'s declaration order, mapped to the subclass [from] gives that variant.
         */
        fun of(variant: Int, info: ErrorInfo): RefoldException = when (variant) {
            0 -> InvalidInput(info)
            1 -> Configuration(info)
            2 -> BadRequest(info)
            3 -> Authentication(info)
            4 -> PermissionDenied(info)
            5 -> NotFound(info)
            6 -> RateLimited(info)
            7 -> InvalidLinkedAccount(info)
            8 -> ServerError(info)
            9 -> Timeout(info)
            10 -> Connection(info)
            11 -> InvalidResponse(info)
            12 -> UnexpectedStatus(info)
            else -> Internal(info)
        }

        /** The generated uniffi error, as the idiomatic subclass (same code, same fields). */
        fun from(error: FfiException): RefoldException = when (error) {
            is FfiException.InvalidInput -> InvalidInput(error.info)
            is FfiException.Configuration -> Configuration(error.info)
            is FfiException.BadRequest -> BadRequest(error.info)
            is FfiException.Authentication -> Authentication(error.info)
            is FfiException.PermissionDenied -> PermissionDenied(error.info)
            is FfiException.NotFound -> NotFound(error.info)
            is FfiException.RateLimited -> RateLimited(error.info)
            is FfiException.InvalidLinkedAccount -> InvalidLinkedAccount(error.info)
            is FfiException.ServerException -> ServerError(error.info) // uniffi renames *Error variants
            is FfiException.Timeout -> Timeout(error.info)
            is FfiException.Connection -> Connection(error.info)
            is FfiException.InvalidResponse -> InvalidResponse(error.info)
            is FfiException.UnexpectedStatus -> UnexpectedStatus(error.info)
            is FfiException.Internal -> Internal(error.info)
        }
    }
}
