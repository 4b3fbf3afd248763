// One JVM client of the refold-session benchmark (bench/README.md).
//   java -cp target/classes:target/lib/*[:REFOLD_JAR] bench.MainKt --client NAME --url URL --key KEY
//        --n N --concurrency C [--warmup W] [--prefix P] [--accounts K]
//        [--redis-url R --encryption-key B64 --key-prefix KP] [--value-bytes V]
// NAME (…-blocking: C platform threads; …-coroutines: C coroutines on Dispatchers.Default):
// - okhttp, jdk-httpclient (threads), ours-blocking, ours-coroutines: each call POSTs the
//   session-token request with a distinct linked_account_id, parses the JSON and returns the
//   token (ours: no cache, every call mints);
// - ours-otel-api-coroutines, ours-otel-sdk-coroutines: ours-coroutines with OpenTelemetry's API
//   on the classpath, without and with an SDK registered (spans and metrics dropped) — src/ours;
// - cache-hit-blocking, cache-hit-coroutines: ours with the cache on; K accounts are minted
//   first, then every call is a hit (the ids cycle over the K) — src/ours;
// - store-hit-blocking, store-hit-coroutines: ours with the cache and the Redis store; a separate
//   client first mints W + N accounts (Redis warm), then a fresh client (empty in-process cache)
//   asks for each once: every timed call is an in-process miss answered by Redis — src/store,
//   compiled only when the binding's jar has StoreOptions;
// - lettuce-sync (threads), lettuce-async (coroutines awaiting RedisFuture): the raw-GET peers,
//   one shared Lettuce connection GETs a V-byte value per call (W + N values SET first);
// - fleet: ours with the store (coroutines), N calls over K accounts; prints READY and waits for
//   a line on stdin before calling (bench/run.py releases every language's fleet together);
// - okhttp-async (coroutines): the scaling run's JVM peer (bench/scale.py): OkHttp enqueue()
//   awaited by C coroutines, its Dispatcher (maxRequests, maxRequestsPerHost) and connection
//   pool sized to C.
// With --concurrency equal to --n, every worker makes exactly one call and all N are started
// before any completes (the scaling run's "in flight" level).
// Prints one line: BENCH_JSON {...} (read by bench/run.py).
package bench

import com.fasterxml.jackson.databind.ObjectMapper
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.future.await
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.suspendCancellableCoroutine
import okhttp3.Call
import okhttp3.Callback
import okhttp3.ConnectionPool
import okhttp3.Dispatcher
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlin.system.exitProcess

const val SESSION_PATH = "/api/v2/public/session-token"

/** The command line. */
class BenchArgs(private val map: Map<String, String>) {
    val client = map.getValue("client")
    val url = map.getValue("url")
    val key = map.getValue("key")
    val n = map.getValue("n").toInt()
    val concurrency = map.getValue("concurrency").toInt()
    val warmup = map["warmup"]?.toInt() ?: 0
    val prefix = map["prefix"] ?: "jvm"
    val accounts = map["accounts"]?.toInt() ?: 1000
    val redisUrl = map["redis-url"] ?: ""
    val encryptionKey = map["encryption-key"] ?: ""
    val keyPrefix = map["key-prefix"] ?: "bench:"
    val valueBytes = map["value-bytes"]?.toInt() ?: 0

    fun ids(prefix: String, count: Int): List<String> = List(count) { "$prefix-$it" }
    val warmIds: List<String> get() = ids("$prefix-w", warmup)
    val timedIds: List<String> get() = ids(prefix, n)
}

/** A client under test: [suspending] is used by coroutine clients, [blocking] by thread ones. */
interface BenchClient {
    val coroutines: Boolean get() = false
    fun blocking(id: String): String
    suspend fun suspending(id: String): String = blocking(id)

    /** Set-up before any timing; returns the ids of the warm-up and of the timed phase. */
    fun prepare(args: BenchArgs): Pair<List<String>, List<String>> = args.warmIds to args.timedIds

    /** The cache's counters (hits, misses, coalesced, store_hits, store_errors), if it has one. */
    fun stats(): Map<String, Long>? = null

    fun close() {}
}

/** Runs every id once at concurrency 64 (minting accounts, warming a store); fails on errors. */
fun warm(client: BenchClient, ids: List<String>, what: String) {
    val errors = Phase(ids, ids.size, null).run(client, 64)
    check(errors == 0) { "$what failed ($errors errors)" }
}

private val mapper = ObjectMapper()

private fun body(id: String): ByteArray = mapper.writeValueAsBytes(mapOf("linked_account_id" to id))

private fun token(bytes: java.io.InputStream): String = mapper.readTree(bytes).get("token").asText()

