package ai.refold.session

import ai.refold.session.api.GENERATED_ALL
import ai.refold.session.api.GENERATED_PARAMETERS
import ai.refold.session.api.allGenerated
import ai.refold.session.api.callGenerated
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import org.json.JSONArray
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Paths

/**
 * conformance/operations.json (the cross-language smoke cases of the whole API) and
 * operation-scenarios.json (scoping, retries, pages): each file through the generic call
 * (`callAllBlocking` for pages), then again through each operation's generated method (`All` for
 * pages; an answer must fit its model: one that does not is `invalid_response`), each pass
 * against a fresh emulator (cases create what later ones use), in file order; a case's `setup`
 * calls go first, through the generic call, and what they save fills its `${name}` values; the
 * outcome (ok, or the error's code and status, and where the case states them the attempts of a
 * failed call, the items read and the requests the emulator received) must match.
 */
class OperationsConformanceTest {
    private val operations = Paths.get(System.getProperty("refold.operations") ?: "../conformance/operations.json")

    private fun read(name: String): JsonObject =
        Json.parseToJsonElement(Files.readString(operations.resolveSibling(name))).jsonObject

    private fun JsonObject.text(name: String): String? = this[name]?.takeIf { it != JsonNull }?.jsonPrimitive?.content

    @Test
    fun `every case has the outcome the table expects through the generic call`() = runFile("operations.json", generated = false)

    @Test
    fun `every case has the outcome the table expects through its generated method`() = runFile("operations.json", generated = true)

    @Test
    fun `every scenario has the outcome it expects through the generic call`() =
        runFile("operation-scenarios.json", generated = false)

    @Test
    fun `every scenario has the outcome it expects through its generated method`() =
        runFile("operation-scenarios.json", generated = true)

    private fun runFile(name: String, generated: Boolean) {
        val file = read(name)
        val key = file.text("key")!!
        val cases = file["cases"]!!.jsonArray.map { it.jsonObject }
        assertTrue(cases.isNotEmpty())
        Emulator(listOf(key), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = key, baseUrl = emulator.baseUrl, maxRetries = 0, readEnvironmentVariables = false).use { refold ->
                val ran = cases.filter { !generated || inexpressible(it) == null }
                assertTrue(ran.isNotEmpty())
                for (case in ran) run(emulator, refold, case, key, generated)
            }
        }
    }

    /**
     * Why the generated methods cannot make the case's call (the case is then skipped), or null:
     * they have no argument for a parameter the operation does not declare, take a number or a
     * boolean parameter only as one, and only a paginated list has an `All` method.
     */
    private fun inexpressible(case: JsonObject): String? {
        val operationId = case.text("operationId")!!
        val declared = GENERATED_PARAMETERS.getValue(operationId)
        for ((param, value) in (case["params"] as? JsonObject).orEmpty()) {
            val reader = declared[param] ?: return "no argument for the undeclared parameter $param"
            val primitive = value as? JsonPrimitive
            // A `${name}` is filled by a setup call: its type is known only then.
            val saved = primitive?.contentOrNull?.let { primitive.isString && it.startsWith("${'$'}{") } == true
            val fits = saved || when (reader) {
                "long", "double" -> primitive != null && !primitive.isString && primitive.doubleOrNull != null
                "bool" -> primitive != null && !primitive.isString && primitive.booleanOrNull != null
                else -> true
            }
            if (!fits) return "$param takes a $reader, not $value"
        }
        if (case["pages"]?.jsonPrimitive?.booleanOrNull == true && operationId !in GENERATED_ALL) {
            return "$operationId is not a paginated list: it has no All method"
        }
        return null
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

    private fun run(emulator: Emulator, refold: RefoldClient, written: JsonObject, key: String, generated: Boolean) {
        val case = setUp(refold, written)
        val name = case.text("name")!!
        val operationId = case.text("operationId")!!
        val params = (case["params"] as? JsonObject).orEmpty().mapValues { plain(it.value) }
        val body = case["body"]
        val account = case.text("request_linked_account_id")
        val pages = case["pages"]?.jsonPrimitive?.booleanOrNull == true
        val retries = case["max_retries"]?.jsonPrimitive?.intOrNull ?: 0
        val org = if (retries == 0) {
            refold
        } else {
            RefoldClient(apiKey = key, baseUrl = emulator.baseUrl, maxRetries = retries, readEnvironmentVariables = false)
        }
        try {
            val client = clientFor(org, case)
            case["faults"]?.let { emulator.faults(JSONArray(it.toString())) }
            val before = emulator.requestCount()
            var items = 0
            val error = outcome {
                when {
                    generated && pages ->
                        allGenerated(client.api.blocking, operationId, params, body, account, null)!!.forEach { _ -> items++ }
                    generated -> callGenerated(client.api.blocking, operationId, params, body, account, emptyList(), null)
                    pages -> client.callAllBlocking(operationId, params, body, account).forEach { _ -> items++ }
                    else -> client.callBlocking(operationId, params, body, account)
                }
            }
            val sent = emulator.requestCount() - before
            check(if (generated) "$name (generated method)" else name, case["expect"]!!.jsonObject, error, items, sent, key)
        } finally {
            if (org !== refold) org.close()
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

    /** Compares the outcome with [expect], its optional members only where the case states them. */
    private fun check(name: String, expect: JsonObject, error: RefoldException?, items: Int, sent: Int, key: String) {
        val got = buildJsonObject {
            if (error == null) {
                put("ok", true)
            } else {
                put("error", error.code)
                put("status", error.status)
            }
            if ("attempts" in expect) put("attempts", error?.attempts ?: 1)
            if ("items" in expect) put("items", items)
            if ("sent" in expect) put("sent", sent)
        }
        val expected = if (expect["ok"]?.jsonPrimitive?.booleanOrNull == true) expect else JsonObject(mapOf("status" to JsonNull) + expect)
        assertEquals(expected, got, "$name: ${error?.message ?: "it succeeded"}")
        if (error != null) assertFalse(error.message.contains(key) || error.toString().contains(key), name)
    }

    private fun plain(value: JsonElement): Any? = ApiCaller.plain(value)?.let { if (it is java.math.BigDecimal) it.toLong() else it }
}
