package ai.refold.session

import ai.refold.session.api.callGenerated
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Paths

/**
 * conformance/operations.json, the cross-language smoke cases of the whole API: the whole file
 * through the generic call, then again through each operation's generated method (whose answer
 * must fit its model: one that does not is `invalid_response`), each pass against a fresh
 * emulator (cases create what later ones use), in file order; the outcome (ok, or the error's
 * code and status) must match.
 */
class OperationsConformanceTest {
    private val file: JsonObject = Json.parseToJsonElement(
        Files.readString(Paths.get(System.getProperty("refold.operations") ?: "../conformance/operations.json")),
    ).jsonObject

    private fun JsonObject.text(name: String): String? = this[name]?.takeIf { it != JsonNull }?.jsonPrimitive?.content

    @Test
    fun `every case has the outcome the table expects through the generic call`() = runFile(generated = false)

    @Test
    fun `every case has the outcome the table expects through its generated method`() = runFile(generated = true)

    private fun runFile(generated: Boolean) {
        val key = file.text("key")!!
        val cases = file["cases"]!!.jsonArray.map { it.jsonObject }
        assertTrue(cases.isNotEmpty())
        Emulator(listOf(key), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = key, baseUrl = emulator.baseUrl, maxRetries = 0, readEnvironmentVariables = false).use { refold ->
                for (case in cases) run(refold, case, key, generated)
            }
        }
    }

    private fun run(refold: RefoldClient, case: JsonObject, key: String, generated: Boolean) {
        val name = case.text("name")!!
        val operationId = case.text("operationId")!!
        val account = case.text("linked_account_id")
        val client: ApiClient = when (case.text("scope")) {
            "org" -> refold
            "linked_account" -> refold.forLinkedAccount(account!!)
            "session" -> refold.forSessionToken(refold.getTokenForLinkedAccountBlocking(account!!).token)
            else -> error("$name: unknown scope")
        }
        val params = (case["params"] as? JsonObject).orEmpty().mapValues { plain(it.value) }
        val body = case["body"]
        val expect = case["expect"]!!.jsonObject
        if (generated) {
            val outcome = outcome { callGenerated(client.api.blocking, operationId, params, body, null, emptyList(), null) }
            check("$name (generated method)", expect, outcome, key)
        } else {
            check(name, expect, outcome { client.callBlocking(operationId, params, body) }, key)
        }
    }

    /** null when the call succeeded, else its error. */
    private fun outcome(call: () -> Any?): RefoldException? =
        try {
            call()
            null
        } catch (error: RefoldException) {
            error
        }

    private fun check(name: String, expect: JsonObject, error: RefoldException?, key: String) {
        if (expect["ok"]?.jsonPrimitive?.booleanOrNull == true) {
            assertEquals(null, error?.let { "${it.code}: ${it.message}" }, name)
            return
        }
        requireNotNull(error) { "$name: succeeded, expected ${expect["error"]}" }
        assertEquals(expect.text("error"), error.code, "$name: ${error.message}")
        assertEquals(expect["status"]?.jsonPrimitive?.intOrNull, error.status, name)
        assertFalse(error.message.contains(key) || error.toString().contains(key), name)
    }

    private fun plain(value: JsonElement): Any? = ApiCaller.plain(value)?.let { if (it is java.math.BigDecimal) it.toLong() else it }
}
