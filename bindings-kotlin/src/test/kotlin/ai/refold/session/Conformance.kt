package ai.refold.session

import org.json.JSONObject
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
    )

    /** Builds a client from `defaults` overlaid with the case's `client`, base URL = [baseUrl] unless given. */
    fun client(case: JSONObject, baseUrl: String): RefoldClient {
        val options = JSONObject(file.getJSONObject("defaults").toString())
        case.optJSONObject("client")?.let { overrides -> overrides.keySet().forEach { options.put(it, overrides.get(it)) } }
        if (!options.has("base_url")) options.put("base_url", baseUrl)
        fun string(name: String): String? = if (options.isNull(name)) null else options.getString(name)
        return RefoldClient(
            apiKey = string("api_key"),
            environment = string("environment"),
            baseUrl = string("base_url"),
            timeout = if (options.isNull("timeout_ms")) null else Duration.ofMillis(options.getLong("timeout_ms")),
            maxRetries = if (options.isNull("max_retries")) null else options.getInt("max_retries"),
        )
    }

    /** The decoded (unverified) payload of a JWT. */
    fun jwtPayload(token: String): JSONObject {
        val parts = token.split('.')
        require(parts.size == 3) { "not a JWT: ${token.take(8)}…" }
        return JSONObject(String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
    }
}
