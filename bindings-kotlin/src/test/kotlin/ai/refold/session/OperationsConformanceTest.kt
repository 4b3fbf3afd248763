package ai.refold.session

import ai.refold.session.api.callGenerated
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.contentOrNull
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
 * emulator (cases create what later ones use), in file order; a case's `setup` calls go first,
 * through the generic call, and what they save fills its `${name}` values; the outcome (ok, or
 * the error's code and status) must match.
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

    /** The client a case or setup call runs on: the organization's, or one scoped as it says. */
    private fun clientFor(refold: RefoldClient, case: JsonObject): ApiClient {
        val account = case.text("linked_account_id")
        return when (case.text("scope")) {
            "org" -> refold
            "linked_account" -> refold.forLinkedAccount(account!!)
            "session" -> refold.forSessionToken(refold.getTokenForLinkedAccountBlocking(account!!).token)
            else -> error("${case.text("name")}: unknown scope")
        }
    }

    /** [value] with every string `${name}` replaced by the value a setup call saved as name. */
    private fun substituted(value: JsonElement, saved: Map<String, JsonElement>): JsonElement =
        when (value) {
            is JsonObject -> JsonObject(value.mapValues { substituted(it.value, saved) })
            is JsonArray -> JsonArray(value.map { substituted(it, saved) })
            is JsonPrimitive -> {
                val text = value.contentOrNull?.takeIf { value.isString }
                if (text != null && text.startsWith("${'$'}{") && text.endsWith("}")) {
                    val name = text.substring(2, text.length - 1)
                    saved[name] ?: error("nothing saved as $name")
                } else {
                    value
                }
            }
        }

    /** The member of [value] at the JSON pointer [pointer] (RFC 6901), or null. */
    private fun atPointer(value: JsonElement, pointer: String): JsonElement? =
        pointer.split("/").drop(1).map { it.replace("~1", "/").replace("~0", "~") }.fold<String, JsonElement?>(value) { found, token ->
            when (found) {
                is JsonObject -> found[token]
                is JsonArray -> token.toIntOrNull()?.let { found.getOrNull(it) }
                else -> null
            }
        }

    /**
     * Makes the case's `setup` calls through the generic call (each in its own scope) and returns
     * the case with what they saved put in its params and body; a failed setup call fails the case.
     */
    private fun setUp(refold: RefoldClient, case: JsonObject): JsonObject {
        val saved = mutableMapOf<String, JsonElement>()
        for (step in case["setup"]?.jsonArray.orEmpty()) {
            val call = substituted(step, saved).jsonObject
            val params = (call["params"] as? JsonObject).orEmpty().mapValues { plain(it.value) }
            val answer = clientFor(refold, call).callBlocking(call.text("operationId")!!, params, call["body"])
            for ((name, pointer) in (call["save"] as? JsonObject).orEmpty()) {
                saved[name] = atPointer(answer, pointer.jsonPrimitive.content)
                    ?: error("${case.text("name")}: setup ${call.text("operationId")} has no ${pointer.jsonPrimitive.content}")
            }
        }
        return JsonObject(case + listOf("params", "body").mapNotNull { key -> case[key]?.let { key to substituted(it, saved) } })
    }

    private fun run(refold: RefoldClient, written: JsonObject, key: String, generated: Boolean) {
        val case = setUp(refold, written)
        val name = case.text("name")!!
        val operationId = case.text("operationId")!!
        val client = clientFor(refold, case)
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
