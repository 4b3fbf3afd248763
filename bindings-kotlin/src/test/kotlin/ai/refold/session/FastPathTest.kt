package ai.refold.session

import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.FfiException
import ai.refold.session.ffi.errorCodes
import ai.refold.session.ffi.fastCallCount
import ai.refold.session.ffi.ffiErrorForTest
import kotlinx.coroutines.runBlocking
import org.json.JSONArray
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.nio.file.Files
import java.nio.file.Paths
import java.util.jar.JarEntry
import java.util.jar.JarOutputStream
import java.time.Duration
import java.util.concurrent.CountDownLatch
import java.util.concurrent.ExecutionException
import java.util.concurrent.TimeUnit

/** Test builds only: fast.rs's error record of `test_error(code)` (lib.rs). */
object NativeFastTestHooks {
    init {
        check(NativeFast.available && NativeFast.register("refold_session_kotlin_register_test_natives", NativeFastTestHooks::class.java))
    }

    @JvmStatic
    external fun errorRecord(code: String): ByteArray
}

/**
 * The token calls' JNI path (NativeFast, fast.rs): taken by every calling style, and its
 * answers, errors included, are the uniffi path's, field for field. (Every other suite,
 * conformance included, runs the token calls through it too.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FastPathTest {
    private lateinit var emulator: Emulator

    @BeforeAll
    fun start() {
        emulator = Emulator.start("acct-1")
    }

    @AfterAll
    fun stop() = emulator.close()

    @BeforeEach
    fun reset() = emulator.reset()

    private fun client(cache: CacheOptions? = null, maxRetries: Int? = null, timeout: Duration? = null) =
        RefoldClient(apiKey = Emulator.KEY, baseUrl = emulator.baseUrl, cache = cache, maxRetries = maxRetries, timeout = timeout)

    private fun RefoldClient.uniffi(): FfiClient = RefoldClient::class.java.getDeclaredField("native").run {
        isAccessible = true
        get(this@uniffi) as FfiClient
    }

    /** How many JNI entries [call] made. */
    private fun jniCalls(call: () -> Unit): Long {
        val before = fastCallCount()
        call()
        return (fastCallCount() - before).toLong()
    }

    @Test
    fun `every calling style mints through one JNI call and a hit through one lookup`() {
        assertTrue(NativeFast.available, "the JNI entry points are loaded")
        client().use { refold ->
            assertEquals(1, jniCalls { refold.getTokenForLinkedAccountBlocking("acct-1") })
            // The suspend and future forms: the start (no cache lookup without a cache).
            assertEquals(1, jniCalls { runBlocking { refold.getTokenForLinkedAccount("acct-1") } })
            assertEquals(1, jniCalls { refold.getTokenForLinkedAccountAsync("acct-1").get(10, TimeUnit.SECONDS) })
            assertEquals(3, emulator.requestCount())
        }
        client(cache = CacheOptions()).use { refold ->
            val first = refold.getTokenForLinkedAccountBlocking("acct-1")
            // Every hit hands back the very object made at the miss (the core token's host slot).
            assertEquals(1, jniCalls { assertSame(first, refold.getTokenForLinkedAccountBlocking("acct-1")) })
            assertEquals(1, jniCalls { assertSame(first, runBlocking { refold.getTokenForLinkedAccount("acct-1") }) })
            assertEquals(1, jniCalls { assertSame(first, refold.getTokenForLinkedAccountAsync("acct-1").getNow(null)) })
            // A miss: the lookup, then the start; a fresh call: the start only.
            refold.invalidate("acct-1")
            assertEquals(2, jniCalls { runBlocking { refold.getTokenForLinkedAccount("acct-1") } })
            assertEquals(1, jniCalls { runBlocking { refold.getTokenForLinkedAccount("acct-1", fresh = true) } })
            assertEquals(6, emulator.requestCount())
        }
    }

    @Test
    fun `every error code becomes the exception the uniffi path throws`() {
        assertTrue(NativeFast.available, "the JNI entry points are loaded")
        val codes = errorCodes()
        for (code in codes) {
            val viaUniffi = RefoldException.from(assertThrows<FfiException> { ffiErrorForTest(code) })
            val viaJni = NativeFast.exception(NativeFastTestHooks.errorRecord(code))
            assertEquals(viaUniffi.javaClass, viaJni.javaClass)
            assertEquals(describe(viaUniffi), describe(viaJni))
            // Every field was set (a record that dropped one would still match a default).
            assertEquals(code, viaJni.code)
            assertEquals("detail of $code é\uD83D\uDE00", viaJni.message)
            assertEquals(418, viaJni.status)
            assertEquals("req-test", viaJni.requestId)
            assertEquals(Duration.ofMillis(1250), viaJni.retryAfter)
            assertEquals(3, viaJni.attempts)
            assertEquals("SERVER_CODE", viaJni.serverCode)
            assertEquals("BAD_REQUEST", viaJni.httpErrorType)
        }
        // One subclass per code.
        assertEquals(codes.size, codes.map { NativeFast.exception(NativeFastTestHooks.errorRecord(it)).javaClass }.toSet().size)
    }

    @Test
    fun `server failures are the same exceptions through JNI as through uniffi`() {
        val faults = listOf(
            """{"kind":"status","status":400}""",
            """{"kind":"status","status":401}""",
            """{"kind":"status","status":403}""",
            """{"kind":"status","status":404}""",
            """{"kind":"status","status":408}""",
            """{"kind":"status","status":429,"headers":{"retry-after":"7"}}""",
            """{"kind":"status","status":500}""",
            """{"kind":"status","status":503}""",
            """{"kind":"status","status":418}""",
            """{"kind":"redirect"}""",
            """{"kind":"close"}""",
            """{"kind":"raw","body":"not json"}""",
            """{"kind":"delay","ms":1500}""",
        )
        client(maxRetries = 0, timeout = Duration.ofMillis(500)).use { refold ->
            val seen = mutableSetOf<Class<*>>()
            for (fault in faults) {
                // (through JNI?, the call)
                val errors = listOf<Pair<Boolean, () -> Unit>>(
                    true to { refold.getTokenForLinkedAccountBlocking("acct-1") },
                    true to { runBlocking { refold.getTokenForLinkedAccount("acct-1") } },
                    true to { refold.getTokenForLinkedAccountAsync("acct-1").get(10, TimeUnit.SECONDS) },
                    false to { throwUniffi(refold.uniffi()) },
                ).map { (viaJni, call) ->
                    emulator.faults(JSONArray("[$fault]"))
                    val jni = jniCalls {
                        val error = assertThrows<Exception>(fault) { call() }
                            .let { if (it is ExecutionException) it.cause!! else it }
                        assertTrue(error is RefoldException, "$fault: $error")
                        thrown = error as RefoldException
                    }
                    assertEquals(viaJni, jni > 0, "$fault: $jni JNI calls")
                    thrown!!
                }
                val shown = errors.map(::describe).toSet()
                assertEquals(1, shown.size, "$fault: $shown")
                assertEquals(1, errors.map { it.javaClass }.toSet().size, "$fault: ${errors.map { it.javaClass }}")
                seen += errors[0].javaClass
            }
            // Every kind a server causes (408 and the delay are both Timeout; 418 and the
            // redirect both UnexpectedStatus). InvalidInput and Internal: ClientTest, on every
            // calling style; Configuration is the constructor's, not a token call's.
            assertEquals(11, seen.size, "$seen")
        }
    }

    @Test
    fun `closing a client while blocking calls are in flight is safe`() {
        val refold = client(maxRetries = 0)
        emulator.faults(JSONArray(List(16) { """{"kind":"delay","ms":300}""" }.joinToString(",", "[", "]")))
        val started = CountDownLatch(16)
        val outcomes = java.util.concurrent.ConcurrentLinkedQueue<Any>()
        val threads = List(16) {
            Thread {
                started.countDown()
                outcomes += try {
                    refold.getTokenForLinkedAccountBlocking("acct-1")
                } catch (error: Exception) {
                    error
                }
            }.apply { start() }
        }
        started.await()
        Thread.sleep(100)
        refold.close()
        threads.forEach { it.join(10_000) }
        assertEquals(16, outcomes.size)
        // Each call either finished with its token or saw the client closed; none crashed.
        for (outcome in outcomes) {
            assertTrue(outcome is SessionToken || outcome is IllegalStateException, "$outcome")
        }
        assertThrows<IllegalStateException> { refold.getTokenForLinkedAccountBlocking("acct-1") }
        assertThrows<IllegalStateException> { runBlocking { refold.getTokenForLinkedAccount("acct-1") } }
    }

    @Test
    fun `the JNI path is taken when the binding and its library come from a jar`() {
        // The main classes and the library as a jar (JNA then extracts the library to a
        // temporary file and deletes it once loaded), in a fresh JVM.
        val classes = Paths.get(NativeFast::class.java.protectionDomain.codeSource.location.toURI())
        assertTrue(Files.isDirectory(classes), "$classes")
        val jar = Files.createTempFile("refold-session-", ".jar")
        try {
            JarOutputStream(Files.newOutputStream(jar)).use { out ->
                Files.walk(classes).use { paths ->
                    for (path in paths.filter { Files.isRegularFile(it) }.toList()) {
                        out.putNextEntry(JarEntry(classes.relativize(path).joinToString("/")))
                        Files.copy(path, out)
                        out.closeEntry()
                    }
                }
            }
            val classPath = (listOf(jar.toString()) + System.getProperty("java.class.path").split(File.pathSeparator)
                .filter { Paths.get(it).toAbsolutePath() != classes.toAbsolutePath() }).joinToString(File.pathSeparator)
            val java = Paths.get(System.getProperty("java.home"), "bin", "java").toString()
            val builder = ProcessBuilder(java, "-cp", classPath, JarMain::class.java.name, "acct-1").redirectErrorStream(true)
            builder.environment().apply {
                put("REFOLD_API_KEY", Emulator.KEY)
                put("REFOLD_BASE_URL", emulator.baseUrl)
            }
            val process = builder.start()
            val output = process.inputStream.bufferedReader().readText()
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), output)
            assertEquals(0, process.exitValue(), output)
            assertTrue(Regex("library=\\S*jna\\S*").containsMatchIn(output), "JNA extracted the library: $output")
            assertTrue(output.contains("available=true jniCalls=2"), output)
            assertEquals(2, emulator.requestCount())
        } finally {
            Files.deleteIfExists(jar)
        }
    }

    private var thrown: RefoldException? = null

    private fun throwUniffi(native: FfiClient) {
        try {
            native.getTokenForLinkedAccountBlocking("acct-1", false, null)
        } catch (error: FfiException) {
            throw RefoldException.from(error)
        }
    }

    /** Everything an exception carries but its request id (each request has its own). */
    private fun describe(error: RefoldException): String {
        val message = error.requestId?.let { error.message.replace(it, "<id>") } ?: error.message
        return "${error.javaClass.simpleName} ${error.code} ${error.status} ${error.retryAfter} ${error.attempts} " +
            "${error.serverCode} ${error.httpErrorType} ${error.requestId != null} $message"
    }
}
