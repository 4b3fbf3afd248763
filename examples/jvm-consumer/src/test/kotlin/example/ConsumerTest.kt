package example

import ai.refold.session.CacheOptions
import ai.refold.session.RefoldClient
import ai.refold.session.RefoldException
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Instant
import java.util.Properties

/** Runs against the emulator that `scripts/with-emulator.sh` started (REFOLD_BASE_URL, REFOLD_API_KEY). */
class ConsumerTest {
    private val account = System.getProperty("demo.account") ?: "demo-user"

    /** The version Maven built the jar as (its `pom.properties`, written from the binding's project version). */
    private val version: String = run {
        val resource = "META-INF/maven/ai.refold/refold-session/pom.properties"
        val stream = RefoldClient::class.java.classLoader.getResourceAsStream(resource)
        assertNotNull(stream, "no $resource: not the installed jar")
        val properties = Properties().apply { stream!!.use { load(it) } }
        properties.getProperty("version") ?: error("$resource has no version")
    }

    @Test
    fun `the installed jar carries the native library`() {
        val jar = RefoldClient::class.java.protectionDomain.codeSource.location.toString()
        assertTrue(jar.endsWith("/ai/refold/refold-session/$version/refold-session-$version.jar"), "loaded from $jar, not the installed artifact")
        val library = RefoldClient::class.java.classLoader.getResource("linux-x86-64/librefold_session_kotlin.so")
        assertNotNull(library, "no linux-x86-64/librefold_session_kotlin.so on the classpath")
        assertTrue(library.toString().startsWith("jar:"), "$library is not inside the jar")
        assertEquals(null, System.getProperty("jna.library.path"))
    }

    @Test
    fun `mints a token against the emulator`() {
        assertNotNull(System.getenv("REFOLD_BASE_URL"), "run under scripts/with-emulator.sh")
        RefoldClient().use { assertTrue(it.userAgent.startsWith("refold-session/$version (kotlin "), it.userAgent) }
        val session = runBlocking { mintOne(account) }
        assertEquals(account, session.linkedAccountId)
        assertTrue(session.expiresAt.isAfter(Instant.now()))
        assertFalse(session.toString().contains(session.token))
        assertTrue(JavaMint.mint(account).startsWith("minted "), JavaMint.mint(account))
    }

    @Test
    fun `the whole server-side flow with the cache on`() {
        val before = requestCount()
        val said = mutableListOf<String>()
        val error = runBlocking {
            RefoldClient(cache = CacheOptions()).use { refold ->
                val error = wholeFlow(refold, "consumer-flow-user") { said += it }
                val stats = refold.cacheStats() ?: error("the cache is on")
                assertEquals(1, stats.hits, "the second mint is a hit")
                error
            }
        }
        assertTrue(error is RefoldException.InvalidLinkedAccount, "$error")
        assertEquals(4, requestCount() - before, "upsert, one mint, delete, the failed mint: $said")
        assertTrue(said.any { it.startsWith("upserted LinkedAccount(") && it.contains("accountId=consumer-flow-user") }, "$said")
        assertTrue(said.any { it.startsWith("second call: the same token, from the cache") }, "$said")
        assertTrue(said.any { it.startsWith("next mint: InvalidLinkedAccount code=invalid_linked_account status=400") }, "$said")
    }

    /** The emulator's count of public-API requests (its control plane, over plain HTTP). */
    private fun requestCount(): Int {
        val url = System.getenv("REFOLD_EMULATOR_URL") ?: error("run under scripts/with-emulator.sh")
        val body = HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create("$url/__emulator/requests")).build(), HttpResponse.BodyHandlers.ofString())
            .body()
        return Regex(""""count"\s*:\s*(\d+)""").find(body)?.groupValues?.get(1)?.toInt() ?: error("no count in $body")
    }

    @Test
    fun `an unknown account is InvalidLinkedAccount`() {
        val error = assertThrows<RefoldException.InvalidLinkedAccount> { runBlocking { mintOne("no-such-account") } }
        assertEquals("invalid_linked_account", error.code)
        assertEquals(400, error.status)
        assertEquals("INVALID_LINKED_ACCOUNT_ID", error.serverCode)
    }
}
