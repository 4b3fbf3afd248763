package ai.refold.session

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.util.Base64

/**
 * The fleet store (docs/contract.md §Fleet store) through the Kotlin API: a real redis-server
 * started here on a free loopback port, a live emulator, several clients standing in for the
 * processes of a fleet. The core decides everything; these tests prove the options and stats
 * cross the binding intact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoreTest {
    private lateinit var emulator: Emulator
    private lateinit var redis: Redis

    @BeforeAll
    fun start() {
        emulator = Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true)
        redis = Redis()
    }

    @AfterAll
    fun stop() {
        emulator.close()
        redis.close()
    }

    @BeforeEach
    fun reset() {
        emulator.reset()
        redis.command("FLUSHALL")
    }

    private fun client(store: StoreOptions) =
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = CacheOptions(store = store))

    private fun store(vararg keys: String = arrayOf(KEY), prefix: String? = null) =
        StoreOptions(redisUrl = redis.url, encryptionKeys = keys.toList(), keyPrefix = prefix, timeout = Duration.ofSeconds(2))

    @Test
    fun `two clients sharing the store mint once`() {
        client(store()).use { first ->
            client(store()).use { second ->
                val minted = first.getTokenForLinkedAccountBlocking("fleet-a")
                val read = runBlocking { second.getTokenForLinkedAccount("fleet-a") }
                assertEquals(minted.token, read.token)
                assertEquals(minted.expiresAt.epochSecond, read.expiresAt.epochSecond)
                assertEquals(1, emulator.requestCount(), "the second client read the first one's token")
                // The second client now answers from its own memory.
                assertEquals(read, second.getTokenForLinkedAccountBlocking("fleet-a"))

                val firstStats = first.cacheStats() ?: error("the cache is on")
                val secondStats = second.cacheStats() ?: error("the cache is on")
                assertEquals(CacheStats(hits = 0, misses = 1, coalesced = 0, refreshes = 0, refreshFailures = 0, evictions = 0, entries = 1, storeHits = 0, storeErrors = 0), firstStats)
                assertEquals(1, secondStats.storeHits)
                assertEquals(1, secondStats.hits)
                assertEquals(0, secondStats.storeErrors)
            }
        }
    }

    @Test
    fun `concurrent calls from two clients mint once per account`() = runBlocking {
        val accounts = (1..20).map { "fleet-many-$it" }
        client(store()).use { first ->
            client(store()).use { second ->
                val calls = accounts.flatMap { id -> listOf(first, second).map { client -> async { id to client.getTokenForLinkedAccount(id).token } } }
                val tokens = calls.awaitAll().groupBy({ it.first }, { it.second })
                for ((id, seen) in tokens) assertEquals(1, seen.toSet().size, id)
                assertEquals(accounts.size, emulator.requestCount())
                val stats = listOf(first, second).map { it.cacheStats() ?: error("on") }
                // Per account, one client minted and the other read its token from Redis.
                assertEquals(accounts.size.toLong(), stats.sumOf { it.storeHits }, "$stats")
            }
        }
    }

    @Test
    fun `the prefix names every key and nothing readable is stored`() {
        client(store(prefix = "kt-test:")).use { refold ->
            val token = refold.getTokenForLinkedAccountBlocking("fleet-secret-id")
            val keys = redis.keys()
            assertEquals(1, keys.size, "$keys")
            assertTrue(keys.single().startsWith("kt-test:t:"), keys.single())
            val value = redis.command("GET", keys.single()) as String
            for (secret in listOf(token.token, "fleet-secret-id", Emulator.KEY)) {
                assertFalse(keys.single().contains(secret))
                assertFalse(value.contains(secret))
            }
        }
    }

    @Test
    fun `invalidate deletes the account's entry for the whole fleet`() {
        client(store()).use { writer -> writer.getTokenForLinkedAccountBlocking("fleet-gone") }
        client(store()).use { other -> other.invalidate("fleet-gone") }
        assertTrue(redis.keys().none { it.contains(":t:") }, "${redis.keys()}")
        client(store()).use { reader ->
            reader.getTokenForLinkedAccountBlocking("fleet-gone")
            assertEquals(0, reader.cacheStats()?.storeHits)
        }
        assertEquals(2, emulator.requestCount())
    }

    @Test
    fun `every key in the list decrypts and the first encrypts`() {
        client(store(OLD_KEY)).use { old -> old.getTokenForLinkedAccountBlocking("fleet-rotated") }
        client(store(KEY, OLD_KEY)).use { rotated ->
            rotated.getTokenForLinkedAccountBlocking("fleet-rotated")
            assertEquals(1, rotated.cacheStats()?.storeHits, "read with the second key")
            rotated.getTokenForLinkedAccountBlocking("fleet-new", fresh = true)
        }
        client(store(KEY)).use { new ->
            new.getTokenForLinkedAccountBlocking("fleet-new")
            assertEquals(1, new.cacheStats()?.storeHits, "written with the first key")
            // Another key alone reads nothing: a miss and a mint, never an error.
            new.getTokenForLinkedAccountBlocking("fleet-rotated")
            assertEquals(1, new.cacheStats()?.storeHits)
        }
        assertEquals(3, emulator.requestCount())
    }

    @Test
    fun `redis down never fails a call and counts store errors`() {
        val nothing = StoreOptions(redisUrl = "redis://127.0.0.1:${Redis.freePort()}", encryptionKeys = listOf(KEY), timeout = Duration.ofMillis(200))
        client(nothing).use { refold ->
            val first = refold.getTokenForLinkedAccountBlocking("fleet-down")
            val fresh = runBlocking { refold.getTokenForLinkedAccount("fleet-down", fresh = true) }
            assertNotEquals(first.token, fresh.token)
            val stats = refold.cacheStats() ?: error("on")
            assertTrue(stats.storeErrors >= 1, "$stats")
            assertEquals(0, stats.storeHits)
        }
        assertEquals(2, emulator.requestCount())
    }

    @Test
    fun `unusable store options are Configuration errors that show no secret`() {
        val password = "pw_DISTINCTIVE_9f1"
        val cases = listOf(
            StoreOptions(redisUrl = "http://:$password@127.0.0.1:6379", encryptionKeys = listOf(KEY)) to "redis://",
            StoreOptions(redisUrl = redis.url, encryptionKeys = listOf("c2hvcnQ=")) to "32",
            StoreOptions(redisUrl = redis.url, encryptionKeys = listOf(KEY, "not base64!")) to "number 2",
            StoreOptions(redisUrl = redis.url, encryptionKeys = listOf(KEY), keyPrefix = "has space") to "prefix",
            StoreOptions(redisUrl = redis.url, encryptionKeys = listOf(KEY), timeout = Duration.ofMillis(-500)) to "-0.5",
            // Nothing in the environment (Surefire clears REFOLD_*): the core asks for them.
            StoreOptions(encryptionKeys = listOf(KEY)) to "REFOLD_CACHE_REDIS_URL",
            StoreOptions(redisUrl = redis.url) to "REFOLD_CACHE_ENCRYPTION_KEY",
            StoreOptions(redisUrl = "redis://127.0.0.1:1\uD800", encryptionKeys = listOf(KEY)) to "cache.store.redisUrl is not valid Unicode",
            StoreOptions(redisUrl = redis.url, encryptionKeys = listOf("\uDC00")) to "cache.store.encryptionKeys[0] is not valid Unicode",
            StoreOptions(redisUrl = redis.url, encryptionKeys = listOf(KEY), keyPrefix = "p\uD800") to "cache.store.keyPrefix is not valid Unicode",
        )
        for ((options, words) in cases) {
            val error = assertThrows<RefoldException.Configuration>("$options") { client(options) }
            assertTrue(error.message.contains(words), "$options: ${error.message}")
            assertFalse(error.message.contains(password), error.message)
            assertFalse(error.message.contains(KEY), error.message)
            assertEquals(0, error.attempts)
        }
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `no string form shows the URL's password or a key`() {
        val password = "pw_DISTINCTIVE_9f1"
        val options = StoreOptions(redisUrl = "redis://:$password@127.0.0.1:${redis.port}", encryptionKeys = listOf(KEY, OLD_KEY))
        for (text in listOf(options.toString(), CacheOptions(store = options).toString())) {
            assertFalse(text.contains(password), text)
            assertFalse(text.contains(KEY) || text.contains(OLD_KEY), text)
            assertTrue(text.contains("encryptionKeys=[2 redacted]"), text)
        }
        assertEquals(options, options.copy(), "still a data class")
    }

    private companion object {
        val KEY: String = Base64.getEncoder().encodeToString(ByteArray(32) { it.toByte() })
        val OLD_KEY: String = Base64.getEncoder().encodeToString(ByteArray(32) { (it + 100).toByte() })
    }
}
