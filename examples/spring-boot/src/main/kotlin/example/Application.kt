// Spring Boot backend for the Refold front end: a demo sign-in that upserts the user's linked
// account, GET /refold/session with a session token for the signed-in user, POST
// /api/session/sign-out revoking it, and the shared page (../web/public), whose front-end SDK
// calls Refold with that token.
package example

import ai.refold.session.CacheOptions
import ai.refold.session.LinkedAccountInput
import ai.refold.session.RefoldClient
import ai.refold.session.RefoldException
import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletResponse
import kotlinx.coroutines.withContext
import org.slf4j.LoggerFactory
import org.springframework.beans.factory.annotation.Value
import org.springframework.boot.autoconfigure.SpringBootApplication
import org.springframework.boot.runApplication
import org.springframework.context.annotation.Bean
import org.springframework.http.HttpHeaders
import org.springframework.http.HttpStatus
import org.springframework.http.ResponseEntity
import org.springframework.web.bind.annotation.ExceptionHandler
import org.springframework.web.bind.annotation.GetMapping
import org.springframework.web.bind.annotation.PostMapping
import org.springframework.web.bind.annotation.RequestBody
import org.springframework.web.bind.annotation.RequestParam
import org.springframework.web.bind.annotation.RestController
import kotlin.math.ceil

@SpringBootApplication
class Application {
    // One client for the process (API key from REFOLD_API_KEY, base URL from REFOLD_BASE_URL).
    // With the cache on, page views reuse a token while it has life left instead of minting.
    @Bean(destroyMethod = "close")
    fun refold() = RefoldClient(cache = CacheOptions())
}

fun main(args: Array<String>) {
    runApplication<Application>(*args)
}

data class SignIn(val name: String?)

@RestController
class RefoldController(
    private val refold: RefoldClient,
    private val session: SessionCookie,
    // Where the browser calls Refold; the emulator serves both APIs on one address.
    @Value("\${refold.frontend-api-url}") private val apiBaseUrl: String,
) {
    private val log = LoggerFactory.getLogger(javaClass)

    @GetMapping("/me")
    fun me(request: HttpServletRequest) = mapOf("user" to session.user(request), "apiBaseUrl" to apiBaseUrl)

    @PostMapping("/signin")
    suspend fun signIn(@RequestBody body: SignIn, response: HttpServletResponse): ResponseEntity<Any> {
        val name = body.name?.trim().orEmpty()
        if (name.isEmpty() || name.length > 64) return error(HttpStatus.BAD_REQUEST, "Enter a name of 1 to 64 characters.")
        // The user's linked account at Refold (its id is our user id), created on first sign-in.
        refold.upsertLinkedAccount(LinkedAccountInput(linkedAccountId = name, name = name))
        session.signIn(response, name)
        return ResponseEntity.noContent().build()
    }

    @PostMapping("/signout")
    fun signOut(response: HttpServletResponse): ResponseEntity<Any> {
        session.signOut(response)
        return ResponseEntity.noContent().build()
    }

    @GetMapping("/refold/session")
    suspend fun refoldSession(request: HttpServletRequest, @RequestParam(defaultValue = "") fresh: String): ResponseEntity<Any> {
        val user = session.user(request) ?: return error(HttpStatus.UNAUTHORIZED, "Sign in first.")
        // fresh=1 when the front end was refused the token it had: skip the cache.
        val token = refold.getTokenForLinkedAccount(user, fresh = fresh == "1")
        return ResponseEntity.ok().header(HttpHeaders.CACHE_CONTROL, "no-store")
            .body(mapOf("token" to token.token, "expiresAt" to token.expiresAt.toString()))
    }

    /**
     * Signs the user out of Refold too: revokes the user's session token (the one the page was
     * handed: the cached one, which Refold also answers while it is valid) so it stops working
     * at once, then ends the demo sign-in. Answers `{"revoked": <tokens revoked>}`.
     */
    @PostMapping("/api/session/sign-out")
    suspend fun sessionSignOut(request: HttpServletRequest, response: HttpServletResponse): ResponseEntity<Any> {
        val user = session.user(request) ?: return error(HttpStatus.UNAUTHORIZED, "Sign in first.")
        // Both calls under the request's span (the second runs after a suspension).
        val revoked = withContext(RequestContext()) {
            val token = refold.getTokenForLinkedAccount(user)
            refold.revokeSessionToken(token.token)
        }
        session.signOut(response)
        return ResponseEntity.ok().header(HttpHeaders.CACHE_CONTROL, "no-store").body(mapOf("revoked" to revoked.revokedCount))
    }

    /** Refold's typed errors as HTTP answers. */
    @ExceptionHandler(RefoldException::class)
    fun refoldError(e: RefoldException, request: HttpServletRequest): ResponseEntity<Any> {
        // The code and request id only: a RefoldException never holds the key or a token anyway.
        log.warn("refold error: {} (request {})", e.code, e.requestId ?: "none")
        return when (e) {
            is RefoldException.InvalidLinkedAccount -> error(
                HttpStatus.NOT_FOUND,
                "Your Refold linked account \"${session.user(request)}\" no longer exists. Sign out and sign in again to create it.",
                "account_missing",
            )
            is RefoldException.InvalidInput -> error(HttpStatus.BAD_REQUEST, "That name cannot be a linked account id.", e.code)
            is RefoldException.RateLimited -> ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, maxOf(1L, e.retryAfter?.let { ceil(it.toMillis() / 1000.0).toLong() } ?: 1L).toString())
                .body(mapOf("error" to e.code, "message" to "Refold is busy. Try again in a moment."))
            else -> error(HttpStatus.BAD_GATEWAY, "Refold could not be reached. Try again later.", e.code)
        }
    }

    private fun error(status: HttpStatus, message: String, code: String? = null): ResponseEntity<Any> =
        ResponseEntity.status(status).body(listOfNotNull(code?.let { "error" to it }, "message" to message).toMap())
}
