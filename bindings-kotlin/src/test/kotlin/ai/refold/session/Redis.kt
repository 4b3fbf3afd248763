package ai.refold.session

import java.io.BufferedInputStream
import java.io.ByteArrayOutputStream
import java.io.InputStream
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.util.concurrent.TimeUnit

/**
 * A real `redis-server` (the Debian package `make redis-deps` installs), started on a free
 * loopback port with nothing persisted, and a minimal RESP client for the tests' own look at
 * what the binding wrote. Nothing is mocked.
 */
class Redis : AutoCloseable {
    private val dir = Files.createTempDirectory("refold-kotlin-redis-").toFile()
    private var process: Process
    val port: Int

    init {
        var started: Pair<Process, Int>? = null
        // A free port can be taken between the probe and redis-server's bind: try a few.
        for (attempt in 1..5) {
            val port = freePort()
            val process = ProcessBuilder(
                "redis-server", "--port", "$port", "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.path,
            ).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            if (waitUntilListening(process, port)) {
                started = process to port
                break
            }
            process.destroyForcibly().waitFor()
        }
        val (process, port) = checkNotNull(started) { "redis-server did not start (is it installed? `make redis-deps`)" }
        this.process = process
        this.port = port
    }

    val url: String
        get() = "redis://127.0.0.1:$port"

    /** One command; the reply as a `String` (bulk/simple), `Long`, `null` or a `List`. */
    fun command(vararg args: String): Any? =
        Socket().use { socket ->
            socket.connect(InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000)
            socket.soTimeout = 5000
            val request = ByteArrayOutputStream()
            request.write("*${args.size}\r\n".toByteArray())
            for (arg in args) {
                val bytes = arg.toByteArray(Charsets.UTF_8)
                request.write("\$${bytes.size}\r\n".toByteArray())
                request.write(bytes)
                request.write("\r\n".toByteArray())
            }
            socket.getOutputStream().write(request.toByteArray())
            reply(BufferedInputStream(socket.getInputStream()))
        }

    /** Every key in the database. */
    fun keys(): List<String> = (command("KEYS", "*") as List<*>).map { it as String }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        dir.deleteRecursively()
    }

    private fun reply(input: InputStream): Any? {
        val line = readLine(input)
        val rest = line.substring(1)
        return when (line[0]) {
            '+' -> rest
            '-' -> error("redis: $rest")
            ':' -> rest.toLong()
            '$' -> {
                val size = rest.toInt()
                if (size < 0) return null
                val bytes = input.readNBytes(size + 2)
                String(bytes, 0, size, Charsets.ISO_8859_1)
            }
            '*' -> List(rest.toInt()) { reply(input) }
            else -> error("unexpected reply $line")
        }
    }

    private fun readLine(input: InputStream): String {
        val line = ByteArrayOutputStream()
        while (true) {
            val byte = input.read()
            check(byte >= 0) { "redis closed the connection" }
            if (byte == '\n'.code) break
            if (byte != '\r'.code) line.write(byte)
        }
        return line.toString(Charsets.ISO_8859_1)
    }

    companion object {
        fun freePort(): Int = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }

        private fun waitUntilListening(process: Process, port: Int): Boolean {
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10)
            while (System.nanoTime() < deadline && process.isAlive) {
                try {
                    Socket().use { it.connect(InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200) }
                    return true
                } catch (_: java.io.IOException) {
                    Thread.sleep(20)
                }
            }
            return false
        }
    }
}
