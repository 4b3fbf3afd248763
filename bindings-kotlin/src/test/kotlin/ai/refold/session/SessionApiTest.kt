package ai.refold.session

import ai.refold.session.ffi.ErrorInfo
import ai.refold.session.ffi.errorCodes
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.Instant
import java.util.concurrent.TimeUnit

/**
 * Issue #22's surface in Kotlin: the whole token answer (refresh token and its expiry, never
 * shown), revocation, the active linked account, Refold's own error codes on every exception,
 * per-call options, and the one error table keyed by the core's code strings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionApiTest {
    private lateinit var emulator: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator.start("acct-1", "acct-2")
    }

    @AfterAll
    fun stop() = emulator.close()

    @BeforeEach
    fun reset() = emulator.reset()

    private fun client(cache: CacheOptions? = null, maxRetries: Int? = null) =
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = cache, maxRetries = maxRetries)

    @Test
    fun `the error table has a subclass for every code of the core`() {
        assertEquals(errorCodes().toSet(), RefoldException.BY_CODE.keys, "RefoldException.BY_CODE against ErrorCode::ALL")
        // Each code maps to the subclass named after it (`invalid_input` → InvalidInput).
        for ((code, make) in RefoldException.BY_CODE) {
            val error = make(ErrorInfo(code, "d", null, null, null, 0, null, null))
            val named = code.split('_').joinToString("") { it.replaceFirstChar(Char::uppercase) }
            assertEquals(named, error.javaClass.simpleName)
        }
    }

    @Test
    fun `the token carries its refresh token and expiry, and no string form shows either secret`() = client().use { refold ->
        val token = refold.getTokenForLinkedAccountBlocking("acct-1")
        val refresh = token.refreshToken ?: error("no refresh token")
        assertTrue(refresh.length > 8, "a refresh token")
        val refreshExpiresAt = token.refreshExpiresAt ?: error("no refreshExpiresAt")
        assertTrue(refreshExpiresAt.isAfter(Instant.now()), "$refreshExpiresAt")
        assertTrue(token.expiresAt.isAfter(Instant.now()))
        for (shown in listOf(token.toString(), "$token", listOf(token).toString())) {
            assertFalse(shown.contains(token.token), shown)
            assertFalse(shown.contains(refresh), shown)
            // (Its first characters are any JWT's header, as the token's redaction shows.)
            assertFalse(shown.contains(refresh.takeLast(16)), shown)
        }
        assertTrue(token.toString().contains("refreshToken="), token.toString())
    }

    @Test
    fun `fresh sends force_refresh and gets a new token`() = client(cache = CacheOptions()).use { refold ->
        val first = refold.getTokenForLinkedAccountBlocking("acct-1")
        val fresh = runBlocking { refold.getTokenForLinkedAccount("acct-1", fresh = true) }
        assertNotEquals(first.token, fresh.token)
        val queries = emulator.requests().getJSONArray("requests").map { (it as org.json.JSONObject).opt("query") }
        assertEquals(listOf(org.json.JSONObject.NULL, "force_refresh=true"), queries.map { it ?: org.json.JSONObject.NULL })
    }

    @Test
    fun `revoking a token answers the count on every calling style and drops it from the cache`() =
        client(cache = CacheOptions()).use { refold ->
            val first = refold.getTokenForLinkedAccountBlocking("acct-1")
            val revoked = refold.revokeSessionTokenBlocking(first.token)
            assertEquals(RevokeResult(success = true, revokedCount = 1), revoked)
            // The token left the cache: the next call mints (a new token) instead of handing it out.
            val second = runBlocking { refold.getTokenForLinkedAccount("acct-1") }
            assertNotEquals(first.token, second.token)
            assertEquals(1, runBlocking { refold.revokeSessionToken(second.token) }.revokedCount)
            val third = refold.getTokenForLinkedAccountBlocking("acct-1")
            assertEquals(1, refold.revokeSessionTokenAsync(third.token).get(10, TimeUnit.SECONDS).revokedCount)
            // A revoked token is refused: Authentication, with Refold's own code.
            val error = assertThrows<RefoldException.Authentication> { refold.getActiveLinkedAccountBlocking(first.token) }
            assertEquals(401, error.status)
            assertFalse(error.message.contains(first.token), error.message)
        }

    @Test
    fun `the active linked account of a token`() = client().use { refold ->
        val token = refold.getTokenForLinkedAccountBlocking("acct-2")
        assertEquals("acct-2", refold.getActiveLinkedAccountBlocking(token.token).accountId)
        assertEquals("acct-2", runBlocking { refold.getActiveLinkedAccount(token.token) }.accountId)
        assertEquals("acct-2", refold.getActiveLinkedAccountAsync(token.token).get(10, TimeUnit.SECONDS).accountId)
        // Not a token at all: refused before anything is sent (the core's rule and words).
        emulator.reset()
        for (bad in listOf("", "has space", "lone\uD800")) {
            val error = assertThrows<RefoldException.InvalidInput>(bad) { refold.revokeSessionTokenBlocking(bad) }
            assertEquals(0, error.attempts)
        }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `errors carry Refold's own code and error type`() = client().use { refold ->
        val error = assertThrows<RefoldException.InvalidLinkedAccount> { refold.getTokenForLinkedAccountBlocking("nobody") }
        assertEquals("invalid_linked_account", error.code)
        assertEquals("INVALID_LINKED_ACCOUNT_ID", error.serverCode)
        assertEquals(400, error.status)
        assertNotNull(error.httpErrorType)
    }

    @Test
    fun `per-call options override the client's for that call only`() = client(maxRetries = 2).use { refold ->
        // No retry for this call: one request despite the client's two retries.
        emulator.faults(JSONArray("""[{"kind":"status","status":503},{"kind":"status","status":503}]"""))
        val once = assertThrows<RefoldException.ServerError> {
            refold.getTokenForLinkedAccountBlocking("acct-1", options = RequestOptions(maxRetries = 0))
        }
        assertEquals(1, once.attempts)
        // A short timeout for this call.
        emulator.reset()
        emulator.faults(JSONArray("""[{"kind":"delay","ms":2000}]"""))
        assertThrows<RefoldException.Timeout> {
            runBlocking { refold.getLinkedAccount("acct-1", RequestOptions(timeout = Duration.ofMillis(200), maxRetries = 0)) }
        }
        // Options the core refuses: InvalidInput, nothing sent.
        emulator.reset()
        for (options in listOf(RequestOptions(maxRetries = -1), RequestOptions(maxRetries = 101), RequestOptions(timeout = Duration.ofSeconds(-1)))) {
            val error = assertThrows<RefoldException.InvalidInput>("$options") { refold.listLinkedAccountsBlocking(options = options) }
            assertEquals(0, error.attempts)
            assertTrue(error.message.contains(if (options.timeout != null) "timeout" else "maxRetries"), error.message)
        }
        assertEquals(0, emulator.requestCount())
        // The client's own settings are untouched.
        assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1", false, RequestOptions()).linkedAccountId)
    }
}
