package ai.refold.session

import ai.refold.session.api.CreateTableResponse
import ai.refold.session.api.LinkedAccount
import ai.refold.session.api.RefoldWebhook
import ai.refold.session.api.Table
import ai.refold.session.api.WebhookFiredResponse
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject
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
import java.time.Duration

/**
 * Any operation of Refold's API from Kotlin (docs/contract.md §17) against a live emulator: the
 * generic call and the generated methods (typed answers, and `api.raw`'s JSON), scoped clients,
 * pages, per-call options, multipart.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTest {
    private lateinit var emulator: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true)
    }

    @AfterAll
    fun stop() = emulator.close()

    @BeforeEach
    fun reset() = emulator.reset()

    private fun client(maxRetries: Int = 0) =
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, maxRetries = maxRetries, readEnvironmentVariables = false)

    private fun log(): List<JSONObject> = emulator.requests().getJSONArray("requests").let { list -> (0 until list.length()).map(list::getJSONObject) }

    private fun assertNoSecret(vararg texts: Any?) {
        for (text in texts) assertFalse(text.toString().contains("DISTINCTIVE"), "a secret in: $text")
    }

    /** The next request is answered 200 with [body] (the emulator's fault machinery). */
    private fun answerNext(body: JSONObject) =
        emulator.faults(JSONArray().put(JSONObject().put("kind", "status").put("status", 200).put("body", body)))

    private val leads = buildJsonObject {
        put("table_name", "leads")
        putJsonArray("columns") { add(buildJsonObject { put("column_name", "email") }) }
    }

    @Test
    fun `a table is created, filled and read page by page with an All flow`(): Unit = runBlocking {
        client().use { refold ->
            val account = refold.forLinkedAccount("api-1")
            assertEquals("api-1", account.linkedAccountId)
            val created: CreateTableResponse = account.api.createPersistentTable(body = leads)
            val table = created.tableId!!
            // The generic call, with a camelCase parameter key and a plain Kotlin body.
            refold.call(
                "addRecordsToPersistentTable",
                params = mapOf("tableId" to table),
                body = mapOf("data" to (0 until 5).map { mapOf("email" to "$it@x") }),
                linkedAccountId = "api-1",
            )
            val rows: List<JsonObject> = account.api.getPersistentTableRecordsAll(table, limit = 2).toList()
            assertEquals(5, rows.size, "three pages of 2, 2 and 1")
            assertEquals(JsonPrimitive("4@x"), rows.last()["email"])

            val log = log()
            assertEquals(5, log.size)
            for (entry in log) {
                assertEquals("api-1", entry.getJSONObject("headers").getString("linked_account_id"))
                assertEquals("[redacted]", entry.getJSONObject("headers").getString("x-api-key"))
            }
            assertEquals("limit=2", log[2].getString("query"), "the first page is the API's default")
            assertEquals("page=3&limit=2", log[4].getString("query"))

            val page = refold.callPage("getPersistentTableRecords", mapOf("table_id" to table, "limit" to 4), linkedAccountId = "api-1")
            assertEquals(4, page.items.size)
            assertEquals(2, page.nextPage)
            val last = refold.callPageBlocking("getPersistentTableRecords", mapOf("table_id" to table, "limit" to 4, "page" to 2), linkedAccountId = "api-1")
            assertEquals(1, last.items.size)
            assertNull(last.nextPage)
            assertEquals(5, refold.api.blocking.getPersistentTableRecordsAll(table, limit = 3, linkedAccountId = "api-1").count())
            assertEquals(5, refold.callAll("getPersistentTableRecords", mapOf("table_id" to table), linkedAccountId = "api-1").toList().size)
        }
    }

    @Test
    fun `answers are read into their models, and api raw has the JSON as sent`(): Unit = runBlocking {
        client().use { refold ->
            val account = refold.forLinkedAccount("api-6")
            val first = account.api.createPersistentTable(body = leads)
            assertNotNull(first.tableId)
            assertNull(first.alreadyExists, "a member the answer leaves out is null")
            val second = account.api.blocking.createPersistentTable(
                buildJsonObject {
                    put("table_name", "deals")
                    putJsonArray("columns") { add(buildJsonObject { put("column_name", "amount") }) }
                },
            )

            // An All flow yields the list's model, page after page (one table a page).
            val tables: List<Table> = account.api.listPersistentTablesAll(limit = 1).toList()
            assertEquals(listOf(first.tableId, second.tableId), tables.map { it.id })
            assertEquals(listOf("leads", "deals"), tables.map { it.name })
            for (table in tables) {
                assertEquals("test", table.environment)
                assertEquals("persistent", table.tableType)
                assertEquals(false, table.isDeleted)
            }
            assertEquals(tables, account.api.blocking.listPersistentTablesAll(limit = 1).toList())
            val page = account.api.listPersistentTables(limit = 10)
            assertEquals(tables, page.docs)
            assertEquals(false, page.hasNextPage)

            // The raw view: the same call, the JSON as sent, members the description does not name included.
            val raw: JsonElement = account.api.raw.listPersistentTables(limit = 10)
            assertEquals("api-6", raw.jsonObject["docs"]!!.jsonArray[0].jsonObject["linked_account_id"]!!.jsonPrimitive.content)
            val rawRows: List<JsonElement> = account.api.raw.blocking.listPersistentTablesAll().toList()
            assertEquals(tables.map { it.id }, rawRows.map { it.jsonObject["_id"]!!.jsonPrimitive.content })
            assertEquals(JsonArray(emptyList()), refold.api.raw.listWebhooks())
        }
    }

    @Test
    fun `an answer that does not fit its model is InvalidResponse, never the decoder's words`(): Unit = runBlocking {
        client().use { refold ->
            val account = refold.forLinkedAccount("api-7")
            val misfit = JSONObject().put("table_id", JSONObject().put("DISTINCTIVE", "DISTINCTIVE-value"))
            answerNext(misfit)
            val bad = assertThrows<RefoldException.InvalidResponse> { account.api.createPersistentTable(body = leads) }
            answerNext(misfit)
            val badBlocking = assertThrows<RefoldException.InvalidResponse> { account.api.blocking.createPersistentTable(leads) }
            answerNext(JSONObject().put("DISTINCTIVE", 1))
            val notAList = assertThrows<RefoldException.InvalidResponse> { refold.api.listWebhooks() }
            val misfitRow = JSONObject().put("_id", JSONArray().put("DISTINCTIVE")).put("name", "DISTINCTIVE")
            answerNext(JSONObject().put("docs", JSONArray().put(misfitRow)).put("hasNextPage", false))
            val badRow = assertThrows<RefoldException.InvalidResponse> { account.api.listPersistentTablesAll().toList() }
            answerNext(JSONObject().put("docs", JSONArray().put(misfitRow)).put("hasNextPage", false))
            val badRowBlocking = assertThrows<RefoldException.InvalidResponse> { account.api.blocking.listPersistentTablesAll().toList() }

            for (error in listOf(bad, badBlocking, notAList, badRow, badRowBlocking)) {
                assertEquals("invalid_response", error.code)
                assertNull(error.cause, "the decoder's exception (it quotes the answer) is not kept")
                assertTrue(error.message.contains("api.raw"), error.message)
                assertNoSecret(error, error.message, error.stackTraceToString())
            }
            // Worded by the core (Dialect::KOTLIN names where the JSON is read).
            assertEquals(
                "The answer of listWebhooks does not have the documented shape of its model; " +
                    "api.raw (or client.call) returns it as JSON.",
                notAList.message,
            )
            assertTrue(bad.message.contains("createPersistentTable"), bad.message)
            assertTrue(badRow.message.contains("listPersistentTables"), badRow.message)

            // The same answer through the raw view is the JSON as sent.
            answerNext(misfit)
            val raw = account.api.raw.createPersistentTable(body = leads)
            assertEquals("DISTINCTIVE-value", raw.jsonObject["table_id"]!!.jsonObject["DISTINCTIVE"]!!.jsonPrimitive.content)
            // And the next call, answered by the emulator itself, fits again.
            assertNotNull(account.api.createPersistentTable(body = leads).tableId)
        }
    }

    @Test
    fun `a session-token client sends the token and is refused org-level operations with nothing sent`(): Unit = runBlocking {
        client().use { refold ->
            val token = refold.getTokenForLinkedAccount("api-2").token
            val session = refold.forSessionToken(token)
            assertNull(session.linkedAccountId)
            val active: LinkedAccount = session.api.getActiveLinkedAccount()
            assertEquals("api-2", active.accountId)
            val before = emulator.requestCount()

            val refused = assertThrows<RefoldException.InvalidInput> { session.api.listWebhooks() }
            assertTrue(refused.message.contains("org-level"), refused.message)
            assertThrows<RefoldException.InvalidInput> { session.callBlocking("listLinkedAccounts") }
            assertThrows<RefoldException.InvalidInput> { session.api.blocking.listPersistentTablesAll().toList() }
            assertEquals(before, emulator.requestCount(), "nothing was sent")
            for (text in listOf(refused.message, refused.toString(), session.toString())) assertFalse(token in text, text)

            val bearer = log()[1].getJSONObject("headers")
            assertFalse(bearer.has("x-api-key"), "no API key with a token")
            assertEquals("Bearer [redacted]", bearer.getString("authorization"))
        }
    }

    @Test
    fun `per-call options override the client's`(): Unit = runBlocking {
        client(maxRetries = 2).use { refold ->
            emulator.faults(JSONArray().put(JSONObject().put("kind", "status").put("status", 503)))
            val webhooks: List<RefoldWebhook> = refold.api.listWebhooks()
            assertTrue(webhooks.isEmpty(), "retried past the 503: $webhooks")
            assertEquals(2, emulator.requestCount())
            emulator.reset()

            emulator.faults(JSONArray().put(JSONObject().put("kind", "status").put("status", 503)))
            val once = assertThrows<RefoldException.ServerError> { refold.api.listWebhooks(options = RequestOptions(maxRetries = 0)) }
            assertEquals(1, once.attempts)
            assertEquals(503, once.status)

            val before = emulator.requestCount()
            val bad = assertThrows<RefoldException.InvalidInput> {
                refold.api.blocking.listWebhooks(RequestOptions(timeout = Duration.ofSeconds(-1)))
            }
            assertTrue(bad.message.contains("timeout"), bad.message)
            assertEquals(before, emulator.requestCount())
        }
    }

    @Test
    fun `an event with a file goes as multipart`(): Unit = runBlocking {
        client().use { refold ->
            refold.api.createEvent(body = buildJsonObject { put("name", "file_uploaded"); put("response", "{}") })
            val fired = refold.forLinkedAccount("api-4").api.triggerEvent(
                body = buildJsonObject {
                    put("event", "file_uploaded")
                    putJsonObject("payload") { put("n", 1) }
                },
                files = listOf(ApiFile("file", "notes.txt", "hello".toByteArray(), "text/plain")),
            )
            assertEquals(WebhookFiredResponse("Webhook Fired Success"), fired)
            val contentType = log()[1].getJSONObject("headers").getString("content-type")
            assertTrue(contentType.startsWith("multipart/form-data; boundary="), contentType)
            assertEquals("ApiFile(field=file, filename=notes.txt, contentType=text/plain, bytes=5)", ApiFile("file", "notes.txt", ByteArray(5), "text/plain").toString())
        }
    }

    @Test
    fun `bad arguments are the core's typed errors with nothing sent, and the key is never shown`(): Unit = runBlocking {
        client().use { refold ->
            val unknown = assertThrows<RefoldException.InvalidInput> { refold.call("noSuchOperation") }
            val noAccount = assertThrows<RefoldException.InvalidInput> { refold.api.listSchedules() }
            assertTrue(noAccount.message.contains("linked_account_id"), noAccount.message)
            val noBody = assertThrows<RefoldException.InvalidInput> { refold.call("listWebhooks", body = buildJsonObject { put("a", 1) }) }
            val wrongKind = assertThrows<RefoldException.InvalidInput> { refold.call("listPersistentTables", mapOf("limit" to "ten"), linkedAccountId = "a") }
            val lone = assertThrows<RefoldException.InvalidInput> { refold.forLinkedAccount("bad\uD800") }
            assertEquals(0, emulator.requestCount(), "nothing was sent")
            val missing = assertThrows<RefoldException.NotFound> { refold.api.getExecution("nope", linkedAccountId = "api-3") }
            assertEquals(404, missing.status)
            assertTrue(missing.message.contains("getExecutionById"), missing.message)
            assertNoSecret(unknown, noAccount, noBody, wrongKind, lone, missing, refold, refold.forLinkedAccount("x"))
            assertNoSecret(unknown.message, noAccount.message, noBody.message, wrongKind.message, lone.message, missing.message)
        }
    }

    @Test
    fun `a closed client's scoped clients and api refuse to call`() {
        val refold = client()
        val scoped = refold.forLinkedAccount("api-5")
        refold.close()
        assertThrows<IllegalStateException> { refold.api.blocking.listWebhooks() }
        assertThrows<IllegalStateException> { scoped.api.blocking.listPersistentTables() }
        assertThrows<IllegalStateException> { refold.forSessionToken("token") }
        scoped.close()
        assertEquals(0, emulator.requestCount())
    }
}
