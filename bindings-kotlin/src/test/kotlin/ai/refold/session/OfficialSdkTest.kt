package ai.refold.session

import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Paths

/**
 * Each of the official Node SDK's 27 calls once, under its name, against a live emulator: the
 * request reaches the route of today's API that conformance/openapi/overlay.json maps it to.
 */
class OfficialSdkTest {
    private val called = mutableSetOf<String>()

    /** Runs [call] as the SDK's [name]; its requests must end with [routes] (method and path). */
    private inline fun <T> expect(emulator: Emulator, name: String, vararg routes: String, ok: Boolean = true, call: () -> T): T? {
        val before = emulator.requestCount()
        val answer = try {
            call()
        } catch (error: RefoldException) {
            if (ok) throw AssertionError("$name failed: ${error.code} ${error.message}", error)
            null
        }
        val log = emulator.requests().getJSONArray("requests")
        val sent = (before until log.length()).map { index -> log.getJSONObject(index).let { "${it.getString("method")} ${it.getString("path")}" } }
        assertEquals(routes.toList(), sent, name)
        called += name
        return answer
    }

    private fun payload(vararg members: Pair<String, String>): JsonObject = buildJsonObject { members.forEach { (key, value) -> put(key, value) } }

    /** The `_id` of this object, or of the item of this list named [name]. */
    private fun JsonElement.id(name: String? = null): String {
        val item = if (this is JsonArray) first { it.jsonObject["name"]?.jsonPrimitive?.content == name } else this
        return item.jsonObject["_id"]!!.jsonPrimitive.content
    }

