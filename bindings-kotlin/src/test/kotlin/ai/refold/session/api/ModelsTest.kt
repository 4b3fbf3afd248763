package ai.refold.session.api

import kotlinx.serialization.DeserializationStrategy
import kotlinx.serialization.builtins.ListSerializer
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File

/** The generated models (Models.kt) read Refold's documented responses (the examples fixture
 *  the core's test reads too) and never show secrets in toString. */
class ModelsTest {
    private val json = Json { ignoreUnknownKeys = true }

    private val examples: List<JsonObject> by lazy {
        val path = System.getProperty("refold.api.examples")
            ?: "../core/tests/fixtures/api-examples.json"
        json.parseToJsonElement(File(path).readText()).jsonObject["examples"]!!.jsonArray.map { it.jsonObject }
    }

    /** The documented success responses of `operationId`. */
    private fun successExamples(operationId: String) = examples.filter {
        it["operation"]?.jsonPrimitive?.content == operationId &&
            (it["status"]?.jsonPrimitive?.content?.toInt() ?: 0) in 200..299 && it["value"] != null
    }.map { it["value"]!! }

    private fun <T> decodeAll(operationId: String, deserializer: DeserializationStrategy<T>): List<T> {
        val values = successExamples(operationId)
        assertFalse(values.isEmpty(), "no documented example of $operationId")
        return values.map { json.decodeFromJsonElement(deserializer, it) }
    }

    @Test
    fun `documented responses decode into their models`() {
        val page = decodeAll("listLinkedAccounts", PaginatedLinkedAccounts.serializer()).single()
        assertEquals(true, page.hasNextPage)
        assertEquals(2L, page.nextPage)
        assertNull(page.prevPage)
        val account = page.docs!!.first()
        assertEquals("user_12345", account.accountId)
        assertEquals(Environment.TEST, account.environment)
        assertNull(account.integrations!!.first().appId)

        assertEquals("user_12345", decodeAll("getLinkedAccountById", LinkedAccount.serializer()).single().accountId)
        assertTrue(decodeAll("listWebhooks", ListSerializer(RefoldWebhook.serializer())).single().isNotEmpty())
        assertTrue(decodeAll("listSchedules", ListSchedulesResponse.serializer()).single().docs!!.isNotEmpty())
        decodeAll("listExecutions", PaginatedInstances.serializer())
        decodeAll("getInstalledConfig", GetApplicationConfigDTO.serializer())
        decodeAll("listMcpServers", PaginatedMcpServers.serializer())
        decodeAll("listVariableValuesByScope", PaginatedEnvVariableValues.serializer())
    }

    @Test
    fun `every documented error body decodes as a DocumentedError`() {
        val errors = examples.filter { (it["status"]?.jsonPrimitive?.content?.toInt() ?: 0) >= 400 }
        assertTrue(errors.size > 50, "only ${errors.size} error examples")
        for (example in errors) {
            val error = json.decodeFromJsonElement(DocumentedError.serializer(), example["value"]!!)
            // A few documented bodies carry only `error` and `message`.
            val status = error.statusCode ?: continue
            assertEquals(example["status"]!!.jsonPrimitive.content.toLong(), status, example.toString())
            assertTrue(error.message != null, example.toString())
        }
    }

    @Test
    fun `values the description does not list still decode, and encode back`() {
        val account = json.decodeFromString(LinkedAccount.serializer(), """{"account_id":"u","environment":"staging","__v":4}""")
        assertEquals("staging", account.environment)
        assertEquals("""{"account_id":"u","environment":"staging"}""", json.encodeToString(LinkedAccount.serializer(), account))
    }

    @Test
    fun `toString never shows a token`() {
        val secret = "eyJhbGciOiJIUzI1NiJ9.distinctive-kotlin-secret.sig"
        val response = json.decodeFromString(SessionTokenResponse.serializer(), """{"token":"$secret","refresh_token":"$secret","expires_in":600}""")
        assertEquals(secret, response.token)
        assertFalse(response.toString().contains("distinctive-kotlin-secret"), response.toString())
        assertTrue(response.toString().contains("expiresIn=600"), response.toString())
    }

    @Test
    fun `free-form fields keep their JSON`() {
        val values = decodeAll("listVariableValuesByScope", PaginatedEnvVariableValues.serializer())
        assertTrue(values.isNotEmpty())
        val table = json.decodeFromString(TableSearchResponseHolder.serializer(), """{"rows":[{"a":1,"b":[true]}]}""")
        assertEquals(JsonArray(listOf(kotlinx.serialization.json.JsonPrimitive(true))), table.rows.first()["b"])
    }
}

@kotlinx.serialization.Serializable
private data class TableSearchResponseHolder(val rows: TableSearchResponse)
