package ai.refold.session

import ai.refold.session.ffi.liveClientCount
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

class ConcurrencyTest {
    @Test
    fun `1000 concurrent coroutines on one client all succeed`() {
        Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true).use { emulator ->
            val before = liveClientCount()
            val refold = RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl)
            assertEquals(before + 1u, liveClientCount())
            val tokens = runBlocking {
                withTimeout(120_000) {
                    (1..1000).map { i ->
                        async(Dispatchers.Default) { refold.getTokenForLinkedAccount("user-$i") }
                    }.awaitAll()
                }
            }
            assertEquals(1000, tokens.size)
            tokens.forEachIndexed { index, token ->
                assertEquals("user-${index + 1}", token.linkedAccountId)
                assertEquals("user-${index + 1}", Conformance.jwtPayload(token.token).getString("linked_account_id"))
            }
            assertEquals(1000, tokens.map { it.token }.toSet().size, "every token is distinct")
            assertEquals(1000, emulator.requestCount(), "one request each, no retries needed")
            refold.close()
            assertEquals(before, liveClientCount(), "close() released the native client")
        }
    }

    @Test
    fun `with the cache, 1000 concurrent coroutines for one cold account send 1 request`() {
        Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = CacheOptions()).use { refold ->
                val tokens = runBlocking {
                    withTimeout(120_000) {
                        (1..1000).map { async(Dispatchers.Default) { refold.getTokenForLinkedAccount("cold") } }.awaitAll()
                    }
                }
                assertEquals(1000, tokens.size)
                assertEquals(1, tokens.map { it.token }.toSet().size, "1,000 callers got one token")
                assertEquals(1, emulator.requestCount(), "one request for one account")
                val stats = refold.cacheStats() ?: error("the cache is on")
                assertEquals(1, stats.misses)
                assertEquals(999, stats.hits + stats.coalesced)
                assertEquals(1, stats.entries)
            }
        }
    }

    @Test
    fun `with the cache, 1000 concurrent coroutines over 100 accounts send 100 requests`() {
        Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = CacheOptions()).use { refold ->
                val tokens = runBlocking {
                    withTimeout(120_000) {
                        (0 until 1000).map { i ->
                            async(Dispatchers.Default) { refold.getTokenForLinkedAccount("acct-${i % 100}") }
                        }.awaitAll()
                    }
                }
                tokens.forEachIndexed { i, token -> assertEquals("acct-${i % 100}", token.linkedAccountId) }
                val perAccount = tokens.groupBy { it.linkedAccountId }.mapValues { (_, same) -> same.map { it.token }.toSet().size }
                assertEquals(100, perAccount.size)
                assertTrue(perAccount.values.all { it == 1 }, "one token per account: $perAccount")
                assertEquals(100, emulator.requestCount(), "one request per account")
                val stats = refold.cacheStats() ?: error("the cache is on")
                assertEquals(100, stats.misses)
                assertEquals(100, stats.entries)
            }
        }
    }

    @Test
    fun `with the cache, 1000 blocking calls from 64 threads for one cold account send 1 request`() {
        Emulator(listOf(Emulator.KEY), emptyList(), anyLinkedAccount = true).use { emulator ->
            RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = CacheOptions()).use { refold ->
                val pool = Executors.newFixedThreadPool(64)
                try {
                    val start = CountDownLatch(1)
                    val calls = (1..1000).map {
                        pool.submit<String> {
                            start.await()
                            refold.getTokenForLinkedAccountBlocking("cold").token
                        }
                    }
                    start.countDown()
                    val tokens = calls.map { it.get(120, TimeUnit.SECONDS) }
                    assertEquals(1, tokens.toSet().size)
                } finally {
                    pool.shutdownNow()
                }
                assertEquals(1, emulator.requestCount())
            }
        }
    }
}
