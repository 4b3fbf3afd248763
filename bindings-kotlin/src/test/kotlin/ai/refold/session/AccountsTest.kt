package ai.refold.session

import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.math.BigDecimal
import java.time.Instant
import java.util.Date

/** Linked accounts through the Kotlin API (suspend and blocking), against a live emulator. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccountsTest {
    private lateinit var emulator: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator.start()
    }

    @AfterAll
    fun stop() = emulator.close()

    @BeforeEach
    fun reset() = emulator.reset()

    private fun client() = RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, maxRetries = 0)

    /** Deletes every account (the emulator's accounts survive a reset), then resets the log. */
    private fun clean(refold: RefoldClient) {
        for (account in refold.linkedAccountsBlocking(100).toList()) refold.deleteLinkedAccountBlocking(account.accountId)
        emulator.reset()
    }

    @Test
    fun `the two-step flow upsert then mint then delete`() = client().use { refold ->
        val started = Instant.now().minusSeconds(5)
        val input = LinkedAccountInput(
            "user-42",
            name = "Mark Wood",
            udf = mapOf("phone" to "123", "vip" to true, "visits" to 3, "score" to 1.5, "note" to null),
        )
        val account = runBlocking { refold.upsertLinkedAccount(input) }
        assertEquals("user-42", account.accountId)
        assertEquals("Mark Wood", account.name)
        assertEquals("test", account.environment)
        assertEquals(mapOf("phone" to "123", "vip" to true, "visits" to 3L, "score" to 1.5, "note" to null), account.udf)
        assertNotNull(account.id)
        assertEquals(account.id, account.json["_id"], "json is the whole object")
        assertEquals("user-42", account.json["account_id"])
        assertTrue(account.json["udf"] is List<*>, "Refold's own udf list, as received: ${account.json["udf"]}")
        val createdAt = account.createdAt ?: error("createdAt")
        assertTrue(createdAt.isAfter(started), "$createdAt")
        assertNotNull(account.updatedAt)
        assertThrows<UnsupportedOperationException> { (account.json as MutableMap<String, Any?>)["x"] = 1 }

        // An upsert answers new_account and no integrations; a get, the integrations.
        val fetched = refold.getLinkedAccountBlocking("user-42")
        assertEquals(listOf(account.id, account.name, account.udf), listOf(fetched.id, fetched.name, fetched.udf))
        assertEquals(fetched, runBlocking { refold.getLinkedAccount("user-42") })
        val session = runBlocking { refold.getTokenForLinkedAccount("user-42") }
        assertEquals("user-42", session.linkedAccountId)

        val renamed = refold.upsertLinkedAccountBlocking(LinkedAccountInput("user-42", name = "Mark W."))
        assertEquals("Mark W.", renamed.name)
        assertEquals(account.id, renamed.id)

        val answer = runBlocking { refold.deleteLinkedAccount("user-42") }
        assertTrue(answer.isNotEmpty(), "Refold's answer: $answer")
        assertThrows<RefoldException.NotFound> { refold.getLinkedAccountBlocking("user-42") }
        val gone = assertThrows<RefoldException.NotFound> { refold.deleteLinkedAccountBlocking("user-42") }
        assertEquals(404, gone.status)
        assertThrows<RefoldException.InvalidLinkedAccount> { refold.getTokenForLinkedAccountBlocking("user-42") }
        assertEquals(9, emulator.requestCount(), "upsert, get ×2, mint, upsert, delete, get, delete, mint")
    }

    @Test
    fun `create is POST and a duplicate is BadRequest, blocking and suspend`() = client().use { refold ->
        clean(refold)
        val created = refold.createLinkedAccountBlocking(LinkedAccountInput("la-new", name = "New"))
        assertEquals("la-new", created.accountId)
        val duplicate = assertThrows<RefoldException.BadRequest> {
            runBlocking { refold.createLinkedAccount(LinkedAccountInput("la-new")) }
        }
        assertEquals(400, duplicate.status)
        assertEquals(1, duplicate.attempts)
        val methods = emulator.requests().getJSONArray("requests").map { (it as JSONObject).getString("method") }
        assertEquals(listOf("POST", "POST"), methods)
    }

    @Test
    fun `pages, the Flow and the Iterable walk every account`() = client().use { refold ->
        clean(refold)
        val ids = (1..23).map { "la-page-%02d".format(it) }
        for (id in ids) refold.upsertLinkedAccountBlocking(LinkedAccountInput(id))
        emulator.reset()

        val first = runBlocking { refold.listLinkedAccounts(1, 10) }
        assertEquals(LinkedAccountPage(first.accounts, 1, 10, 23, 3, 2, pagingCounter = 1, hasPrevPage = false, prevPage = null, hasNextPage = true), first)
        assertEquals(ids.take(10), first.accounts.map { it.accountId })
        val last = refold.listLinkedAccountsBlocking(3, 10)
        assertEquals(ids.drop(20), last.accounts.map { it.accountId })
        assertNull(last.nextPage)
        assertEquals(10, refold.listLinkedAccountsBlocking().limit, "the core's default limit")
        assertEquals(3, emulator.requestCount())

        emulator.reset()
        assertEquals(ids, runBlocking { refold.linkedAccounts(limit = 10).toList() }.map { it.accountId })
        assertEquals(3, emulator.requestCount(), "one request per page")

        emulator.reset()
        val iterable = refold.linkedAccountsBlocking(5)
        assertEquals(ids, iterable.map { it.accountId })
        assertEquals(ids, iterable.map { it.accountId }, "each iteration starts again from page 1")
        assertEquals(10, emulator.requestCount())

        // Pages are fetched as the walk advances: taking 3 accounts fetches one page.
        emulator.reset()
        assertEquals(ids.take(3), runBlocking { refold.linkedAccounts(limit = 10).take(3).toList() }.map { it.accountId })
        assertEquals(ids.take(3), refold.linkedAccountsBlocking(10).asSequence().take(3).toList().map { it.accountId })
        assertEquals(2, emulator.requestCount())
    }

    @Test
    fun `page arguments are checked by the core before anything is sent`() = client().use { refold ->
        for ((page, limit) in listOf(0 to 10, -1 to 10, 1 to 0, 1 to 101, 1 to -3)) {
            val error = assertThrows<RefoldException.InvalidInput>("$page/$limit") { refold.listLinkedAccountsBlocking(page, limit) }
            assertEquals(0, error.attempts)
            assertThrows<RefoldException.InvalidInput> { runBlocking { refold.listLinkedAccounts(page, limit) } }
        }
        val flowError = assertThrows<RefoldException.InvalidInput> { runBlocking { refold.linkedAccounts(limit = 0).toList() } }
        assertTrue(flowError.message.contains("limit"), flowError.message)
        assertThrows<RefoldException.InvalidInput> { refold.linkedAccountsBlocking(101).iterator().hasNext() }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `a failing page ends the walk with the typed error`() = client().use { refold ->
        clean(refold)
        for (i in 1..4) refold.upsertLinkedAccountBlocking(LinkedAccountInput("la-fail-$i"))
        emulator.reset()
        emulator.faults(JSONArray("""[{"kind":"delay","ms":0},{"kind":"status","status":403}]"""))
        val seen = mutableListOf<String>()
        val error = assertThrows<RefoldException.PermissionDenied> {
            runBlocking { refold.linkedAccounts(limit = 2).collect { seen += it.accountId } }
        }
        assertEquals(403, error.status)
        assertEquals(listOf("la-fail-1", "la-fail-2"), seen)
    }

    @Test
    fun `invalid inputs are InvalidInput in the core's words and nothing is sent`() = client().use { refold ->
        val cases = listOf(
            LinkedAccountInput("  ") to "linked_account_id",
            LinkedAccountInput("la-x", udf = mapOf("address" to mapOf("city" to "x"))) to "address",
            LinkedAccountInput("la-x", udf = mapOf("tags" to listOf("a"))) to "tags",
            LinkedAccountInput("la-x", yourApp = YourApp("app-1")) to "auth_credentials",
            LinkedAccountInput("la-x", yourApp = YourApp(" ", mapOf("k" to "v"))) to "app_id",
        )
        for ((input, words) in cases) {
            val error = assertThrows<RefoldException.InvalidInput>("$input") { refold.upsertLinkedAccountBlocking(input) }
            assertTrue(error.message.contains(words), "$input: ${error.message}")
            assertEquals(0, error.attempts)
            assertThrows<RefoldException.InvalidInput> { runBlocking { refold.createLinkedAccount(input) } }
        }
        for (id in listOf("", " ", "a\u0000b", "x".repeat(2048))) {
            assertThrows<RefoldException.InvalidInput> { refold.getLinkedAccountBlocking(id) }
            assertThrows<RefoldException.InvalidInput> { runBlocking { refold.deleteLinkedAccount(id) } }
        }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `lone surrogates anywhere in the input are InvalidInput and never sent`() = client().use { refold ->
        val idError = assertThrows<RefoldException.InvalidInput> { refold.upsertLinkedAccountBlocking(LinkedAccountInput("la-\uD800")) }
        assertTrue(idError.message.startsWith("linked_account_id is not valid Unicode text"), idError.message)
        assertThrows<RefoldException.InvalidInput> { refold.getLinkedAccountBlocking("la-\uDFFF") }
        assertThrows<RefoldException.InvalidInput> { runBlocking { refold.deleteLinkedAccount("\uD800") } }
        val cases = listOf(
            LinkedAccountInput("la-u", name = "Mark\uD800") to "name",
            LinkedAccountInput("la-u", udf = mapOf("k" to "v\uDFFF")) to "udf.k",
            LinkedAccountInput("la-u", udf = mapOf("k\uD800" to "v")) to "a key of udf",
            LinkedAccountInput("la-u", yourApp = YourApp("app\uD800", "secret")) to "your_app.app_id",
            LinkedAccountInput("la-u", yourApp = YourApp("app", mapOf("token" to listOf("x\uDBFF")))) to "your_app.auth_credentials.token[0]",
        )
        for ((input, field) in cases) {
            val error = assertThrows<RefoldException.InvalidInput>(field) { runBlocking { refold.upsertLinkedAccount(input) } }
            assertTrue(error.message.startsWith("$field is not valid Unicode text"), error.message)
            assertEquals(0, error.attempts)
        }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `values JSON cannot carry are InvalidInput in the core's words before anything is sent`() = client().use { refold ->
        val cases = listOf(
            // The core's words and its one path notation (`udf.when`), the type named as the JVM names it.
            mapOf("when" to Date()) to "udf.when must be a String, a number, a Boolean, null, a Map with String keys or a List",
            mapOf("n" to Double.NaN) to "udf.n must be a finite number",
            mapOf("n" to Float.POSITIVE_INFINITY) to "udf.n must be a finite number",
            mapOf("m" to mapOf(1 to "x")) to "a key of udf.m must be a String",
            mapOf("k\uD800" to listOf(Date())) to "a key of udf is not valid Unicode text",
        )
        for ((udf, words) in cases) {
            val error = assertThrows<RefoldException.InvalidInput> { refold.upsertLinkedAccountBlocking(LinkedAccountInput("la-t", udf = udf)) }
            assertTrue(error.message.startsWith(words), error.message)
            assertEquals(0, error.attempts)
        }
        val deep = (1..100).fold<Int, Any?>("x") { inner, _ -> listOf(inner) }
        val error = assertThrows<RefoldException.InvalidInput> {
            runBlocking { refold.upsertLinkedAccount(LinkedAccountInput("la-t", yourApp = YourApp("app", deep))) }
        }
        assertTrue(error.message.contains("nested at most 64 levels deep"), error.message)
        // The value itself is never shown.
        val secret = assertThrows<RefoldException.InvalidInput> {
            refold.createLinkedAccountBlocking(LinkedAccountInput("la-t", yourApp = YourApp("app", mapOf("key" to StringBuilder("cred_DISTINCTIVE")))))
        }
        assertTrue(secret.message.startsWith("your_app.auth_credentials.key must be"), secret.message)
        assertFalse(secret.message.contains("DISTINCTIVE"), secret.message)
        assertEquals(0, emulator.requestCount())
        // Every JVM number kind that JSON can carry is sent as a number.
        val numbers = mapOf("byte" to 1.toByte(), "short" to 2.toShort(), "big" to BigDecimal("3.25"), "whole" to BigDecimal("4.000"))
        val account = refold.upsertLinkedAccountBlocking(LinkedAccountInput("la-numbers", udf = numbers))
        assertEquals(mapOf("byte" to 1L, "short" to 2L, "big" to 3.25, "whole" to 4L), account.udf)
    }

    @Test
    fun `credentials are sent but never shown`() = client().use { refold ->
        val secret = "cred_kotlin_DISTINCTIVE_4e1f"
        val input = LinkedAccountInput("la-cred", yourApp = YourApp("app-1", mapOf("api_token" to secret, "n" to 1)))
        for (shown in listOf(input.toString(), input.yourApp.toString())) {
            assertFalse(shown.contains(secret), shown)
            assertTrue(shown.contains("app-1"), shown)
        }
        val account = refold.upsertLinkedAccountBlocking(input)
        assertFalse(account.toString().contains(secret))
        assertFalse(account.json.toString().contains(secret), "Refold does not return credentials")
        // Sent as given (the emulator's log redacts them, so check the request was accepted).
        assertEquals(1, emulator.requestCount())

        // A server that echoes them: the core redacts the message.
        emulator.faults(JSONArray().put(JSONObject().put("kind", "status").put("status", 400).put("body", JSONObject().put("message", "bad $secret"))))
        val error = assertThrows<RefoldException.BadRequest> { runBlocking { refold.upsertLinkedAccount(input) } }
        for (shown in listOf(error.message, error.toString(), error.stackTraceToString())) {
            assertFalse(shown.contains(secret), shown)
        }
    }

    @Test
    fun `a wrong key is Authentication and never shown`() {
        RefoldClient(apiKey = "sk_wrong_DISTINCTIVE_77", baseUrl = emulator.baseUrl).use { refold ->
            val error = assertThrows<RefoldException.Authentication> { refold.listLinkedAccountsBlocking() }
            assertEquals(401, error.status)
            assertFalse(error.message.contains("DISTINCTIVE"))
            assertThrows<RefoldException.Authentication> { runBlocking { refold.linkedAccounts().toList() } }
        }
    }

    @Test
    fun `a closed client refuses every linked-account call`() {
        val refold = client()
        val pages = refold.linkedAccountsBlocking()
        val flow = refold.linkedAccounts()
        refold.close()
        val input = LinkedAccountInput("la-closed")
        assertThrows<IllegalStateException> { refold.upsertLinkedAccountBlocking(input) }
        assertThrows<IllegalStateException> { runBlocking { refold.createLinkedAccount(input) } }
        assertThrows<IllegalStateException> { refold.getLinkedAccountBlocking("la-closed") }
        assertThrows<IllegalStateException> { runBlocking { refold.deleteLinkedAccount("la-closed") } }
        assertThrows<IllegalStateException> { refold.listLinkedAccountsBlocking() }
        assertThrows<IllegalStateException> { pages.iterator().hasNext() }
        assertThrows<IllegalStateException> { runBlocking { flow.toList() } }
        assertEquals(0, emulator.requestCount())
    }
}
