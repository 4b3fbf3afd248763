package ai.refold.session

import org.json.JSONArray
import org.json.JSONObject
import org.junit.jupiter.api.Assumptions.assumeTrue
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Paths
import java.time.Duration
import java.util.Base64
import kotlin.reflect.KClass

/** `conformance/cases.json`, the behaviour table every binding runs. */
object Conformance {
    val file: JSONObject by lazy {
        val path = Paths.get(System.getProperty("refold.cases") ?: "../conformance/cases.json")
        JSONObject(String(Files.readAllBytes(path), StandardCharsets.UTF_8))
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
    )

    /** `\u{D800}`-style escapes, for cases flagged `lone_surrogates` (JSON cannot hold a lone surrogate). */
    private val codeUnitEscape = Regex("""\\u\{([0-9A-Fa-f]{4})\}""")

    /** [text] with every `\u{XXXX}` escape replaced by that one UTF-16 code unit. */
    fun codeUnits(text: String): String = codeUnitEscape.replace(text) { it.groupValues[1].toInt(16).toChar().toString() }

    /** The case's `input`, its escapes replaced when the case is flagged `lone_surrogates`. */
    fun input(case: JSONObject): String {
        val input = case.getString("input")
        return if (case.optBoolean("lone_surrogates", false)) codeUnits(input) else input
    }

    /** Builds a client from `defaults` overlaid with the case's `client` (if any), base URL = [baseUrl] unless given. */
    fun client(case: JSONObject?, baseUrl: String): RefoldClient {
        val options = JSONObject(file.getJSONObject("defaults").toString())
        case?.optJSONObject("client")?.let { overrides -> overrides.keySet().forEach { options.put(it, overrides.get(it)) } }
        val known = setOf("api_key", "environment", "base_url", "timeout_ms", "max_retries", "max_idle_connections", "max_connections", "cache")
        check(known.containsAll(options.keySet())) { "unknown client options: ${options.keySet() - known}" }
        if (!options.has("base_url")) options.put("base_url", baseUrl)
        val escapes = case?.optBoolean("lone_surrogates", false) ?: false
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
