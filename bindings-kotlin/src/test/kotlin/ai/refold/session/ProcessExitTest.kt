package ai.refold.session

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.BufferedReader
import java.io.InputStreamReader
import java.nio.charset.StandardCharsets
import java.nio.file.Paths
import java.util.concurrent.TimeUnit

class ProcessExitTest {
    @Test
    fun `a JVM main that mints one token exits on its own within 2 s`() = Emulator.start("acct-1").use { emulator ->
        val java = Paths.get(System.getProperty("java.home"), "bin", "java").toString()
        val builder = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), OneShotMain::class.java.name, "acct-1")
            .redirectErrorStream(true)
        // Options from the environment only: proves REFOLD_API_KEY / REFOLD_BASE_URL are honoured.
        builder.environment().apply {
            remove("COBALT_API_KEY")
            remove("REFOLD_ENVIRONMENT")
            put("REFOLD_API_KEY", Emulator.KEY)
            put("REFOLD_BASE_URL", emulator.baseUrl)
        }
        val process = builder.start()
        try {
            val output = BufferedReader(InputStreamReader(process.inputStream, StandardCharsets.UTF_8))
            val lines = mutableListOf<String>()
            var minted: Long? = null
            while (minted == null) {
                val line = output.readLine() ?: break
                lines += line
                if (line.startsWith("minted ")) minted = System.nanoTime()
            }
            assertTrue(minted != null, "no token minted; output:\n${lines.joinToString("\n")}")
            val exited = process.waitFor(2, TimeUnit.SECONDS)
            val waitedMs = (System.nanoTime() - minted!!) / 1_000_000
            assertTrue(exited, "the JVM was still running ${waitedMs} ms after main returned")
            assertEquals(0, process.exitValue())
            lines += output.readLines()
            val text = lines.joinToString("\n")
            assertTrue(text.contains("linkedAccountId=acct-1"), text)
            assertFalse(text.contains(Emulator.KEY), text)
            assertEquals(1, emulator.requestCount())
        } finally {
            process.destroyForcibly()
        }
    }

    @Test
    fun `readEnvironmentVariables = false reads no REFOLD_ variable`() = Emulator.start("acct-1").use { emulator ->
        val java = Paths.get(System.getProperty("java.home"), "bin", "java").toString()
        val builder = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), OneShotMain::class.java.name, "acct-1", "--no-environment")
            .redirectErrorStream(true)
        builder.environment().apply {
            remove("COBALT_API_KEY")
            put("REFOLD_API_KEY", Emulator.KEY)
            put("REFOLD_BASE_URL", emulator.baseUrl)
        }
        val process = builder.start()
        try {
            val output = process.inputStream.bufferedReader().readText()
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), output)
            assertTrue(output.contains("refused configuration"), "the key in REFOLD_API_KEY was not read: $output")
            assertEquals(0, emulator.requestCount())
        } finally {
            process.destroyForcibly()
        }
    }
}
