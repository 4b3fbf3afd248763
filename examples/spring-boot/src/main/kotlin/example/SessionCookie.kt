package example

import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletResponse
import org.springframework.beans.factory.annotation.Value
import org.springframework.http.HttpHeaders
import org.springframework.http.ResponseCookie
import org.springframework.stereotype.Component
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.Base64
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

/** The demo sign-in: the user's name in an HMAC-SHA256-signed cookie (no server-side state). */
@Component
class SessionCookie(@Value("\${session.secret:}") secret: String) {
    private val key = SecretKeySpec(
        secret.ifEmpty { null }?.toByteArray() ?: ByteArray(32).also(SecureRandom()::nextBytes),
        "HmacSHA256",
    )
    private val base64 = Base64.getUrlEncoder().withoutPadding()

    fun user(request: HttpServletRequest): String? {
        val (payload, signature) = request.cookies?.firstOrNull { it.name == NAME }?.value
            ?.split('.')?.takeIf { it.size == 2 } ?: return null
        val valid = MessageDigest.isEqual(sign(payload).toByteArray(), signature.toByteArray())
        return if (valid) String(Base64.getUrlDecoder().decode(payload)) else null
    }

    fun signIn(response: HttpServletResponse, user: String) {
        val payload = base64.encodeToString(user.toByteArray())
        set(response, "$payload.${sign(payload)}", maxAge = -1)
    }

    fun signOut(response: HttpServletResponse) = set(response, "", maxAge = 0)

    private fun set(response: HttpServletResponse, value: String, maxAge: Long) {
        val cookie = ResponseCookie.from(NAME, value).path("/").httpOnly(true).sameSite("Lax").maxAge(maxAge).build()
        response.addHeader(HttpHeaders.SET_COOKIE, cookie.toString())
    }

    private fun sign(payload: String): String =
        base64.encodeToString(Mac.getInstance("HmacSHA256").apply { init(key) }.doFinal(payload.toByteArray()))

    private companion object {
        const val NAME = "session"
    }
}
