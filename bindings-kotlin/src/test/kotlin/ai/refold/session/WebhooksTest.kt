package ai.refold.session

import com.sun.net.httpserver.HttpServer
import org.json.JSONObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Paths
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

/**
 * Webhooks: every case of `conformance/webhooks.json` through the Kotlin binding (the static
 * function, the client's method, the typed event, the dedup key), and a real signed delivery
 * from the emulator to a listener on loopback, verified, beside a forged one refused.
 */
class WebhooksTest {
    private val cases = JSONObject(Files.readString(Paths.get(System.getProperty("refold.webhooks") ?: "../conformance/webhooks.json")))
    private val key = cases.getString("api_key")

    private fun JSONObject.header(): String? = if (isNull("header")) null else getString("header")

    private fun assertNoKey(value: Any) {
        assertFalse(value.toString().contains(key), "the API key shows")
    }

    @TestFactory
    fun signatures(): List<DynamicTest> {
        val client = RefoldClient(apiKey = key, baseUrl = "http://127.0.0.1:9")
        assertNoKey(client)
        return (0 until cases.getJSONArray("signature").length()).map { index ->
            val case = cases.getJSONArray("signature").getJSONObject(index)
            DynamicTest.dynamicTest(case.getString("name")) {
                val body = case.getString("body").toByteArray(Charsets.UTF_8)
                val valid = case.getBoolean("valid")
                assertEquals(valid, Refold.verifyWebhookSignature(body, case.header(), case.optString("api_key", key)))
                if (!case.has("api_key")) assertEquals(valid, client.verifyWebhookSignature(body, case.header()))
            }
        }
    }

    @TestFactory
    fun events(): List<DynamicTest> = (0 until cases.getJSONArray("parse").length()).map { index ->
        val case = cases.getJSONArray("parse").getJSONObject(index)
        DynamicTest.dynamicTest(case.getString("name")) {
            val body = case.getString("body").toByteArray(Charsets.UTF_8)
            if (case.has("error")) {
                val error = assertThrows(RefoldException::class.java) { Refold.parseWebhookEvent(body) }
                assertTrue(error is RefoldException.InvalidInput)
                assertEquals(case.getString("error"), error.code)
                assertNoKey(error)
                return@dynamicTest
            }
            val event = Refold.parseWebhookEvent(body)
            val expected = case.getJSONObject("event")
            val got = mapOf(
                "event_type" to event.eventType, "linked_account_id" to event.linkedAccountId,
                "org_id" to event.orgId, "environment" to event.environment, "kind" to event.kind,
                "slug" to event.slug, "created_at" to event.createdAt, "instance_id" to event.instanceId,
                "workflow_id" to event.workflowId, "workflow_name" to event.workflowName,
                "config_id" to event.configId, "status" to event.status,
            )
            assertEquals(expected.keySet(), got.keys)
            for ((member, value) in got) {
                assertEquals(if (expected.isNull(member)) null else expected.getString(member), value, member)
            }
            assertEquals(JSONObject(case.getString("body")).keySet(), event.raw.keys)
            assertEquals(event, Refold.parseWebhookEvent(body))
        }
    }

    @TestFactory
    fun duplicates(): List<DynamicTest> = (0 until cases.getJSONArray("dedup").length()).map { index ->
        val case = cases.getJSONArray("dedup").getJSONObject(index)
        DynamicTest.dynamicTest(case.getString("name")) {
            val first = Refold.parseWebhookEvent(case.getString("first").toByteArray()).dedupKey
            val second = Refold.parseWebhookEvent(case.getString("second").toByteArray()).dedupKey
            assertEquals(case.getBoolean("same"), first == second)
        }
    }

    @Test
    fun `a header or key that is not Unicode is false, and a closed client throws`() {
        val good = cases.getJSONArray("signature").getJSONObject(0)
        val body = good.getString("body").toByteArray()
        assertFalse(Refold.verifyWebhookSignature(body, "\ud800".repeat(64), key))
        assertFalse(Refold.verifyWebhookSignature(body, good.header(), "\ud800"))
        val client = RefoldClient(apiKey = key, baseUrl = "http://127.0.0.1:9")
        assertFalse(client.verifyWebhookSignature(body, "\ud800".repeat(64)))
        assertTrue(client.verifyWebhookSignature(body, good.header()))
        client.close()
        assertThrows(IllegalStateException::class.java) { client.verifyWebhookSignature(body, good.header()) }
    }

    @Test
    fun `a real delivery from the emulator verifies and a forged one does not`() {
        val received = LinkedBlockingQueue<Pair<ByteArray, String?>>()
        val server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.createContext("/hooks/refold") { exchange ->
            val body = exchange.requestBody.readAllBytes()
            received.add(body to exchange.requestHeaders.getFirst("x-cobalt-signature"))
            exchange.sendResponseHeaders(200, -1)
            exchange.close()
        }
        server.start()
        val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
        try {
            Emulator(listOf(key), listOf("webhook-user")).use { emulator ->
                val register = HttpRequest.newBuilder(URI.create("${emulator.baseUrl}/api/v2/public/webhook"))
                    .header("x-api-key", key)
                    .header("content-type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            JSONObject()
                                .put("webhook_url", "http://127.0.0.1:${server.address.port}/hooks/refold")
                                .put("webhook_events", listOf("Connection Created"))
                                .toString(),
                        ),
                    ).build()
                assertEquals(200, http.send(register, HttpResponse.BodyHandlers.ofString()).statusCode())
                RefoldClient(apiKey = key, baseUrl = emulator.baseUrl).use { client ->
                    val token = client.getTokenForLinkedAccountBlocking("webhook-user").token
                    val save = HttpRequest.newBuilder(URI.create("${emulator.baseUrl}/api/v2/app/parcel-post/save"))
                        .header("authorization", "Bearer $token")
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""{"api_key":"k"}"""))
                        .build()
                    assertEquals(200, http.send(save, HttpResponse.BodyHandlers.ofString()).statusCode())
                    // Bounded, and generous for a loaded machine.
                    val (body, signature) = received.poll(30, TimeUnit.SECONDS) ?: throw AssertionError("no delivery within 30 s")
                    assertTrue(Refold.verifyWebhookSignature(body, signature, key))
                    assertTrue(client.verifyWebhookSignature(body, signature))
                    val event = Refold.parseWebhookEvent(body)
                    assertEquals(Triple("Connection Created", "webhook-user", "parcel-post"), Triple(event.eventType, event.linkedAccountId, event.slug))
                    val forged = String(body, Charsets.UTF_8).replace("webhook-user", "someone-else").toByteArray()
                    assertFalse(client.verifyWebhookSignature(forged, signature))
                    assertFalse(Refold.verifyWebhookSignature(body, signature, "sk_another_key"))
                    assertFalse(client.verifyWebhookSignature(JSONObject(String(body)).toString(1).toByteArray(), signature))
                }
            }
        } finally {
            server.stop(0)
        }
    }
}
