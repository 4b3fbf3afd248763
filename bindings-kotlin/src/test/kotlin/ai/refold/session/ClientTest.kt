package ai.refold.session

import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.liveClientCount
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.util.concurrent.ExecutionException
import java.util.concurrent.TimeUnit

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientTest {
    private lateinit var emulator: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator.start("acct-1")
    }

    @AfterAll
    fun stop() = emulator.close()

    @BeforeEach
    fun reset() = emulator.reset()

    private fun client(maxRetries: Int? = null, timeout: Duration? = null) =
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, maxRetries = maxRetries, timeout = timeout)

    @Test
    fun `mints a token through every calling style`() = client().use { refold ->
        val viaSuspend = runBlocking { refold.getTokenForLinkedAccount("acct-1") }
        val viaBlocking = refold.getTokenForLinkedAccountBlocking("acct-1")
        val viaFuture = refold.getTokenForLinkedAccountAsync("acct-1").get(10, TimeUnit.SECONDS)
        for (token in listOf(viaSuspend, viaBlocking, viaFuture)) {
            assertEquals("acct-1", token.linkedAccountId)
            val payload = Conformance.jwtPayload(token.token)
            assertEquals("acct-1", payload.getString("linked_account_id"))
            assertEquals(payload.getLong("exp"), token.expiresAt.epochSecond)
            assertEquals(payload.getLong("iat"), token.issuedAt?.epochSecond)
        }
        assertEquals(3, emulator.requestCount())
    }

    @Test
    fun `neither the native record nor SessionToken shows the token`() {
        val options = HostValue.encode(HostValue.members("apiKey" to Emulator.KEY, "baseUrl" to emulator.baseUrl))
        val native = FfiClient(options, "test", false)
        try {
            val records = listOf(
                native.getTokenForLinkedAccountBlocking("acct-1", false, null)!!,
                runBlocking { native.getTokenForLinkedAccount("acct-1", false, null)!! },
            )
            for (record in records) {
                val secret = String(record.tokenUtf8, Charsets.UTF_8)
                assertTrue(secret.length > 16, "a JWT")
                val recordShown = record.toString()
                assertFalse(recordShown.contains(secret), recordShown)
                assertFalse(recordShown.contains(secret.take(16)), recordShown)
                val token = SessionToken.from(record)
                assertEquals(secret, token.token)
                assertFalse(token.toString().contains(secret), token.toString())
                assertTrue(record.tokenUtf8.all { it == 0.toByte() }, "the record's copy is zeroed")
            }
        } finally {
            native.release()
            native.close()
        }
    }

    @Test
    fun `bad ids are InvalidInput and never reach the emulator`() = client().use { refold ->
        val bad = listOf("", "   ", " \t\n ", "x".repeat(2048), "a\u0000b", "\u0000", "acct\r\n1")
        for (id in bad) {
            val shown = id.take(12).replace("\u0000", "\\0")
            val suspendError = assertThrows<RefoldException.InvalidInput>(shown) {
                runBlocking { refold.getTokenForLinkedAccount(id) }
            }
            val blockingError = assertThrows<RefoldException.InvalidInput>(shown) {
                refold.getTokenForLinkedAccountBlocking(id)
            }
            val futureError = assertThrows<ExecutionException>(shown) {
                refold.getTokenForLinkedAccountAsync(id).get(10, TimeUnit.SECONDS)
            }.cause
            assertTrue(futureError is RefoldException.InvalidInput, "$shown: $futureError")
            for (error in listOf(suspendError, blockingError, futureError as RefoldException)) {
                assertEquals("invalid_input", error.code)
                assertEquals(0, error.attempts)
                assertNull(error.status)
                assertNull(error.requestId)
                assertTrue(error.message.contains("linked_account_id"), error.message)
            }
        }
        assertEquals(0, emulator.requestCount(), "no request may reach the emulator")
        // The client is still usable afterwards.
        assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").linkedAccountId)
    }

    @Test
    fun `ids with a lone surrogate are InvalidInput in the core's words and never sent`() = client().use { refold ->
        val bad = listOf("\uD800", "acct-\uDFFF", "a\uD83D", "\uDE42\uD83D", "acct-1\uDBFF")
        for (id in bad) {
            val shown = id.map { "%04X".format(it.code) }.joinToString(" ")
            val suspendError = assertThrows<RefoldException.InvalidInput>(shown) {
                runBlocking { refold.getTokenForLinkedAccount(id) }
            }
            val blockingError = assertThrows<RefoldException.InvalidInput>(shown) {
                refold.getTokenForLinkedAccountBlocking(id)
            }
            val futureError = assertThrows<ExecutionException>(shown) {
                refold.getTokenForLinkedAccountAsync(id).get(10, TimeUnit.SECONDS)
            }.cause
            assertTrue(futureError is RefoldException.InvalidInput, "$shown: $futureError")
            for (error in listOf(suspendError, blockingError, futureError as RefoldException)) {
                assertEquals("invalid_input", error.code)
                assertEquals(0, error.attempts)
                assertNull(error.status)
                assertTrue(error.message.startsWith("linked_account_id is not valid Unicode text"), error.message)
            }
        }
        assertEquals(0, emulator.requestCount(), "no request may reach the emulator")
        // A well-formed surrogate pair is ordinary text: it is sent (the emulator does not know it).
        val error = assertThrows<RefoldException.InvalidLinkedAccount> { refold.getTokenForLinkedAccountBlocking("acct-\uD83D\uDE42") }
        assertEquals(1, error.attempts)
        assertEquals(1, emulator.requestCount())
        val sent = emulator.requests().getJSONArray("requests").getJSONObject(0).getString("body")
        assertEquals("acct-\uD83D\uDE42", JSONObject(sent).getString("linked_account_id"))
    }

    @Test
    fun `options with a lone surrogate are Configuration errors naming the option`() {
        val cases = listOf<Pair<String, () -> RefoldClient>>(
            "apiKey" to { RefoldClient(apiKey = "sk_\uD800", baseUrl = emulator.baseUrl) },
            "apiKey" to { RefoldClient(apiKey = "\uDFFF", baseUrl = "http://127.0.0.1:1/\uD800") },
            "baseUrl" to { RefoldClient(apiKey = Emulator.KEY, baseUrl = "${emulator.baseUrl}/\uDFFF") },
            "environment" to { RefoldClient(apiKey = Emulator.KEY, environment = "sandbox\uD800") },
        )
        for ((option, build) in cases) {
            val error = assertThrows<RefoldException.Configuration>(option) { build() }
            assertEquals("configuration", error.code)
            assertEquals(0, error.attempts)
            assertTrue(error.message.startsWith("$option is not valid Unicode text"), error.message)
        }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `a panic in the core is Internal on every calling style and the client survives`() = client().use { refold ->
        val id = "__refold_test_hooks_panic__"
        val suspendError = assertThrows<RefoldException.Internal> { runBlocking { refold.getTokenForLinkedAccount(id) } }
        val blockingError = assertThrows<RefoldException.Internal> { refold.getTokenForLinkedAccountBlocking(id) }
        val futureError = assertThrows<ExecutionException> {
            refold.getTokenForLinkedAccountAsync(id).get(10, TimeUnit.SECONDS)
        }.cause
        assertTrue(futureError is RefoldException.Internal, "$futureError")
        for (error in listOf(suspendError, blockingError, futureError as RefoldException)) {
            assertEquals("internal", error.code)
            assertNull(error.status)
            assertTrue(error.message.startsWith("refold-session hit an internal error (panic:"), error.message)
        }
        assertEquals(0, emulator.requestCount())
        // The process and the client go on working, on both paths.
        assertEquals("acct-1", runBlocking { refold.getTokenForLinkedAccount("acct-1") }.linkedAccountId)
        assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").linkedAccountId)
    }

    @Test
    fun `configuration errors are thrown by the constructor`() {
        val cases = listOf<() -> RefoldClient>(
            { RefoldClient(baseUrl = emulator.baseUrl) }, // no key (Surefire clears REFOLD_API_KEY)
            { RefoldClient(apiKey = "  ", baseUrl = emulator.baseUrl) },
            { RefoldClient(apiKey = Emulator.KEY, environment = "moon") },
            { RefoldClient(apiKey = Emulator.KEY, baseUrl = "http://203.0.113.7") },
            { RefoldClient(apiKey = Emulator.KEY, baseUrl = "not a url") },
            { RefoldClient(apiKey = Emulator.KEY, timeout = Duration.ZERO) },
            { RefoldClient(apiKey = Emulator.KEY, timeout = Duration.ofSeconds(-1)) },
            { RefoldClient(apiKey = Emulator.KEY, maxRetries = -1) },
            { RefoldClient(apiKey = Emulator.KEY, maxRetries = 101) },
            { RefoldClient(apiKey = Emulator.KEY, maxIdleConnections = -1) },
            { RefoldClient(apiKey = Emulator.KEY, maxIdleConnections = 10_001) },
            { RefoldClient(apiKey = Emulator.KEY, maxConnections = 0) },
            { RefoldClient(apiKey = Emulator.KEY, maxConnections = 10_001) },
            { RefoldClient(apiKey = Emulator.KEY, rateLimit = RateLimit(requestsPerSecond = 0)) },
            { RefoldClient(apiKey = Emulator.KEY, rateLimit = RateLimit(burst = 10_001)) },
        )
        for ((index, build) in cases.withIndex()) {
            val error = assertThrows<RefoldException.Configuration>("case $index") { build() }
            assertEquals("configuration", error.code)
            assertEquals(0, error.attempts)
            assertFalse(error.message.contains(Emulator.KEY))
        }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `the rate limit is an option the core reads`() {
        val error = assertThrows<RefoldException.Configuration> {
            RefoldClient(apiKey = Emulator.KEY, rateLimit = RateLimit(requestsPerSecond = 0))
        }
        assertTrue(error.message.contains("rateLimit.requestsPerSecond"), error.message)
        RefoldClient(
            apiKey = Emulator.KEY,
            baseUrl = emulator.baseUrl,
            readEnvironmentVariables = false,
            rateLimit = RateLimit.OFF,
        ).use { refold ->
            assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").linkedAccountId)
        }
        assertEquals("RateLimit.OFF", RateLimit.OFF.toString())
        assertEquals(RateLimit(20, 5), RateLimit(requestsPerSecond = 20, burst = 5))
    }

    @Test
    fun `options reach the core`() {
        RefoldClient(apiKey = Emulator.KEY, environment = " Sandbox ").use {
            assertEquals("https://embedapi.gocobalt.io/api/v2/public/session-token", it.endpoint)
            assertEquals("sandbox", it.environment)
        }
        RefoldClient(apiKey = Emulator.KEY).use {
            assertEquals("https://app.refold.ai/api/v2/public/session-token", it.endpoint)
            assertEquals("production", it.environment)
        }
        client().use { refold ->
            assertEquals("${emulator.baseUrl}/api/v2/public/session-token", refold.endpoint)
            assertEquals("production", refold.environment, "a base URL overrides the URL, not the name")
            val javaVersion = System.getProperty("java.version")
            // The pom's version is the core's: the user-agent names both.
            val version = System.getProperty("refold.version") ?: error("Surefire sets refold.version")
            assertEquals("refold-session/$version (kotlin $javaVersion)", refold.userAgent)
            refold.getTokenForLinkedAccountBlocking("acct-1")
            val headers = emulator.requests().getJSONArray("requests").getJSONObject(0).getJSONObject("headers")
            assertEquals(refold.userAgent, headers.getString("user-agent"))
            assertFalse(headers.toString().contains(Emulator.KEY), "the emulator log redacts the key")
        }
        // maxRetries = 0 disables retries; a short timeout applies per attempt.
        emulator.faults(JSONArray("""[{"kind":"status","status":503}]"""))
        client(maxRetries = 0).use { refold ->
            val error = assertThrows<RefoldException.ServerError> { refold.getTokenForLinkedAccountBlocking("acct-1") }
            assertEquals(1, error.attempts)
            assertEquals(503, error.status)
        }
        emulator.reset()
        emulator.faults(JSONArray("""[{"kind":"delay","ms":3000}]"""))
        client(maxRetries = 0, timeout = Duration.ofMillis(250)).use { refold ->
            val error = assertThrows<RefoldException.Timeout> { refold.getTokenForLinkedAccountBlocking("acct-1") }
            assertNull(error.status)
        }
        // maxIdleConnections = 0 keeps no connection: calls still succeed, each on a new one.
        emulator.reset()
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, maxIdleConnections = 0).use { refold ->
            repeat(3) { assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").linkedAccountId) }
        }
        assertEquals(3, emulator.requestCount())
        // maxConnections = 1: eight threads' blocking calls wait their turn for one connection
        // (each blocks its own thread while it waits) and all succeed.
        emulator.reset()
        val failures = java.util.concurrent.ConcurrentLinkedQueue<Throwable>()
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, maxConnections = 1).use { refold ->
            val threads = (0 until 8).map {
                Thread {
                    try {
                        repeat(3) { assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").linkedAccountId) }
                    } catch (error: Throwable) {
                        failures.add(error)
                    }
                }.apply { start() }
            }
            threads.forEach { it.join() }
        }
        assertEquals(listOf<Throwable>(), failures.toList())
        assertEquals(24, emulator.requestCount())
    }

    @Test
    fun `the API key and the token never show`() {
        val key = "sk_live_DISTINCTIVE_kotlin_9d1e"
        RefoldClient(apiKey = key, baseUrl = emulator.baseUrl, maxRetries = 0).use { refold ->
            assertFalse(refold.toString().contains(key), refold.toString())
            val error = assertThrows<RefoldException.Authentication> { refold.getTokenForLinkedAccountBlocking("acct-1") }
            assertEquals(401, error.status)
            for (shown in listOf(error.message, error.toString(), error.stackTraceToString())) {
                assertFalse(shown.contains("DISTINCTIVE"), shown)
            }
        }
        client().use { refold ->
            val token = refold.getTokenForLinkedAccountBlocking("acct-1")
            val shown = token.toString()
            assertFalse(shown.contains(token.token), shown)
            assertTrue(shown.contains("token=${token.token.take(8)}…"), shown)
            assertTrue(shown.contains("linkedAccountId=acct-1"), shown)
            assertTrue(shown.contains("expiresAt=${token.expiresAt}"), shown)
        }
        // The server echoes the key and a token back: neither reaches the exception.
        emulator.faults(
            JSONArray().put(
                JSONObject().put("kind", "status").put("status", 400)
                    .put("body", JSONObject().put("message", "bad key ${Emulator.KEY} token eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.c2ln")),
            ),
        )
        client().use { refold ->
            val error = assertThrows<RefoldException.BadRequest> { refold.getTokenForLinkedAccountBlocking("acct-1") }
            for (shown in listOf(error.message, error.toString())) {
                assertFalse(shown.contains(Emulator.KEY), shown)
                assertFalse(shown.contains("eyJ4IjoxfQ.c2ln"), shown)
            }
        }
    }

    @Test
    fun `close releases the native client and is idempotent`() {
        val before = liveClientCount()
        val refold = client()
        assertEquals(before + 1u, liveClientCount())
        refold.getTokenForLinkedAccountBlocking("acct-1")
        refold.close()
        assertEquals(before, liveClientCount())
        assertTrue(refold.isClosed)
        refold.close()
        assertEquals(before, liveClientCount())
        assertThrows<IllegalStateException> { refold.getTokenForLinkedAccountBlocking("acct-1") }
        assertThrows<IllegalStateException> { runBlocking { refold.getTokenForLinkedAccount("acct-1") } }
        assertThrows<IllegalStateException> { refold.endpoint }
        assertThrows<IllegalStateException> { refold.environment }
        assertThrows<IllegalStateException> { refold.userAgent }
        assertEquals("RefoldClient(closed)", refold.toString())
        // use {} closes too, even when the block throws.
        assertThrows<RefoldException.InvalidLinkedAccount> {
            client().use { it.getTokenForLinkedAccountBlocking("no-such-account") }
        }
        assertEquals(before, liveClientCount())
    }

    @Test
    fun `cancelling a coroutine abandons the request`() = client(maxRetries = 0).use { refold ->
        emulator.faults(JSONArray("""[{"kind":"delay","ms":5000}]"""))
        val started = System.nanoTime()
        assertThrows<TimeoutCancellationException> {
            runBlocking { withTimeout(300) { refold.getTokenForLinkedAccount("acct-1") } }
        }
        val elapsedMs = (System.nanoTime() - started) / 1_000_000
        assertTrue(elapsedMs < 4000, "cancellation took $elapsedMs ms")
        // The same client goes on working.
        assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1").linkedAccountId)
    }

    @Test
    fun `cancelling the job of a call in flight throws CancellationException and closes its request`() {
        // One connection, and each call waits at most 5 s for it: had a cancelled request kept
        // it (the emulator answers it after a minute), the next call would time out.
        val refold = RefoldClient(
            apiKey = Emulator.KEY,
            baseUrl = emulator.baseUrl,
            maxRetries = 0,
            maxConnections = 1,
            timeout = Duration.ofSeconds(5),
            readEnvironmentVariables = false,
        )
        refold.use {
            val calls = listOf<suspend () -> Any>(
                { refold.getTokenForLinkedAccount("acct-1") }, // the JNI path
                { refold.getLinkedAccount("acct-1") }, // uniffi
                { refold.api.listWebhooks() }, // the generated API
            )
            for ((index, call) in calls.withIndex()) {
                emulator.reset()
                emulator.faults(JSONArray("""[{"kind":"delay","ms":60000}]"""))
                runBlocking {
                    val job = async(Dispatchers.Default) { call() }
                    withTimeout(30_000) { while (emulator.requestCount() == 0) delay(10) }
                    job.cancel()
                    assertThrows<CancellationException>("call $index") { job.await() }
                }
                assertEquals("acct-1", refold.getTokenForLinkedAccountBlocking("acct-1", fresh = true).linkedAccountId, "call $index")
                assertEquals(2, emulator.requestCount(), "call $index")
            }
        }
    }
}
