package ai.refold.session

/**
 * A JVM program as users write it: mint one token with options from the environment
 * (REFOLD_API_KEY, REFOLD_BASE_URL), print it redacted, return. ProcessExitTest runs it in a
 * fresh JVM and checks that the JVM then exits by itself. With `--no-environment` the client
 * reads no environment variable (`readEnvironmentVariables = false`): it prints the error code.
 */
object OneShotMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val readEnvironment = if ("--no-environment" in args) false else null
        // Deliberately not closed: holding a client must not keep the JVM alive.
        val refold = try {
            RefoldClient(readEnvironmentVariables = readEnvironment)
        } catch (error: RefoldException) {
            println("refused ${error.code}")
            return
        }
        val token = refold.getTokenForLinkedAccountBlocking(args.firstOrNull() ?: "acct-1")
        println("minted $token")
        System.out.flush()
    }
}