    @Test
    fun `every official call reaches its operation`(): Unit = runBlocking {
        Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, maxRetries = 0, readEnvironmentVariables = false).use { refold ->
                val account = "/api/v2/public/linked-account"
                expect(emulator, "upsertLinkedAccount", "PUT $account") { refold.upsertLinkedAccountBlocking(LinkedAccountInput("sdk-1")) }
                expect(emulator, "createLinkedAccount", "POST $account") { refold.createLinkedAccount(LinkedAccountInput("sdk-2")) }
                expect(emulator, "getTokenForLinkedAccount", "POST /api/v2/public/session-token") { refold.getTokenForLinkedAccount("sdk-1") }
                val page = expect(emulator, "getAllLinkedAccounts", "GET $account") { refold.getAllLinkedAccounts(page = 1, limit = 10) }!!
                assertEquals(2, page.jsonObject["docs"]!!.jsonArray.size)
                expect(emulator, "getLinkedAccountById", "GET $account/sdk-1") { refold.getLinkedAccountByIdBlocking("sdk-1") }
                expect(emulator, "getApplications", "GET /api/v2/public/application") { refold.getApplications("sdk-1") }
                expect(emulator, "getApplicationBySlug", "GET /api/v2/public/application/parcel-post") {
                    refold.getApplicationBySlugBlocking("sdk-1", "parcel-post")
                }

                val config = payload("linked_account_id" to "sdk-1", "slug" to "parcel-post")
                expect(emulator, "config", "POST /api/v2/public/config", ok = false) { refold.config(config) }
                expect(emulator, "updateConfig", "PUT /api/v2/public/config", ok = false) { refold.updateConfigBlocking(config) }
                expect(emulator, "getConfig", "GET /api/v2/public/slug/parcel-post/config", ok = false) { refold.getConfig(config) }
                expect(emulator, "deleteConfig", "DELETE /api/v2/public/slug/parcel-post/config/c-1", ok = false) {
                    refold.deleteConfig(payload("linked_account_id" to "sdk-1", "slug" to "parcel-post", "config_id" to "c-1"))
                }

                val events = "/api/v2/public/application/event"
                val event = refold.api.createEvent(body = buildJsonObject { put("name", "sdk_event"); put("response", "{}") })
                    .single { it.name == "sdk_event" }.id!!
                expect(emulator, "listEvents", "GET $events") { refold.listEvents() }
                expect(emulator, "listEventById", "GET $events/$event") { refold.listEventByIdBlocking(event) }
                expect(emulator, "updateEvent", "PUT $events/$event", ok = false) {
                    refold.updateEvent(buildJsonObject { put("event_id", event); put("name", "sdk_event"); put("response", "{}") })
                }
                val trigger = buildJsonObject {
                    put("linked_account_id", "sdk-1")
                    put("event", "sdk_event")
                    putJsonObject("payload") { put("n", 1) }
                }
                expect(emulator, "event", "POST /api/v2/public/event/trigger", ok = false) { refold.event(trigger) }
                expect(emulator, "triggerEvent", "POST /api/v2/public/event/parcel-post", ok = false) {
                    refold.triggerEventBlocking(JsonObject(trigger + ("slug" to JsonPrimitive("parcel-post"))))
                }
                expect(emulator, "deleteEvent", "DELETE $events/$event", ok = false) { refold.deleteEventBlocking(event) }

                expect(emulator, "executeWorkflow", "POST /api/v2/public/workflow/wf-1/execute", ok = false) {
                    refold.executeWorkflow("wf-1", "parcel-post", "sdk-1", true, buildJsonObject { put("n", 1) })
                }
                expect(emulator, "getExecutions", "GET /api/v2/public/execution") { refold.getExecutions("sdk-1", page = 1, limit = 5) }
                expect(emulator, "getExecutionById", "GET /api/v2/public/execution/ex-1", ok = false) { refold.getExecutionByIdBlocking("sdk-1", "ex-1") }
                expect(emulator, "migrateAuth", "PUT /api/v2/public/migrate-token", ok = false) {
                    refold.migrateAuth(
                        buildJsonObject {
                            put("linked_account_id", "sdk-1")
                            put("slug", "parcel-post")
                            putJsonObject("auth_object") { put("api_key", "cred_DISTINCTIVE") }
                        },
                    )
                }

                val webhooks = "/api/v2/public/webhook"
                val hook = expect(emulator, "createWebhook", "POST $webhooks") {
                    refold.createWebhook(
                        buildJsonObject {
                            put("webhook_url", "http://127.0.0.1:9/hook")
                            putJsonArray("webhook_events") { add(JsonPrimitive("Connection Created")) }
                        },
                    )
                }!!.id()
                expect(emulator, "getWebhook", "GET $webhooks") { refold.getWebhookBlocking() }
                val subscribed = expect(emulator, "subscribeWebhookEvents", "GET $webhooks/$hook", "PUT $webhooks/$hook") {
                    refold.subscribeWebhookEvents(hook, buildJsonObject { putJsonArray("webhook_events") { add(JsonPrimitive("Connection Deleted")) } })
                }!!
                assertEquals(2, subscribed.jsonObject["webhook_events"]!!.jsonArray.size, subscribed.toString())
                val unsubscribed = expect(emulator, "unsubscribeWebhookEvent", "GET $webhooks/$hook", "PUT $webhooks/$hook") {
                    refold.unsubscribeWebhookEventBlocking(hook, payload("webhook_event" to "Connection Created"))
                }!!
                assertEquals(listOf("Connection Deleted"), unsubscribed.jsonObject["webhook_events"]!!.jsonArray.map { it.jsonPrimitive.content })
                expect(emulator, "deleteWebhook", "DELETE $webhooks/$hook") { refold.deleteWebhook(hook) }
                expect(emulator, "deleteLinkedAccount", "DELETE $account/sdk-2") { refold.deleteLinkedAccountBlocking("sdk-2") }

                assertEquals(27, called.size, called.sorted().toString())
            }
        }
    }

    /**
     * conformance/official-calls.json, which every language runs: the same 27 names, and the
     * three retired calls alike (by webhook id, or refused unsent naming the replacement).
     */
    @Test
    fun `the official calls cases`(): Unit = runBlocking {
        val cases = JSONObject(Files.readString(Paths.get("../conformance/official-calls.json")))
        val methods = RefoldClient::class.java.methods.map { it.name }.toSet()
        val names = cases.getJSONArray("names")
        for (index in 0 until names.length()) assertTrue(names.getString(index) in methods, names.getString(index))
        val key = cases.getString("key")
        Emulator(listOf(key), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = key, baseUrl = emulator.baseUrl, maxRetries = 0, readEnvironmentVariables = false).use { refold ->
                val hook = refold.createWebhook(
                    buildJsonObject {
                        put("webhook_url", "http://127.0.0.1:9/hook")
                        putJsonArray("webhook_events") { add(JsonPrimitive("Connection Created")) }
                    },
                ).id()
                val list = cases.getJSONArray("cases")
                for (index in 0 until list.length()) {
                    val case = list.getJSONObject(index)
                    val label = case.toString()
                    val id = if (case.isNull("webhook_id")) null else case.getString("webhook_id").replace("{webhook}", hook)
                    val payload = if (case.isNull("payload")) JsonObject(emptyMap()) else Json.parseToJsonElement(case.getJSONObject("payload").toString()).jsonObject
                    val before = emulator.requestCount()
                    var error: RefoldException? = null
                    val answer = try {
                        when (case.getString("call")) {
                            "deleteWebhook" -> refold.deleteWebhook(id)
                            "subscribeWebhookEvents" -> refold.subscribeWebhookEventsBlocking(id, payload)
                            else -> refold.unsubscribeWebhookEvent(id, payload)
                        }
                    } catch (caught: RefoldException) {
                        error = caught
                        null
                    }
                    val expect = case.getJSONObject("expect")
                    if (expect.has("error")) {
                        assertEquals(expect.getString("error"), error?.code, label)
                        val parts = expect.optJSONArray("message_contains")
                        for (part in 0 until (parts?.length() ?: 0)) assertTrue(error!!.message!!.contains(parts!!.getString(part)), "$label: ${error.message}")
                    } else {
                        assertEquals(null, error, label)
                        val events = expect.optJSONArray("webhook_events")
                        if (events != null) {
                            val got = answer!!.jsonObject["webhook_events"]!!.jsonArray.map { it.jsonPrimitive.content }
                            assertEquals((0 until events.length()).map { events.getString(it) }, got, label)
                        }
                    }
                    val log = emulator.requests().getJSONArray("requests")
                    val sent = (before until log.length()).map { log.getJSONObject(it).let { entry -> "${entry.getString("method")} ${entry.getString("path")}" } }
                    val wanted = case.getJSONArray("sent")
                    assertEquals((0 until wanted.length()).map { wanted.getString(it).replace("{webhook}", hook) }, sent, label)
                }
            }
        }
    }
}
