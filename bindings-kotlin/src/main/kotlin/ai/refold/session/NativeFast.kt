package ai.refold.session

import ai.refold.session.ffi.ErrorInfo
import ai.refold.session.ffi.UniffiLib
import ai.refold.session.ffi.fastEntryAddress
import com.sun.jna.JNIEnv
import com.sun.jna.Library
import com.sun.jna.NativeLibrary
import kotlinx.coroutines.CancellableContinuation
import java.nio.ByteBuffer
import java.time.Duration
import java.time.Instant
import java.util.concurrent.atomic.AtomicLong
import kotlin.coroutines.resume

/**
 * The JNI entry points of the hot calls (`bindings-kotlin/src/fast.rs`): minting a token
 * (blocking and suspending) and the synchronous cache lookup, one native call each. A token
 * answers as the [SessionToken] itself: made once per token by [adopt] (called from native code)
 * and kept by the core with its token, so a cache hit returns that same object. An error answers
 * as a `byte[]` record thrown here as the [RefoldException] the uniffi path throws for it. See
 * fast.rs for the records' layout. Every other call, and these when JNI is unavailable, take
 * the uniffi path.
 *
 * The entry points live in the library uniffi's JNA bindings already loaded, and are bound to
 * this object's `external` methods by `RegisterNatives` on that library instance (called once
 * through JNA), not by `System.load`: JNA deletes the temporary file it extracts a jar's library
 * to as soon as it is loaded. `init` then checks that the copy bound is the one uniffi calls
 * before the path is taken ([available]).
 */
internal object NativeFast {
    /** Whether the JNI entry points are usable; if not, [RefoldClient] keeps the uniffi path. */
    @JvmField
    val available: Boolean = load()

    private fun load(): Boolean = try {
        // That copy's address of the JNI `init` (this uniffi call also loads the library).
        val expected = fastEntryAddress().toLong()
        register("refold_session_kotlin_register_natives", NativeFast::class.java) &&
            init(Completion::class.java, expected)
    } catch (error: LinkageError) {
        false
    } catch (error: RuntimeException) {
        false
    }

    /**
     * Calls [symbol] (`fn(JNIEnv*, jclass) -> jint`, `RegisterNatives` for [target]) in the
     * library instance uniffi's generated code registered with: the same name and class loader,
     * hence JNA's cached instance.
     */
    fun register(symbol: String, target: Class<*>): Boolean {
        val name = System.getProperty("uniffi.component.refold_session_kotlin.libraryOverride") ?: "refold_session_kotlin"
        val library = NativeLibrary.getInstance(name, mapOf(Library.OPTION_CLASSLOADER to UniffiLib::class.java.classLoader))
        val status = library.getFunction(symbol)
            .invoke(Int::class.javaObjectType, arrayOf(JNIEnv.CURRENT, target), mapOf(Library.OPTION_ALLOW_OBJECTS to true))
        return status == 0
    }

    @JvmStatic
    private external fun init(completion: Class<Completion>, expected: Long): Boolean

    /** `getTokenForLinkedAccountBlocking`: a [SessionToken], an error record, or null for a released client. */
    @JvmStatic
    external fun mintBlocking(handle: Long, linkedAccountId: String, fresh: Boolean, options: ByteArray?): Any?

    /**
     * The cache's synchronous answer (a [SessionToken] or an error record), null when it has
     * none; a hit is recorded under [parent] (a traceparent, null: none).
     */
    @JvmStatic
    external fun cachedToken(handle: Long, linkedAccountId: String, parent: String?): Any?

    /**
     * `getTokenForLinkedAccount` as a task on the native runtime, which hands its answer to
     * [completion] when done. Returns the call's id for [cancel], or 0 when [completion] already
     * has the answer.
     */
    @JvmStatic
    external fun mintStart(handle: Long, linkedAccountId: String, fresh: Boolean, options: ByteArray?, completion: Completion): Long

    /** Abandons a call started by [mintStart] (nothing if it has finished). */
    @JvmStatic
    external fun cancel(call: Long)

    /** Gives back the strong reference of a handle from `fastHandle()`. */
    @JvmStatic
    external fun free(handle: Long)

    /** Whether the native telemetry hook hands traces to [record] (an OpenTelemetry is registered). */
    @JvmStatic
    external fun setRecording(on: Boolean)

    /** Forwards the core's log lines from [level] (SLF4J's `Level.toInt()`) to [log]; false if already done. */
    @JvmStatic
    external fun installLogger(level: Int): Boolean

