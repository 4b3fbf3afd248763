// Store hits on the JVM: RefoldClient with the session cache and its Redis store
// (bindings-kotlin's StoreOptions). Compiled only when the binding's jar has StoreOptions
// (bench/prepare.sh passes -Drefold.store=1; see bench/jvm/pom.xml).
//
// store-hit-*: prepare() has a separate client mint every account of the warm-up and timed
// phases (Redis warm) and closes it; the measured client is fresh (its in-process cache is
// empty) and asks for each account once, so every call is an in-process miss answered by Redis.
// fleet: prepare() prints READY and waits for a line on stdin, then the K accounts are asked for.
package bench

import ai.refold.session.CacheOptions
import ai.refold.session.RefoldClient
import ai.refold.session.StoreOptions

class OursStore(private val args: BenchArgs, override val coroutines: Boolean) : BenchClient {
    private fun newClient() = RefoldClient(
        apiKey = args.key,
        baseUrl = args.url,
        cache = CacheOptions(
            store = StoreOptions(
                redisUrl = args.redisUrl,
                encryptionKeys = listOf(args.encryptionKey),
                keyPrefix = args.keyPrefix,
            ),
        ),
    )

    private lateinit var client: RefoldClient

    override fun prepare(args: BenchArgs): Pair<List<String>, List<String>> {
        if (args.client == "fleet") {
            client = newClient()
            println("READY")
            System.out.flush()
            readLine()
            return emptyList<String>() to args.ids(args.prefix, args.accounts)
        }
        client = newClient()
        newClient().use { warmer ->
            val warming = object : BenchClient {
                override fun blocking(id: String): String = warmer.getTokenForLinkedAccountBlocking(id).token
            }
            warm(warming, args.warmIds, "warming the store")
            warm(warming, args.timedIds, "warming the store")
        }
        return args.warmIds to args.timedIds
    }

    override fun blocking(id: String): String = client.getTokenForLinkedAccountBlocking(id).token

    override suspend fun suspending(id: String): String = client.getTokenForLinkedAccount(id).token

    override fun stats(): Map<String, Long>? = client.cacheStats()?.let {
        mapOf(
            "hits" to it.hits,
            "misses" to it.misses,
            "coalesced" to it.coalesced,
            "store_hits" to it.storeHits,
            "store_errors" to it.storeErrors,
        )
    }

    override fun close() = client.close()
}
