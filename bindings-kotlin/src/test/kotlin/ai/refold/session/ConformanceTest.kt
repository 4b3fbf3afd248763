package ai.refold.session

import kotlinx.coroutines.runBlocking
import org.json.JSONObject
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Assumptions.assumeFalse
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import ai.refold.session.ffi.errorCodes
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.time.Instant
import kotlin.math.abs

/**
 * Every case of `conformance/cases.json` through the Kotlin API (the suspend functions), once
 * per entry of its `generations`: `current` against an emulator answering session tokens as
 * Refold documents them, `legacy` against one started with `--legacy-session-token` (the older
 * guide's answer), the case's `legacy` members replacing its own. Session tokens, revocation
 * and the active account, the linked-account calls with their `setup` steps, `token_ttl_s`, and
 * the session cache's `sequence`s. Only the cases whose input is not a string (`dynamic_only`)
 * are skipped: they do not apply to Kotlin's static types.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConformanceTest {
    private lateinit var current: Emulator
    private lateinit var legacy: Emulator

    @BeforeAll
    fun start() {
        current = Emulator(Conformance.apiKeys, Conformance.linkedAccounts)
        legacy = Emulator(Conformance.apiKeys, Conformance.linkedAccounts, legacySessionToken = true)
    }

    @AfterAll
    fun stop() {
        current.close()
        legacy.close()
    }

    /** The case once per generation: its emulator, and the case as run against it. */
    private fun runs(case: JSONObject): List<Triple<String, Emulator, JSONObject>> =
        case.getJSONArray("generations").map { it as String }.map { generation ->
            if (generation == "current") {
                Triple(generation, current, case)
            } else {
                val overlaid = JSONObject(case.toString())
                (overlaid.remove("legacy") as? JSONObject)?.let { overlay -> overlay.keySet().forEach { overlaid.put(it, overlay.get(it)) } }
                Triple(generation, legacy, overlaid)
            }
        }

    @Test
    fun `the table is not empty and every code has a subclass`() {
        assertTrue(Conformance.cases.size >= 100, "cases.json has ${Conformance.cases.size} cases")
        val codes = Conformance.cases.flatMap { case ->
            listOfNotNull(case.optJSONObject("expect")?.optString("code", null)) +
                (case.optJSONArray("steps")?.mapNotNull { (it as JSONObject).optString("expect_error", null) } ?: emptyList())
        }.toSet()
        val unknown = codes - Conformance.classForCode.keys
        assertTrue(unknown.isEmpty(), "codes of the table without a subclass: $unknown")
        // One subclass per code of docs/contract.md §Errors, and the test-side map knows them all.
        val subclasses = RefoldException::class.java.declaredClasses
            .filter { RefoldException::class.java.isAssignableFrom(it) }.toSet()
        assertEquals(subclasses, Conformance.classForCode.values.map { it.java }.toSet())
        assertEquals(errorCodes().toSet(), Conformance.classForCode.keys, "the core's codes")
        // Only dynamic_only cases may be skipped; every call and sequence op is known here.
        val calls = Conformance.cases.flatMap { case ->
            listOf(case.getString("call")) + case.getJSONArray("setup").map { (it as JSONObject).getString("call") }
        }.toSet()
        assertEquals(emptySet<String>(), calls - CALLS - SEQUENCE, "calls this runner cannot make")
        val ops = Conformance.cases
            .flatMap { case -> case.optJSONArray("steps")?.map { (it as JSONObject).getString("op") } ?: emptyList() }.toSet()
        assertEquals(emptySet<String>(), ops - OPS, "sequence ops this runner cannot run")
        assertTrue(Conformance.cases.count { it.getBoolean("dynamic_only") } <= 4, "few cases are dynamic_only")
    }

    @Test
    fun `a malformed cases file is refused, every problem named`(@TempDir dir: Path) {
        // A member missing, a misspelt one, a wrong type: refused before any case runs.
        val raw = Paths.get(System.getProperty("refold.cases") ?: "../conformance/cases.json")
        val document = JSONObject(String(Files.readAllBytes(raw), StandardCharsets.UTF_8))
        val cases = document.getJSONArray("cases")
        cases.getJSONObject(0).remove("requests_received")
        cases.getJSONObject(1).getJSONObject("expect").put("atempts", 1)
        document.getJSONObject("emulator").put("api_keys", "one-key")
        val bad = dir.resolve("cases.json")
        Files.write(bad, document.toString().toByteArray(StandardCharsets.UTF_8))
        val refused = assertThrows(CasesFileException::class.java) { Conformance.load(bad) }
        val message = refused.message ?: ""
        assertTrue(message.contains("does not match cases.schema.json (3 problems)"), message)
        val first = cases.getJSONObject(0).getString("name")
        val second = cases.getJSONObject(1).getString("name")
        assertTrue(message.contains("/cases/0 (case $first): ") && message.contains("requests_received"), message)
        assertTrue(message.contains("/cases/1/expect (case $second): ") && message.contains("atempts"), message)
        assertTrue(message.contains("/emulator/api_keys"), message)
        Files.write(bad, "{".toByteArray(StandardCharsets.UTF_8))
        val notJson = assertThrows(CasesFileException::class.java) { Conformance.load(bad) }
        assertTrue(notJson.message!!.contains("is not JSON"), notJson.message)
    }

    @Test
    fun `absent members get the schema's defaults`(@TempDir dir: Path) {
        val case = JSONObject(mapOf("name" to "minimal", "description" to "d", "input" to "acct-1", "requests_received" to 1))
            .put("expect", JSONObject().put("outcome", "token"))
        val document = JSONObject().put("version", 1).put("defaults", JSONObject())
            .put("emulator", JSONObject().put("api_keys", listOf("k")).put("linked_accounts", emptyList<String>()))
            .put("cases", listOf(case))
        val path = dir.resolve("cases.json")
        Files.write(path, document.toString().toByteArray(StandardCharsets.UTF_8))
        val loaded = Conformance.load(path).getJSONArray("cases").getJSONObject(0)
        assertEquals(SESSION_TOKEN, loaded.getString("call"))
        assertEquals(0, loaded.getJSONObject("client").length())
        assertEquals(0, loaded.getJSONArray("setup").length())
        assertFalse(loaded.getBoolean("lone_surrogates") || loaded.getBoolean("dynamic_only") || loaded.getBoolean("check_received_id"))
        // The table with its defaults applied still matches the schema.
        Files.write(path, Conformance.file.toString().toByteArray(StandardCharsets.UTF_8))
        assertEquals(Conformance.cases.size, Conformance.load(path).getJSONArray("cases").length())
    }

    @TestFactory
    fun conformance(): List<DynamicTest> = Conformance.cases.flatMap { case ->
        runs(case).map { (generation, emulator, runCase) ->
            DynamicTest.dynamicTest("${case.getString("name")} ($generation)") {
                assumeFalse(case.getBoolean("dynamic_only"), "a non-string linked_account_id cannot be written in Kotlin")
                run(runCase, emulator)
            }
        }
    }

    @Test
    fun `both generations run, every session-token case against the legacy one`() {
        val legacyRuns = Conformance.cases.sumOf { case -> runs(case).count { it.first == "legacy" } }
        assertTrue(legacyRuns >= 60, "$legacyRuns legacy runs")
    }

    /**
     * The session-token cases once more through `getTokenForLinkedAccountBlocking` (its own JNI
     * entry point, fast.rs; the table above runs the suspend form's).
     */
    @TestFactory
    fun `conformance, blocking`(): List<DynamicTest> = Conformance.cases
        .filter { it.getString("call") == SESSION_TOKEN }
        .flatMap { case ->
            runs(case).map { (generation, emulator, runCase) ->
                DynamicTest.dynamicTest("${case.getString("name")} ($generation, blocking)") {
                    assumeFalse(case.getBoolean("dynamic_only"), "a non-string linked_account_id cannot be written in Kotlin")
                    run(runCase, emulator, blocking = true)
                }
            }
        }

    private fun run(case: JSONObject, emulator: Emulator, blocking: Boolean = false) {
        val name = case.getString("name")
        emulator.reset()
        case.getJSONArray("setup").takeIf { it.length() > 0 }?.let { setup ->
            Conformance.client(null, emulator.baseUrl).use { client ->
                for (step in setup.map { it as JSONObject }) {
                    val result = runCatching { runBlocking { call(client, step.getString("call"), step.get("input")) } }
                    if (!step.getBoolean("ignore_error")) {
                        result.getOrElse { fail("$name: setup ${step.getString("call")} failed: $it", it) }
                    }
                }
            }
            emulator.reset()
        }
        if (case.has("token_ttl_s")) emulator.config(JSONObject().put("token_ttl_s", case.get("token_ttl_s")))
        case.optJSONArray("faults")?.let { emulator.faults(it) }

        if (case.getString("call") == SEQUENCE) {
            runSequence(name, case, emulator)
            checkRequests(name, case, emulator)
            return
        }

        val input: Any = case.get("input").let { if (it is String) Conformance.input(case) else it }
        val callName = case.getString("call")
        val expect = case.getJSONObject("expect")

        var elapsedMs = 0L
        val outcome: Result<Any> = runCatching {
            Conformance.client(case, emulator.baseUrl).use { client ->
                val started = System.nanoTime()
                try {
                    if (blocking) client.getTokenForLinkedAccountBlocking(input as String) else runBlocking { call(client, callName, input) }
                } finally {
                    elapsedMs = (System.nanoTime() - started) / 1_000_000
                }
            }
        }

        val wanted = expect.getString("outcome")
        if (wanted == "error") {
            val error = outcome.exceptionOrNull() ?: fail("$name: expected an error, got ${outcome.getOrNull()}")
            if (error !is RefoldException) fail<Unit>("$name: not a RefoldException: $error", error)
            checkError(name, expect, error as RefoldException)
        } else {
            val result = outcome.getOrElse { fail("$name: expected $wanted, got $it", it) }
            when (wanted) {
                "token" -> checkToken(name, input as String, expect, result as? SessionToken ?: fail("$name: not a token: $result"))
                "account" -> checkAccount(name, expect, result as? LinkedAccount ?: fail("$name: not an account: $result"))
                "page" -> checkPage(name, expect, result as? LinkedAccountPage ?: fail("$name: not a page: $result"))
                "object" -> assertTrue(result is Map<*, *>, "$name: not an object: $result")
                else -> fail("$name: unknown outcome $wanted")
            }
        }

        checkRequests(name, case, emulator)
        if (case.has("min_elapsed_ms")) {
            assertTrue(elapsedMs >= case.getLong("min_elapsed_ms"), "$name: took $elapsedMs ms")
        }
        if (case.has("max_elapsed_ms")) {
            assertTrue(elapsedMs <= case.getLong("max_elapsed_ms"), "$name: took $elapsedMs ms")
        }
        if (case.getBoolean("check_received_id")) {
            val logged = emulator.requests().getJSONArray("requests")
            val last = logged.getJSONObject(logged.length() - 1)
            assertEquals(input, JSONObject(last.getString("body")).getString("linked_account_id"), "$name: id on the wire")
        }
    }

    /** `requests_received`, and `queries_received` (the session-token requests' query strings, oldest first). */
    private fun checkRequests(name: String, case: JSONObject, emulator: Emulator) {
        val log = emulator.requests()
        assertEquals(case.getInt("requests_received"), log.getInt("count"), "$name: requests received")
        if (case.has("queries_received")) {
            val got = log.getJSONArray("requests").map { it as JSONObject }
                .filter { it.getString("path") == "/api/v2/public/session-token" }
                .map { it.opt("query").takeUnless { q -> q == JSONObject.NULL } }
            val wanted = case.getJSONArray("queries_received").map { it.takeUnless { q -> q == JSONObject.NULL } }
            assertEquals(wanted, got, "$name: queries received")
        }
    }

    /** Makes one call of the table with [input] (an id string, or the call's JSON object). */
    private suspend fun call(client: RefoldClient, call: String, input: Any): Any = when (call) {
        SESSION_TOKEN -> client.getTokenForLinkedAccount(input as String)
        "get" -> client.getLinkedAccount(input as String)
        "delete" -> client.deleteLinkedAccount(input as String)
        "upsert" -> client.upsertLinkedAccount(Conformance.accountInput(input as JSONObject))
        "create" -> client.createLinkedAccount(Conformance.accountInput(input as JSONObject))
        "list" -> (input as JSONObject).let { client.listLinkedAccounts(it.getInt("page"), it.getInt("limit")) }
        else -> fail("unknown call $call")
    }

    /** The steps of a `sequence` (the session cache), in order, on one client. */
    private fun runSequence(name: String, case: JSONObject, emulator: Emulator) {
        val built = runCatching { Conformance.client(case, emulator.baseUrl) }
        val saved = mutableMapOf<String, String>()
        try {
            for ((index, step) in case.getJSONArray("steps").map { it as JSONObject }.withIndex()) {
                val at = "$name step $index (${step.getString("op")})"
                fun client(): RefoldClient = built.getOrElse { fail("$at: the client could not be built: $it", it) }
                when (step.getString("op")) {
                    "token" -> {
                        val started = System.nanoTime()
                        val result = built.mapCatching { client ->
                            runBlocking { client.getTokenForLinkedAccount(step.getString("input"), fresh = step.optBoolean("fresh", false)) }
                        }
                        val tookMs = (System.nanoTime() - started) / 1_000_000
                        if (step.has("max_elapsed_ms")) assertTrue(tookMs <= step.getLong("max_elapsed_ms"), "$at: took $tookMs ms")
                        if (step.has("expect_error")) {
                            val error = result.exceptionOrNull() ?: fail("$at: expected ${step.getString("expect_error")}, got a token")
                            assertTrue(error is RefoldException, "$at: not a RefoldException: $error")
                            checkError(at, JSONObject().put("code", step.getString("expect_error")), error as RefoldException)
                            continue
                        }
                        val token = result.getOrElse { fail("$at: $it", it) }
                        assertEquals(step.getString("input"), token.linkedAccountId, "$at: linkedAccountId")
                        step.optString("same_as", null)?.let { assertEquals(saved[it], token.token, "$at: same as $it") }
                        step.optString("differs_from", null)?.let { assertNotEquals(saved[it], token.token, "$at: differs from $it") }
                        step.optString("save", null)?.let { saved[it] = token.token }
                    }
                    "revoke", "active_account" -> {
                        val token = step.optString("token_of", null)?.let { saved[it] ?: fail("$at: no token saved as $it") }
                            ?: step.getString("input")
                        val result = runCatching {
                            if (step.getString("op") == "revoke") {
                                runBlocking { client().revokeSessionToken(token) }
                            } else {
                                client().getActiveLinkedAccountBlocking(token)
                            }
                        }
                        if (step.has("expect_error")) {
                            val error = result.exceptionOrNull() ?: fail("$at: expected ${step.getString("expect_error")}, got ${result.getOrNull()}")
                            assertTrue(error is RefoldException, "$at: not a RefoldException: $error")
                            checkError(at, JSONObject().put("code", step.getString("expect_error")), error as RefoldException)
                            continue
                        }
                        when (val answer = result.getOrElse { fail("$at: $it", it) }) {
                            is RevokeResult -> {
                                assertTrue(answer.success, "$at: success")
                                if (step.has("revoked_count")) assertEquals(step.getLong("revoked_count"), answer.revokedCount, "$at: revokedCount")
                            }
                            is LinkedAccount -> step.optString("account_id", null)?.let { assertEquals(it, answer.accountId, "$at: accountId") }
                        }
                    }
                    "invalidate" -> client().invalidate(step.getString("input"))
                    "invalidate_all" -> client().invalidateAll()
                    "sleep" -> Thread.sleep(step.getLong("ms"))
                    "faults" -> emulator.faults(step.getJSONArray("faults"))
                    "stats" -> {
                        val stats = client().cacheStats()
                        when (val expect = step.opt("expect")) {
                            null -> {}
                            JSONObject.NULL -> assertNull(stats, "$at: the cache is off")
                            is JSONObject -> {
                                val present: CacheStats = stats ?: fail("$at: no stats: the cache is off")
                                for (counter in expect.keySet()) {
                                    val got = when (counter) {
                                        "hits" -> present.hits
                                        "misses" -> present.misses
                                        "coalesced" -> present.coalesced
                                        "refreshes" -> present.refreshes
                                        "refresh_failures" -> present.refreshFailures
                                        "evictions" -> present.evictions
                                        "entries" -> present.entries
                                        else -> fail("$at: unknown counter $counter")
                                    }
                                    assertEquals(expect.getLong(counter), got, "$at: $counter ($stats)")
                                }
                            }
                            else -> fail("$at: unknown stats expectation $expect")
                        }
                        // Neither the client nor its stats show a cached token.
                        val shown = "${built.getOrNull()} $stats"
                        for (token in saved.values) assertFalse(shown.contains(token), "$at: a token shown in $shown")
                    }
                    else -> fail("$at: unknown op")
                }
            }
        } finally {
            built.getOrNull()?.close()
        }
    }

    private fun checkAccount(name: String, expect: JSONObject, account: LinkedAccount) {
        val wanted = expect.getJSONObject("account")
        if (wanted.has("account_id")) assertEquals(wanted.getString("account_id"), account.accountId, "$name: accountId")
        if (wanted.has("name")) assertEquals(wanted.getString("name"), account.name, "$name: name")
        if (wanted.has("environment")) assertEquals(wanted.getString("environment"), account.environment, "$name: environment")
        if (wanted.has("udf")) assertEquals(Conformance.normalized(wanted.getJSONObject("udf")), Conformance.normalized(account.udf), "$name: udf")
        if (wanted.has("new_account")) assertEquals(wanted.getBoolean("new_account"), account.newAccount, "$name: newAccount")
        if (wanted.has("integrations_count")) {
            val count = if (wanted.isNull("integrations_count")) null else wanted.getInt("integrations_count")
            assertEquals(count, account.integrations?.size, "$name: integrations")
        }
        assertEquals(account.accountId, account.json["account_id"], "$name: json is the whole object")
    }

    private fun checkPage(name: String, expect: JSONObject, page: LinkedAccountPage) {
        assertEquals(expect.getInt("page"), page.page, "$name: page")
        assertEquals(expect.getInt("limit"), page.limit, "$name: limit")
        if (expect.has("accounts_count")) assertEquals(expect.getInt("accounts_count"), page.accounts.size, "$name: accounts")
        if (expect.has("total_min")) assertTrue(page.total >= expect.getLong("total_min"), "$name: total ${page.total}")
        if (expect.has("next_page")) {
            if (expect.isNull("next_page")) assertNull(page.nextPage, "$name: nextPage") else assertEquals(expect.getInt("next_page"), page.nextPage, "$name: nextPage")
        }
        if (expect.has("prev_page")) {
            if (expect.isNull("prev_page")) assertNull(page.prevPage, "$name: prevPage") else assertEquals(expect.getInt("prev_page"), page.prevPage, "$name: prevPage")
        }
        if (expect.has("paging_counter")) assertEquals(expect.getLong("paging_counter"), page.pagingCounter, "$name: pagingCounter")
    }

    private fun checkToken(name: String, input: String, expect: JSONObject, token: SessionToken) {
        assertEquals(input, token.linkedAccountId, "$name: linkedAccountId")
        if (expect.has("token")) assertEquals(expect.getString("token"), token.token, "$name: token")
        val payload by lazy { Conformance.jwtPayload(token.token) }
        expect.optJSONObject("claims")?.let { claims ->
            for (key in claims.keySet()) {
                assertEquals(claims.get(key).toString(), payload.get(key).toString(), "$name: claim $key")
            }
        }
        when (val expiresAt = expect.opt("expires_at")) {
            null -> {}
            "exp_claim" -> assertEquals(Instant.ofEpochSecond(payload.getLong("exp")), token.expiresAt, "$name: expiresAt")
            else -> fail("$name: unknown expires_at rule $expiresAt")
        }
        if (expect.has("issued_at")) {
            if (expect.isNull("issued_at")) {
                assertNull(token.issuedAt, "$name: issuedAt")
            } else {
                assertEquals("iat_claim", expect.getString("issued_at"))
                assertEquals(Instant.ofEpochSecond(payload.getLong("iat")), token.issuedAt, "$name: issuedAt")
            }
        }
        if (expect.has("expires_at_unix")) {
            assertEquals(Instant.ofEpochSecond(expect.getLong("expires_at_unix")), token.expiresAt, "$name: expiresAt")
        }
        if (expect.has("issued_at_unix")) {
            assertEquals(Instant.ofEpochSecond(expect.getLong("issued_at_unix")), token.issuedAt, "$name: issuedAt")
        }
        if (expect.has("expires_in_about_s")) {
            val wanted = Instant.now().plusSeconds(expect.getLong("expires_in_about_s"))
            val off = abs(token.expiresAt.epochSecond - wanted.epochSecond)
            assertTrue(off <= 60, "$name: expiresAt ${token.expiresAt} is $off s from $wanted")
        }
        if (expect.has("refresh_token_present")) {
            assertEquals(expect.getBoolean("refresh_token_present"), token.refreshToken != null, "$name: refreshToken")
        }
        if (expect.has("refresh_expires_in_about_s")) {
            val wanted = Instant.now().plusSeconds(expect.getLong("refresh_expires_in_about_s"))
            val at = token.refreshExpiresAt ?: fail("$name: no refreshExpiresAt")
            assertTrue(abs(at.epochSecond - wanted.epochSecond) <= 60, "$name: refreshExpiresAt $at, not about $wanted")
        }
        assertFalse(token.toString().contains(token.token), "$name: toString shows the token")
        token.refreshToken?.let { assertFalse(token.toString().contains(it), "$name: toString shows the refresh token") }
    }

    private fun checkError(name: String, expect: JSONObject, error: RefoldException) {
        val code = expect.getString("code")
        assertEquals(code, error.code, "$name: code (message: ${error.message})")
        val expectedClass = Conformance.classForCode[code] ?: fail("$name: unknown code $code")
        assertTrue(expectedClass.isInstance(error), "$name: ${error::class.qualifiedName} is not ${expectedClass.simpleName}")
        if (expect.has("status")) {
            if (expect.isNull("status")) assertNull(error.status, "$name: status") else assertEquals(expect.getInt("status"), error.status, "$name: status")
        }
        if (expect.has("attempts")) assertEquals(expect.getInt("attempts"), error.attempts, "$name: attempts")
        if (expect.has("retry_after_s")) {
            val retryAfter = error.retryAfter ?: fail("$name: no retryAfter")
            assertEquals(expect.getDouble("retry_after_s"), retryAfter.toNanos() / 1e9, 0.001, "$name: retryAfter")
        }
        for ((field, got) in listOf("server_code" to error.serverCode, "http_error_type" to error.httpErrorType)) {
            if (expect.has(field)) assertEquals(expect.optString(field, null), got, "$name: $field")
        }
        if (expect.has("request_id")) assertEquals(expect.getString("request_id"), error.requestId, "$name: requestId")
        if (expect.optBoolean("request_id_present", false)) assertNotNull(error.requestId, "$name: requestId present")
        val message = error.message
        assertTrue(message.isNotBlank(), "$name: message")
        expect.optJSONArray("message_contains")?.forEach {
            assertTrue(message.contains(it as String), "$name: message lacks \"$it\": $message")
        }
        expect.optJSONArray("message_excludes")?.forEach {
            val secret = it as String
            for (shown in listOf(message, error.toString(), error.localizedMessage, error.stackTraceToString())) {
                assertFalse(shown.contains(secret), "$name: \"$secret\" shown in: $shown")
            }
        }
    }

    private companion object {
        const val SESSION_TOKEN = "session_token"
        const val SEQUENCE = "sequence"
        val CALLS = setOf(SESSION_TOKEN, "get", "delete", "upsert", "create", "list")
        val OPS = setOf("token", "invalidate", "invalidate_all", "sleep", "faults", "stats", "revoke", "active_account")
    }
}
