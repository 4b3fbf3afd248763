package ai.refold.session

import ai.refold.session.ffi.FfiMintedToken
import java.time.Instant

/**
 * A session token for one linked account, ready to hand to the front end.
 *
 * [toString] shows the token redacted (its first 8 characters, then `…`) and never the refresh
 * token; read [token] to use it, and never log it. With the cache on, every hit of one token
 * returns this same object.
 */
class SessionToken private constructor(
    /** The token itself. Treat it as a secret. */
    val token: String,
    /** The linked account the token was minted for. */
    val linkedAccountId: String,
    /** When the token stops working: receipt + Refold's `expires_in` (never after `exp`), else `exp`, else 24 h. */
    val expiresAt: Instant,
    /** When Refold issued it (`iat`), if the token says. */
    val issuedAt: Instant?,
    /** The refresh token Refold answered with, if any. A secret like [token]. */
    val refreshToken: String?,
    /** When [refreshToken] stops working, if Refold said (or its JWT does). */
    val refreshExpiresAt: Instant?,
    private val redacted: String,
    private val refreshRedacted: String?,
) {
    /** Kotlin's data-class form, with the secrets redacted by the core. */
    override fun toString(): String =
        "SessionToken(token=$redacted, linkedAccountId=$linkedAccountId, expiresAt=$expiresAt, issuedAt=$issuedAt, " +
            "refreshToken=$refreshRedacted, refreshExpiresAt=$refreshExpiresAt)"

    override fun equals(other: Any?): Boolean =
        other is SessionToken && other.token == token && other.linkedAccountId == linkedAccountId &&
            other.expiresAt == expiresAt && other.issuedAt == issuedAt &&
            other.refreshToken == refreshToken && other.refreshExpiresAt == refreshExpiresAt

    override fun hashCode(): Int = token.hashCode()

    internal companion object {
        /** The fields as the JNI path decodes them ([NativeFast.adopt]). */
        fun of(
            token: String,
            linkedAccountId: String,
            expiresAt: Instant,
            issuedAt: Instant?,
            redacted: String,
            refreshToken: String?,
            refreshExpiresAt: Instant?,
            refreshRedacted: String?,
        ) = SessionToken(token, linkedAccountId, expiresAt, issuedAt, refreshToken, refreshExpiresAt, redacted, refreshRedacted)

        /**
         * The uniffi record as the public type. The record carries the secrets as UTF-8 bytes so
         * that its generated data-class `toString()` cannot show them; they are decoded here and
         * the bytes zeroed.
         */
        fun from(native: FfiMintedToken): SessionToken {
            fun text(bytes: ByteArray?): String? = bytes?.let { String(it, Charsets.UTF_8).also { _ -> it.fill(0) } }
            return SessionToken(
                token = text(native.tokenUtf8)!!,
                linkedAccountId = native.linkedAccountId,
                expiresAt = native.expiresAt,
                issuedAt = native.issuedAt,
                refreshToken = text(native.refreshTokenUtf8),
                refreshExpiresAt = native.refreshExpiresAt,
                redacted = native.redacted,
                refreshRedacted = native.refreshRedacted,
            )
        }
    }
}
