package ai.refold.session

import ai.refold.session.ffi.liveClientCount
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

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
}
