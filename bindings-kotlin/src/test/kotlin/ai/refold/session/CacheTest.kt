package ai.refold.session

import ai.refold.session.ffi.FfiClient
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.util.concurrent.TimeUnit
import kotlin.coroutines.Continuation
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.startCoroutine

/** The session cache through the Kotlin API, against a live emulator (the core's cache decides). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CacheTest {
    private lateinit var emulator: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator.start("acct-1", "acct-2")
    }

    @AfterAll
    fun stop() = emulator.close()

    @BeforeEach
    fun reset() = emulator.reset()

    private fun client(cache: CacheOptions? = CacheOptions()) =
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = cache)

    @Test
    fun `off by default every call mints and there are no stats`() = client(cache = null).use { refold ->
        val first = refold.getTokenForLinkedAccountBlocking("acct-1")
        val second = runBlocking { refold.getTokenForLinkedAccount("acct-1") }
        // Two requests; Refold answers the account's current token again.
        assertEquals(first.token, second.token)
        assertNull(refold.cacheStats())
        refold.invalidate("acct-1") // does nothing without a cache
        refold.invalidateAll()
        assertEquals(2, emulator.requestCount())
    }

    @Test
    fun `hits, fresh calls and invalidation on every calling style`() = client().use { refold ->
        val first = runBlocking { refold.getTokenForLinkedAccount("acct-1") }
        assertEquals(first, refold.getTokenForLinkedAccountBlocking("acct-1"), "a hit returns the cached token")
        assertEquals(first, refold.getTokenForLinkedAccountAsync("acct-1").get(10, TimeUnit.SECONDS))
        assertEquals(1, emulator.requestCount())

        val fresh = refold.getTokenForLinkedAccountBlocking("acct-1", fresh = true)
        assertNotEquals(first.token, fresh.token)
        assertEquals(fresh, runBlocking { refold.getTokenForLinkedAccount("acct-1") }, "fresh stores its token")
        val freshAsync = refold.getTokenForLinkedAccountAsync("acct-1", fresh = true).get(10, TimeUnit.SECONDS)
        val freshSuspend = runBlocking { refold.getTokenForLinkedAccount("acct-1", fresh = true) }
        assertEquals(3, setOf(fresh.token, freshAsync.token, freshSuspend.token).size)
        assertEquals(4, emulator.requestCount())

        refold.getTokenForLinkedAccountBlocking("acct-2")
        refold.invalidate("acct-1")
        // A miss asks Refold again (the count below), which answers its current token.
        assertEquals(freshSuspend.token, refold.getTokenForLinkedAccountBlocking("acct-1").token)
        assertEquals(6, emulator.requestCount())
        refold.invalidateAll()
        refold.getTokenForLinkedAccountBlocking("acct-1")
        refold.getTokenForLinkedAccountBlocking("acct-2")
        assertEquals(8, emulator.requestCount())
        // Ids the core would reject, or that are not valid Unicode, are simply not cached.
        refold.invalidate("")
        refold.invalidate("acct-\uD800")

        val stats = refold.cacheStats() ?: error("the cache is on")
        assertEquals(CacheStats(hits = 3, misses = 8, coalesced = 0, refreshes = 0, refreshFailures = 0, evictions = 0, entries = 2), stats)
    }

    @Test
    fun `a hit is answered on the calling thread without the native runtime`() = client().use { refold ->
        // The client's native half, for its test-only count of the tasks it spawned.
        val native = RefoldClient::class.java.getDeclaredField("native").run {
            isAccessible = true
            get(refold) as FfiClient
        }
        val first = refold.getTokenForLinkedAccountBlocking("acct-1")
        assertEquals(1uL, native.spawnedTaskCount(), "a miss runs on the runtime")

        // The task count is what tells the paths apart (a hit on the runtime can be quick enough
        // to look synchronous too); on the fast path every form has its answer on return.
        assertEquals(first, refold.getTokenForLinkedAccountBlocking("acct-1"))
        val future = refold.getTokenForLinkedAccountAsync("acct-1")
        assertTrue(future.isDone, "a hit's future is complete when it is returned")
        assertEquals(first, future.getNow(null))
        // Started on this thread, the suspend form has finished when startCoroutine returns.
        var outcome: Result<SessionToken>? = null
        suspend { refold.getTokenForLinkedAccount("acct-1") }
            .startCoroutine(Continuation(EmptyCoroutineContext) { outcome = it })
        assertEquals(first, outcome?.getOrThrow(), "the suspend form returned without suspending")
        assertEquals(1uL, native.spawnedTaskCount(), "no hit spawned a task")

        // Misses and fresh calls still take the async path, on every calling style.
        assertFalse(refold.getTokenForLinkedAccountAsync("acct-2").get(10, TimeUnit.SECONDS) == first)
        runBlocking { refold.getTokenForLinkedAccount("acct-1", fresh = true) }
        refold.getTokenForLinkedAccountBlocking("acct-2", fresh = true)
        assertEquals(4uL, native.spawnedTaskCount())
        assertEquals(4, emulator.requestCount())
        val stats = refold.cacheStats() ?: error("the cache is on")
        assertEquals(3L, stats.hits, "fast-path hits are counted once each")
        assertEquals(4L, stats.misses)
    }

    @Test
    fun `neither the client nor its stats show a cached token or the key`() = client().use { refold ->
        val token = refold.getTokenForLinkedAccountBlocking("acct-1")
        refold.getTokenForLinkedAccountBlocking("acct-1")
        val shown = listOf(refold.toString(), refold.cacheStats().toString(), token.toString(), CacheOptions().toString())
        for (text in shown) {
            assertFalse(text.contains(token.token), text)
            assertFalse(text.contains(token.token.takeLast(16)), text)
            assertFalse(text.contains(Emulator.KEY), text)
        }
    }

    @Test
    fun `an error is never cached`() = client().use { refold ->
        repeat(2) { assertThrows<RefoldException.InvalidLinkedAccount> { refold.getTokenForLinkedAccountBlocking("no-such-account") } }
        assertEquals(2, emulator.requestCount())
        assertEquals(0, refold.cacheStats()?.entries)
    }

    @Test
    fun `deleting an account drops its cached token`() = client().use { refold ->
        refold.upsertLinkedAccountBlocking(LinkedAccountInput("la-cache-gone"))
        refold.getTokenForLinkedAccountBlocking("la-cache-gone")
        refold.deleteLinkedAccountBlocking("la-cache-gone")
        val error = assertThrows<RefoldException.InvalidLinkedAccount> { refold.getTokenForLinkedAccountBlocking("la-cache-gone") }
        assertEquals(400, error.status)
        assertEquals(4, emulator.requestCount(), "upsert, mint, delete, the mint after the delete")
        assertEquals(0, refold.cacheStats()?.entries)
    }

    @Test
    fun `a panic in the core with the cache on is Internal and the client survives`() = client().use { refold ->
        val id = "__refold_test_hooks_panic__"
        assertThrows<RefoldException.Internal> { refold.getTokenForLinkedAccountBlocking(id) }
        assertThrows<RefoldException.Internal> { runBlocking { refold.getTokenForLinkedAccount(id) } }
        assertThrows<RefoldException.Internal> { refold.getTokenForLinkedAccountBlocking(id, fresh = true) }
        assertEquals(0, refold.cacheStats()?.entries)
        val token = refold.getTokenForLinkedAccountBlocking("acct-1")
        assertEquals(token, runBlocking { refold.getTokenForLinkedAccount("acct-1") })
        assertEquals(1, emulator.requestCount())
    }

    @Test
    fun `unusable cache options are Configuration errors in seconds`() {
        val cases = listOf(
            CacheOptions(maxEntries = 0) to "cache.maxEntries",
            CacheOptions(maxEntries = -5) to "cache.maxEntries",
            CacheOptions(minRemaining = Duration.ofMillis(-1500)) to "-1.5",
            CacheOptions(minRemaining = Duration.ofHours(25)) to "seconds",
            CacheOptions(refreshAhead = Duration.ofSeconds(-2)) to "seconds",
            CacheOptions(minRemaining = Duration.ofSeconds(10), refreshAhead = Duration.ofSeconds(5)) to "cache.refreshAhead",
        )
        for ((options, words) in cases) {
            val error = assertThrows<RefoldException.Configuration>("$options") { client(options) }
            assertTrue(error.message.contains(words), "$options: ${error.message}")
            assertEquals(0, error.attempts)
        }
        // Every default, or each one given, is fine.
        client(CacheOptions(maxEntries = 1, minRemaining = Duration.ZERO, refreshAhead = Duration.ofMinutes(90))).close()
        assertEquals(0, emulator.requestCount())
    }

    @Test
    fun `the cache calls of a closed client throw IllegalStateException`() {
        for (cache in listOf(CacheOptions(), null)) {
            val refold = client(cache)
            refold.close()
            assertThrows<IllegalStateException> { refold.cacheStats() }
            assertThrows<IllegalStateException> { refold.invalidate("acct-1") }
            assertThrows<IllegalStateException> { refold.invalidateAll() }
            assertThrows<IllegalStateException> { refold.getTokenForLinkedAccountBlocking("acct-1", fresh = true) }
        }
    }
}
