package ai.refold.session

/**
 * A JVM program as users write it: mint one token with options from the environment
 * (REFOLD_API_KEY, REFOLD_BASE_URL), print it redacted, return. ProcessExitTest runs it in a
 * fresh JVM and checks that the JVM then exits by itself.
 */
object OneShotMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val refold = RefoldClient() // deliberately not closed: holding a client must not keep the JVM alive
        val token = refold.getTokenForLinkedAccountBlocking(args.firstOrNull() ?: "acct-1")
        println("minted $token")
        System.out.flush()
    }
}
