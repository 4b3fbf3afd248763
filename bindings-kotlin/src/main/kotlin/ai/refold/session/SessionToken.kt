package ai.refold.session

import ai.refold.session.ffi.FfiMintedToken
import java.time.Instant

/**
 * A session token for one linked account, ready to hand to the front end.
 *
 * [toString] shows the token redacted (its first 8 characters, then `…`); read [token] to use
 * it, and never log it.
 */
class SessionToken private constructor(
    /** The token itself. Treat it as a secret. */
    val token: String,
    /** The linked account the token was minted for. */
    val linkedAccountId: String,
    /** When the token stops working: `exp`, else `iat` + 24 h, else receipt + 24 h. */
    val expiresAt: Instant,
    /** When Refold issued it (`iat`), if the token says. */
    val issuedAt: Instant?,
    private val redacted: String,
) {
    /** Kotlin's data-class form, with the token redacted by the core. */
    override fun toString(): String =
        "SessionToken(token=$redacted, linkedAccountId=$linkedAccountId, expiresAt=$expiresAt, issuedAt=$issuedAt)"

    override fun equals(other: Any?): Boolean =
        other is SessionToken && other.token == token && other.linkedAccountId == linkedAccountId &&
            other.expiresAt == expiresAt && other.issuedAt == issuedAt

    override fun hashCode(): Int = token.hashCode()

    internal companion object {
        /**
         * The native record as the public type. The record carries the token as UTF-8 bytes so
         * that its generated data-class `toString()` cannot show it; the bytes are decoded here
         * and then zeroed.
         */
        /** The fields as the JNI path decodes them (NativeFast). */
        fun of(token: String, linkedAccountId: String, expiresAt: Instant, issuedAt: Instant?, redacted: String) =
            SessionToken(token, linkedAccountId, expiresAt, issuedAt, redacted)

        fun from(native: FfiMintedToken): SessionToken {
            val bytes = native.tokenUtf8
            val token = String(bytes, Charsets.UTF_8)
            bytes.fill(0)
            return SessionToken(
                token = token,
                linkedAccountId = native.linkedAccountId,
                expiresAt = native.expiresAt,
                issuedAt = native.issuedAt,
                redacted = native.redacted,
            )
        }
    }
}