/** OkHttp: execute() in threads, or (async) enqueue() on its Dispatcher awaited by coroutines. */
class OkHttpBench(url: String, private val key: String, concurrency: Int, async: Boolean = false) : BenchClient {
    override val coroutines = async
    private val endpoint = url + SESSION_PATH
    private val json = "application/json".toMediaType()
    // One idle connection kept per worker thread (the default keeps 5 and churns at c=64).
    private val client = OkHttpClient.Builder()
        .connectionPool(ConnectionPool(maxOf(5, concurrency), 5, TimeUnit.MINUTES))
        .apply {
            // Async: sized to the concurrency (the Dispatcher's defaults, 64 calls and 5 per
            // host, would queue the rest).
            if (async) {
                dispatcher(Dispatcher().apply {
                    maxRequests = maxOf(64, concurrency)
                    maxRequestsPerHost = maxOf(5, concurrency)
                })
            }
        }
        .build()

    private fun request(id: String): Request = Request.Builder().url(endpoint)
        .header("x-api-key", key)
        .header("accept", "application/json")
        .post(body(id).toRequestBody(json))
        .build()

    private fun tokenOf(response: Response): String = response.use {
        check(it.isSuccessful) { "status ${it.code}" }
        token(it.body.byteStream())
    }

    override fun blocking(id: String): String = tokenOf(client.newCall(request(id)).execute())

    override suspend fun suspending(id: String): String {
        if (!coroutines) return blocking(id)
        return suspendCancellableCoroutine { cont ->
            val call = client.newCall(request(id))
            cont.invokeOnCancellation { call.cancel() }
            call.enqueue(object : Callback {
                override fun onFailure(call: Call, e: java.io.IOException) = cont.resumeWithException(e)

                override fun onResponse(call: Call, response: Response) {
                    val token = try {
                        tokenOf(response)
                    } catch (e: Exception) {
                        cont.resumeWithException(e)
                        return
                    }
                    cont.resume(token)
                }
            })
        }
    }
}

class JdkHttpBench(url: String, private val key: String) : BenchClient {
    private val endpoint = URI.create(url + SESSION_PATH)
    // HTTP/1.1: on http:// the default (HTTP/2) would add an h2c upgrade to every request.
    private val client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build()

    override fun blocking(id: String): String {
        val request = HttpRequest.newBuilder(endpoint)
            .header("x-api-key", key)
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body(id)))
            .build()
        val response = client.send(request, HttpResponse.BodyHandlers.ofInputStream())
        response.body().use { stream ->
            check(response.statusCode() == 200) { "status ${response.statusCode()}" }
            return token(stream)
        }
    }
}

/** The raw-GET peer: one Lettuce connection (thread-safe, pipelined) shared by every caller. */
class LettuceBench(private val args: BenchArgs, override val coroutines: Boolean) : BenchClient {
    private val redis = io.lettuce.core.RedisClient.create(args.redisUrl)
    private val connection = redis.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE)
    private val sync = connection.sync()
    private val async = connection.async()

    override fun prepare(args: BenchArgs): Pair<List<String>, List<String>> {
        val value = ByteArray(args.valueBytes).also { java.util.Random().nextBytes(it) }
        for (ids in listOf(args.warmIds, args.timedIds)) {
            for (chunk in ids.chunked(1000)) {
                chunk.map { async.set(it.toByteArray(), value) }.forEach { it.get() }
            }
        }
        return args.warmIds to args.timedIds
    }

    private fun checked(value: ByteArray?): String {
        check(value != null && value.size == args.valueBytes) { "GET returned ${value?.size} bytes" }
        return "ok"
    }

    override fun blocking(id: String): String = checked(sync.get(id.toByteArray()))

    override suspend fun suspending(id: String): String = checked(async.get(id.toByteArray()).await())

    override fun close() {
        connection.close()
        redis.shutdown()
    }
}

/** Ours: the classes in src/ours (and src/store) exist only when the binding's jar does. */
private fun ours(className: String, vararg parameters: Pair<Class<*>, Any>): BenchClient = try {
    Class.forName(className)
        .getConstructor(*parameters.map { it.first }.toTypedArray())
        .newInstance(*parameters.map { it.second }.toTypedArray()) as BenchClient
} catch (e: ClassNotFoundException) {
    System.err.println("$className is not compiled in: build with -Drefold.jar=PATH (and a jar with StoreOptions for the store)")
    exitProcess(3)
} catch (e: java.lang.reflect.InvocationTargetException) {
    throw e.targetException
}

