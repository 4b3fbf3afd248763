// Cache hits on the JVM: RefoldClient with the session cache on (bindings-kotlin's
// CacheOptions). prepare() mints K accounts; every timed call is then a hit.
package bench

import ai.refold.session.CacheOptions
import ai.refold.session.RefoldClient

class OursCacheHit(args: BenchArgs, override val coroutines: Boolean) : BenchClient {
    private val client = RefoldClient(apiKey = args.key, baseUrl = args.url, cache = CacheOptions())

    init {
        checkNotNull(client.cacheStats()) { "this build of refold-session has no session cache" }
    }

    override fun prepare(args: BenchArgs): Pair<List<String>, List<String>> {
        val accounts = args.ids(args.prefix, args.accounts)
        warm(this, accounts, "minting the accounts to hit")
        return accounts to accounts
    }

    override fun blocking(id: String): String = client.getTokenForLinkedAccountBlocking(id).token

    override suspend fun suspending(id: String): String = client.getTokenForLinkedAccount(id).token

    override fun stats(): Map<String, Long>? = client.cacheStats()?.let {
        mapOf("hits" to it.hits, "misses" to it.misses, "coalesced" to it.coalesced)
    }

    override fun close() = client.close()
}
