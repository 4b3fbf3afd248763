package ai.refold.session

import com.networknt.schema.InputFormat
import com.networknt.schema.SchemaRegistry
import com.networknt.schema.SpecificationVersion
import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assumptions.assumeTrue
import tools.jackson.core.JacksonException
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Duration
import java.util.Base64
import kotlin.reflect.KClass

/** The cases file is not what `conformance/cases.schema.json` describes. */
class CasesFileException(message: String) : IllegalStateException(message)

/** `conformance/cases.json`, the behaviour table every binding runs. */
object Conformance {
    val file: JSONObject by lazy {
        load(Paths.get(System.getProperty("refold.cases") ?: "../conformance/cases.json"))
    }

    private val schemaText: String by lazy {
        val path = Paths.get(System.getProperty("refold.cases.schema") ?: "../conformance/cases.schema.json")
        String(Files.readAllBytes(path), StandardCharsets.UTF_8)
    }

    /**
     * The cases file at [path], checked against `conformance/cases.schema.json` (a
     * [CasesFileException] naming every problem otherwise), with the schema's `default` given to
     * every absent member that has one, as every language's runner does.
     */
    fun load(path: Path): JSONObject {
        val text = String(Files.readAllBytes(path), StandardCharsets.UTF_8)
        val schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaText, InputFormat.JSON)
        val problems = try {
            schema.validate(text, InputFormat.JSON)
        } catch (error: JacksonException) {
            throw CasesFileException("$path is not JSON: ${error.originalMessage}")
        }
        if (problems.isNotEmpty()) {
            val cases = runCatching { JSONObject(text).getJSONArray("cases") }.getOrNull()
            fun where(pointer: String): String {
                val index = pointer.split('/').takeIf { it.size > 2 && it[1] == "cases" }?.get(2)?.toIntOrNull()
                val name = index?.let { cases?.optJSONObject(it)?.optString("name", null) }
                return if (name == null) pointer else "$pointer (case $name)"
            }
            val lines = problems.map { "  ${where(it.instanceLocation.toString())}: ${it.message}" }.sorted()
            throw CasesFileException("$path does not match cases.schema.json (${problems.size} problems):\n" + lines.joinToString("\n"))
        }
        val root = JSONObject(schemaText)
        return JSONObject(text).also { applyDefaults(root, root, it) }
    }

    /** Fills in the `default` of every absent member of [value] along `properties` and `items`. */
    private fun applyDefaults(root: JSONObject, schemaNode: JSONObject, value: Any?) {
        var node = schemaNode
        while (node.has("\$ref") && !node.has("properties")) node = resolve(root, node.getString("\$ref"))
        when (value) {
            is JSONObject -> node.optJSONObject("properties")?.let { properties ->
                for (name in properties.keySet()) {
                    val member = properties.getJSONObject(name)
                    if (value.has(name)) {
                        applyDefaults(root, member, value.get(name))
                    } else if (member.has("default")) {
                        value.put(name, copy(member.get("default")))
                    }
                }
            }
            is JSONArray -> node.optJSONObject("items")?.let { items -> value.forEach { applyDefaults(root, items, it) } }
        }
    }

    private fun resolve(root: JSONObject, ref: String): JSONObject {
        check(ref.startsWith("#/")) { "only local references: $ref" }
        return ref.removePrefix("#/").split('/').fold(root) { node, part -> node.getJSONObject(part) }
    }

    private fun copy(value: Any): Any = when (value) {
        is JSONObject -> JSONObject(value.toString())
        is JSONArray -> JSONArray(value.toString())
        else -> value
    }

    val apiKeys: List<String> get() = file.getJSONObject("emulator").getJSONArray("api_keys").map { it as String }

    val linkedAccounts: List<String>
        get() = file.getJSONObject("emulator").getJSONArray("linked_accounts").map { it as String }

    val cases: List<JSONObject> get() = file.getJSONArray("cases").map { it as JSONObject }

    /** The subclass each code maps to (test-side expectation of the contract's table). */
    val classForCode: Map<String, KClass<out RefoldException>> = mapOf(
        "invalid_input" to RefoldException.InvalidInput::class,
        "configuration" to RefoldException.Configuration::class,
        "bad_request" to RefoldException.BadRequest::class,
        "authentication" to RefoldException.Authentication::class,
        "permission_denied" to RefoldException.PermissionDenied::class,
        "not_found" to RefoldException.NotFound::class,
        "rate_limited" to RefoldException.RateLimited::class,
        "invalid_linked_account" to RefoldException.InvalidLinkedAccount::class,
        "server_error" to RefoldException.ServerError::class,
        "timeout" to RefoldException.Timeout::class,
        "connection" to RefoldException.Connection::class,
        "invalid_response" to RefoldException.InvalidResponse::class,
        "unexpected_status" to RefoldException.UnexpectedStatus::class,
        "internal" to RefoldException.Internal::class,
        "aborted" to RefoldException.Aborted::class,
    )

    /** `\u{D800}`-style escapes, for cases flagged `lone_surrogates` (JSON cannot hold a lone surrogate). */
    private val codeUnitEscape = Regex("""\\u\{([0-9A-Fa-f]{4})\}""")

    /** [text] with every `\u{XXXX}` escape replaced by that one UTF-16 code unit. */
    fun codeUnits(text: String): String = codeUnitEscape.replace(text) { it.groupValues[1].toInt(16).toChar().toString() }

    /** The case's `input`, its escapes replaced when the case is flagged `lone_surrogates`. */
    fun input(case: JSONObject): String {
        val input = case.getString("input")
        return if (case.getBoolean("lone_surrogates")) codeUnits(input) else input
    }

    /** Builds a client from `defaults` overlaid with the case's `client` (if any), base URL = [baseUrl] unless given. */
    fun client(case: JSONObject?, baseUrl: String): RefoldClient {
        val options = JSONObject(file.getJSONObject("defaults").toString())
        case?.optJSONObject("client")?.let { overrides -> overrides.keySet().forEach { options.put(it, overrides.get(it)) } }
        val known = setOf("api_key", "environment", "base_url", "timeout_ms", "max_retries", "max_idle_connections", "max_connections", "cache")
        check(known.containsAll(options.keySet())) { "unknown client options: ${options.keySet() - known}" }
        if (!options.has("base_url")) options.put("base_url", baseUrl)
        val escapes = case?.getBoolean("lone_surrogates") ?: false
        fun string(name: String): String? =
            if (options.isNull(name)) null else options.getString(name).let { if (escapes) codeUnits(it) else it }
        fun number(name: String): Double? = if (options.isNull(name)) null else options.getDouble(name)
        fun int(name: String): Int? = number(name)?.let { value ->
            assumeTrue(value == Math.rint(value) && value >= Int.MIN_VALUE && value <= Int.MAX_VALUE, "$name $value is not a Kotlin Int")
            value.toInt()
        }
        return RefoldClient(
            apiKey = string("api_key"),
            environment = string("environment"),
            baseUrl = string("base_url"),
            timeout = number("timeout_ms")?.let { Duration.ofNanos(Math.round(it * 1e6)) },
            maxRetries = int("max_retries"),
            maxIdleConnections = int("max_idle_connections"),
            maxConnections = int("max_connections"),
            cache = options.optJSONObject("cache")?.let { cache ->
                check(setOf("max_entries", "min_remaining_ms", "refresh_ahead_ms").containsAll(cache.keySet())) { "cache: ${cache.keySet()}" }
                fun millis(name: String) = if (cache.isNull(name)) null else Duration.ofNanos(Math.round(cache.getDouble(name) * 1e6))
                CacheOptions(
                    maxEntries = if (cache.isNull("max_entries")) null else cache.getInt("max_entries"),
                    minRemaining = millis("min_remaining_ms"),
                    refreshAhead = millis("refresh_ahead_ms"),
                )
            },
        )
    }

    /** The official SDK's payload `{linked_account_id, name?, udf?, your_app?}` as a [LinkedAccountInput]. */
    fun accountInput(json: JSONObject): LinkedAccountInput {
        val known = setOf("linked_account_id", "name", "udf", "your_app")
        check(known.containsAll(json.keySet())) { "unknown linked account fields: ${json.keySet() - known}" }
        val app = json.optJSONObject("your_app")
        return LinkedAccountInput(
            linkedAccountId = json.getString("linked_account_id"),
            name = if (json.isNull("name")) null else json.getString("name"),
            udf = json.optJSONObject("udf")?.toMap(),
            yourApp = app?.let {
                YourApp(it.getString("app_id"), if (it.isNull("auth_credentials")) null else plain(it.get("auth_credentials")))
            },
        )
    }

    /** An org.json value as plain Kotlin values (maps, lists, `null` for JSON null). */
    fun plain(value: Any?): Any? = when (value) {
        null, JSONObject.NULL -> null
        is JSONObject -> value.toMap()
        is JSONArray -> value.toList()
        else -> value
    }

    /** Numbers compared by value: whole ones as Long, others as Double; maps and lists element-wise. */
    fun normalized(value: Any?): Any? = when (value) {
        null, JSONObject.NULL -> null
        is JSONObject -> normalized(value.toMap())
        is JSONArray -> normalized(value.toList())
        is Map<*, *> -> value.entries.associate { (key, item) -> key to normalized(item) }
        is List<*> -> value.map { normalized(it) }
        is Number -> value.toDouble().let { if (it == Math.rint(it) && Math.abs(it) < 9.0e15) it.toLong() else it }
        else -> value
    }

    /** The decoded (unverified) payload of a JWT. */
    fun jwtPayload(token: String): JSONObject {
        val parts = token.split('.')
        require(parts.size == 3) { "not a JWT: ${token.take(8)}…" }
        return JSONObject(String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
    }
}