    /** A call's trace (telemetry.rs describes the record), called by native code when a call ends. */
    @JvmStatic
    fun record(trace: ByteArray) {
        Tracing.bridge?.record(trace)
    }

    /** One of the core's log lines (UTF-8), called by native code. */
    @JvmStatic
    fun log(level: Int, line: ByteArray) {
        Logs.sink?.log(level, String(line, Charsets.UTF_8))
    }

    /** Resumes a suspended [mintStart] with its answer; called once, by the native runtime. */
    class Completion(private val continuation: CancellableContinuation<Any?>) {
        fun complete(answer: Any?) = continuation.resume(answer)
    }

    /**
     * An entry's answer: the [SessionToken], an error record thrown as its [RefoldException],
     * or null (a released client, or a cache miss).
     */
    fun token(answer: Any?): SessionToken? = when (answer) {
        is SessionToken -> answer
        is ByteArray -> throw exception(answer)
        else -> null
    }

    /** The [SessionToken] of a token record (called by native code, once per token); the record is zeroed. */
    @JvmStatic
    fun adopt(record: ByteArray): SessionToken {
        val buf = ByteBuffer.wrap(record)
        try {
            return SessionToken.of(
                token = buf.text(),
                linkedAccountId = buf.text(),
                expiresAt = buf.instant(),
                issuedAt = buf.optional { instant() },
                redacted = buf.text(),
                refreshToken = buf.optional { text() },
                refreshExpiresAt = buf.optional { instant() },
                refreshRedacted = buf.optional { text() },
            )
        } finally {
            record.fill(0)
        }
    }

    /** An error record as the exception the uniffi path throws for it. */
    fun exception(record: ByteArray): RefoldException {
        val buf = ByteBuffer.wrap(record)
        val info = ErrorInfo(
            code = buf.text(),
            detail = buf.text(),
            status = buf.optional { getInt() },
            requestId = buf.optional { text() },
            retryAfter = buf.optional { Duration.ofSeconds(getLong(), getInt().toLong()) },
            attempts = buf.getInt(),
            serverCode = buf.optional { text() },
            httpErrorType = buf.optional { text() },
        )
        return RefoldException.from(info)
    }

    private inline fun <T> ByteBuffer.optional(read: ByteBuffer.() -> T): T? = if (get().toInt() != 0) read() else null

    private fun ByteBuffer.text(): String {
        val length = getInt()
        val text = String(array(), arrayOffset() + position(), length, Charsets.UTF_8)
        position(position() + length)
        return text
    }

    /** uniffi's `FfiConverterTimestamp`, on the same encoding. */
    private fun ByteBuffer.instant(): Instant {
        val seconds = getLong()
        val nanos = getInt().toLong()
        return if (seconds >= 0) {
            Instant.EPOCH.plus(Duration.ofSeconds(seconds, nanos))
        } else {
            Instant.EPOCH.minus(Duration.ofSeconds(-seconds, nanos))
        }
    }
}

/**
 * A [RefoldClient]'s own strong reference to its native client, for [NativeFast]'s calls: taken
 * once with `fastHandle()` (the native crate's own `Arc::into_raw`), borrowed by each call while [calls] counts it
 * in flight, given back once when the client is closed and no call is in flight (or, for a
 * client never closed, by the cleaner once this object is unreachable, hence no call can be in
 * flight). The same scheme as the generated object's own call counter.
 */
internal class FastHandle(private val handle: Long) {
    /** 1 while open, plus the calls in flight; 0 once given back. */
    @PublishedApi
    internal val calls = AtomicLong(1)
    private val cleanable = UniffiLib.CLEANER.register(this, Free(handle))

    /** Runs [call] with the handle; [closed] when it was given back already. */
    inline fun <T> use(closed: () -> Nothing, call: (Long) -> T): T {
        while (true) {
            val count = calls.get()
            if (count == 0L) closed()
            if (calls.compareAndSet(count, count + 1)) break
        }
        try {
            return call(handle())
        } finally {
            release()
        }
    }

    /** The client was closed: the handle is given back after the last call in flight. */
    fun close() = release()

    @PublishedApi
    internal fun handle(): Long = handle

    @PublishedApi
    internal fun release() {
        if (calls.decrementAndGet() == 0L) cleanable.clean()
    }

    /** Not capturing the [FastHandle]: the cleaner's action once it is unreachable. */
    private class Free(private val handle: Long) : Runnable {
        override fun run() = NativeFast.free(handle)
    }
}
