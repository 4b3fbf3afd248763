// One JVM client of the refold-session benchmark (bench/README.md).
//   java -cp target/classes:target/lib/*[:REFOLD_JAR] bench.MainKt --client NAME --url URL --key KEY
//        --n N --concurrency C [--warmup W] [--prefix P]
// NAME: okhttp, jdk-httpclient (C platform threads, blocking calls), ours-blocking (C threads),
// ours-coroutines (C coroutines on Dispatchers.Default). Each call POSTs the session-token
// request with a distinct linked_account_id, parses the JSON and returns the token.
// Prints one line: BENCH_JSON {...} (read by bench/run.py).
package bench

import com.fasterxml.jackson.databind.ObjectMapper
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import okhttp3.ConnectionPool
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.system.exitProcess

const val SESSION_PATH = "/api/v2/public/session-token"

/** A client under test: [suspending] is used by coroutine clients, [blocking] by thread ones. */
interface BenchClient {
    val coroutines: Boolean get() = false
    fun blocking(id: String): String
    suspend fun suspending(id: String): String = blocking(id)
}

private val mapper = ObjectMapper()

private fun body(id: String): ByteArray = mapper.writeValueAsBytes(mapOf("linked_account_id" to id))

private fun token(bytes: java.io.InputStream): String = mapper.readTree(bytes).get("token").asText()

class OkHttpBench(url: String, private val key: String, concurrency: Int) : BenchClient {
    private val endpoint = url + SESSION_PATH
    private val json = "application/json".toMediaType()
    // One idle connection kept per worker thread (the default keeps 5 and churns at c=64).
    private val client = OkHttpClient.Builder()
        .connectionPool(ConnectionPool(maxOf(5, concurrency), 5, TimeUnit.MINUTES))
        .build()

    override fun blocking(id: String): String {
        val request = Request.Builder().url(endpoint)
            .header("x-api-key", key)
            .header("accept", "application/json")
            .post(body(id).toRequestBody(json))
            .build()
        client.newCall(request).execute().use { response ->
            check(response.isSuccessful) { "status ${response.code}" }
            return token(response.body.byteStream())
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

fun makeClient(name: String, url: String, key: String, concurrency: Int): BenchClient = when (name) {
    "okhttp" -> OkHttpBench(url, key, concurrency)
    "jdk-httpclient" -> JdkHttpBench(url, key)
    "ours-blocking", "ours-coroutines" -> try {
        Class.forName("bench.Ours")
            .getConstructor(String::class.java, String::class.java, Boolean::class.javaPrimitiveType)
            .newInstance(url, key, name == "ours-coroutines") as BenchClient
    } catch (e: ClassNotFoundException) {
        System.err.println("ours is not compiled in: build with -Drefold.jar=PATH")
        exitProcess(3)
    }
    else -> error("unknown client $name")
}

class Phase(private val prefix: String, private val count: Int, private val latencies: LongArray?) {
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
                val token = client.blocking("$prefix-$i")
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
                val token = client.suspending("$prefix-$i")
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

fun main(argv: Array<String>) {
    val args = argv.toList().chunked(2).associate { (k, v) -> k.removePrefix("--") to v }
    val name = args.getValue("client")
    val n = args.getValue("n").toInt()
    val concurrency = args.getValue("concurrency").toInt()
    val warmup = args["warmup"]?.toInt() ?: 0
    val prefix = args["prefix"] ?: "jvm"
    val client = makeClient(name, args.getValue("url"), args.getValue("key"), concurrency)

    if (warmup > 0) Phase("$prefix-w", warmup, null).run(client, concurrency)
    val latencies = LongArray(n)
    val t0 = System.nanoTime()
    val errors = Phase(prefix, n, latencies).run(client, concurrency)
    val seconds = (System.nanoTime() - t0) / 1e9
    latencies.sort()
    val runtime = "JVM ${System.getProperty("java.version")}"
    println(
        "BENCH_JSON {\"client\":\"$name\",\"n\":$n,\"concurrency\":$concurrency,\"seconds\":$seconds," +
            "\"rps\":${n / seconds},\"p50_ms\":${percentile(latencies, 50) / 1e6}," +
            "\"p99_ms\":${percentile(latencies, 99) / 1e6},\"errors\":$errors,\"runtime\":\"$runtime\"}",
    )
    System.out.flush()
    exitProcess(0)
}
