package ai.refold.session

import org.json.JSONArray
import org.json.JSONObject
import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.util.concurrent.TimeUnit

/**
 * The real emulator (`refold emulator`), started as a child process on a free loopback port.
 * Nothing is mocked: the binding talks HTTP to it, and the control plane is HTTP too.
 */
class Emulator @JvmOverloads constructor(
    apiKeys: List<String>,
    linkedAccounts: List<String>,
    anyLinkedAccount: Boolean = false,
    /** Answer session tokens as Refold's older guide did (`--legacy-session-token`). */
    legacySessionToken: Boolean = false,
) : AutoCloseable {
    private val process: Process
    val baseUrl: String
    private val http: HttpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()

    init {
        // Refold's rate limit (on by default in the emulator) is not what these tests test.
        val command = mutableListOf(binary().toString(), "emulator", "--addr", "127.0.0.1:0", "--rate-limit", "off")
        apiKeys.forEach { command += listOf("--api-key", it) }
        linkedAccounts.forEach { command += listOf("--linked-account", it) }
        if (anyLinkedAccount) command += "--any-linked-account"
        if (legacySessionToken) command += "--legacy-session-token"
        process = ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        val reader = BufferedReader(InputStreamReader(process.inputStream, StandardCharsets.UTF_8))
        val first = reader.readLine() ?: run {
            process.destroyForcibly()
            error("the emulator exited before printing its address")
        }
        check(first.startsWith("listening on ")) { "unexpected first emulator line: $first" }
        baseUrl = first.removePrefix("listening on ").trim()
        // Keep draining stdout so the emulator never blocks on a full pipe.
        Thread({ reader.useLines { lines -> lines.forEach { _ -> } } }, "emulator-stdout").apply {
            isDaemon = true
            start()
        }
    }

    fun reset() = post("/__emulator/reset", "{}")

    fun faults(faults: JSONArray) = post("/__emulator/faults", faults.toString())

    /** `POST /__emulator/config`, e.g. `{"token_ttl_s": 6}` (the next reset restores the defaults). */
    fun config(config: JSONObject) = post("/__emulator/config", config.toString())

    /** `GET /__emulator/requests` as parsed JSON: `{"count": N, "requests": [...]}`. */
    fun requests(): JSONObject {
        val request = HttpRequest.newBuilder(URI.create("$baseUrl/__emulator/requests")).GET().build()
        val response = send(request)
        check(response.statusCode() == 200) { "requests: ${response.statusCode()} ${response.body()}" }
        return JSONObject(response.body())
    }

    fun requestCount(): Int = requests().getInt("count")

    private fun post(path: String, body: String) {
        val request = HttpRequest.newBuilder(URI.create("$baseUrl$path"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        val response = send(request)
        check(response.statusCode() in 200..299) { "$path: ${response.statusCode()} ${response.body()}" }
    }

    /**
     * Control-plane calls are idempotent, so one that meets a pooled keep-alive connection the
     * server has just closed ("header parser received no bytes") is simply sent again.
     */
    private fun send(request: HttpRequest): HttpResponse<String> {
        var attempt = 0
        while (true) {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofString())
            } catch (error: java.io.IOException) {
                if (++attempt >= 3) throw error
            }
        }
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }

    companion object {
        const val KEY = "sk_kotlin_DISTINCTIVE_51c0de"

        fun binary(): Path {
            val path = Paths.get(System.getProperty("refold.bin") ?: "../target/debug/refold")
            check(Files.isExecutable(path)) { "no emulator binary at $path: run `make build` first" }
            return path
        }

        /** An emulator that knows [KEY] and the given accounts. */
        @JvmStatic
        fun start(vararg linkedAccounts: String) = Emulator(listOf(KEY), linkedAccounts.toList())
    }
}