fun makeClient(args: BenchArgs): BenchClient = when (val name = args.client) {
    "okhttp" -> OkHttpBench(args.url, args.key, args.concurrency)
    "okhttp-async" -> OkHttpBench(args.url, args.key, args.concurrency, async = true)
    "jdk-httpclient" -> JdkHttpBench(args.url, args.key)
    "lettuce-sync", "lettuce-async" -> LettuceBench(args, name == "lettuce-async")
    "ours-blocking", "ours-coroutines" -> ours(
        "bench.Ours",
        String::class.java to args.url,
        String::class.java to args.key,
        Boolean::class.javaPrimitiveType!! to (name == "ours-coroutines"),
    )
    "ours-otel-api-coroutines", "ours-otel-sdk-coroutines" -> ours(
        "bench.OursOtel",
        String::class.java to args.url,
        String::class.java to args.key,
        Boolean::class.javaPrimitiveType!! to true,
        Boolean::class.javaPrimitiveType!! to (name == "ours-otel-sdk-coroutines"),
    )
    "cache-hit-blocking", "cache-hit-coroutines" -> ours(
        "bench.OursCacheHit",
        BenchArgs::class.java to args,
        Boolean::class.javaPrimitiveType!! to (name == "cache-hit-coroutines"),
    )
    "store-hit-blocking", "store-hit-coroutines", "fleet" -> ours(
        "bench.OursStore",
        BenchArgs::class.java to args,
        Boolean::class.javaPrimitiveType!! to (name != "store-hit-blocking"),
    )
    else -> error("unknown client $name")
}

/** `count` calls; call i uses `ids[i % ids.size]`. */
class Phase(private val ids: List<String>, private val count: Int, private val latencies: LongArray?) {
    private val next = AtomicInteger()
    val errors = AtomicInteger()

    private fun record(i: Int, t0: Long, ok: Boolean, failure: Throwable?) {
        latencies?.set(i, System.nanoTime() - t0)
        if (!ok && errors.incrementAndGet() <= 3) System.err.println("request failed: $failure")
    }

    fun threadWorker(client: BenchClient) {
        while (true) {
            val i = next.getAndIncrement()
            if (i >= count) return
            val t0 = System.nanoTime()
            try {
                val token = client.blocking(ids[i % ids.size])
                record(i, t0, token.isNotEmpty(), null)
            } catch (e: Exception) {
                record(i, t0, false, e)
            }
        }
    }

    suspend fun coroutineWorker(client: BenchClient) {
        while (true) {
            val i = next.getAndIncrement()
            if (i >= count) return
            val t0 = System.nanoTime()
            try {
                val token = client.suspending(ids[i % ids.size])
                record(i, t0, token.isNotEmpty(), null)
            } catch (e: Exception) {
                record(i, t0, false, e)
            }
        }
    }

    fun run(client: BenchClient, concurrency: Int): Int {
        val workers = minOf(concurrency, count)
        if (client.coroutines) {
            runBlocking(Dispatchers.Default) {
                repeat(workers) { launch { coroutineWorker(client) } }
            }
        } else if (workers <= 1) {
            threadWorker(client)
        } else {
            val threads = List(workers) { Thread { threadWorker(client) } }
            threads.forEach { it.start() }
            threads.forEach { it.join() }
        }
        return errors.get()
    }
}

fun percentile(sorted: LongArray, p: Int): Long {
    if (sorted.isEmpty()) return 0
    val rank = maxOf(0, ((p.toLong() * sorted.size + 99) / 100).toInt() - 1)
    return sorted[minOf(rank, sorted.size - 1)]
}

fun statsJson(before: Map<String, Long>?, after: Map<String, Long>?): String {
    if (before == null || after == null) return "null"
    return after.entries.joinToString(",", "{", "}") { (k, v) -> "\"$k\":${v - (before[k] ?: 0)}" }
}

fun main(argv: Array<String>) {
    val args = BenchArgs(argv.toList().chunked(2).associate { (k, v) -> k.removePrefix("--") to v })
    val setup = System.nanoTime()
    val client = makeClient(args)
    val (warmIds, timedIds) = client.prepare(args)
    val setupSeconds = (System.nanoTime() - setup) / 1e9

    if (args.warmup > 0 && warmIds.isNotEmpty()) Phase(warmIds, args.warmup, null).run(client, args.concurrency)
    val before = client.stats()
    val n = args.n
    val latencies = LongArray(n)
    val t0 = System.nanoTime()
    val errors = Phase(timedIds, n, latencies).run(client, args.concurrency)
    val seconds = (System.nanoTime() - t0) / 1e9
    val after = client.stats()
    client.close()
    latencies.sort()
    val runtime = "JVM ${System.getProperty("java.version")}"
    println(
        "BENCH_JSON {\"client\":\"${args.client}\",\"n\":$n,\"concurrency\":${args.concurrency},\"seconds\":$seconds," +
            "\"rps\":${n / seconds},\"p50_ms\":${percentile(latencies, 50) / 1e6}," +
            "\"p99_ms\":${percentile(latencies, 99) / 1e6},\"errors\":$errors,\"setup_s\":$setupSeconds," +
            "\"stats\":${statsJson(before, after)},\"runtime\":\"$runtime\"}",
    )
    System.out.flush()
    exitProcess(0)
}
