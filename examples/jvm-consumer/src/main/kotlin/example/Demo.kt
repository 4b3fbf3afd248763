package example

import ai.refold.session.RefoldClient
import ai.refold.session.RefoldException
import ai.refold.session.SessionToken
import kotlinx.coroutines.runBlocking

/** Mints a token for [linkedAccountId] with options from REFOLD_API_KEY / REFOLD_BASE_URL. */
suspend fun mintOne(linkedAccountId: String): SessionToken =
    RefoldClient().use { refold -> refold.getTokenForLinkedAccount(linkedAccountId) }

fun main(args: Array<String>) = runBlocking {
    val account = args.firstOrNull() ?: "demo-user"
    RefoldClient().use { refold ->
        val session = refold.getTokenForLinkedAccount(account)
        println("kotlin: minted $session")
        println("kotlin: hand session.token (${session.token.length} chars) to the front end; it expires at ${session.expiresAt}")

        try {
            refold.getTokenForLinkedAccount("no-such-account")
        } catch (e: RefoldException.InvalidLinkedAccount) {
            println("kotlin: ${e::class.simpleName} code=${e.code} status=${e.status} attempts=${e.attempts} requestId=${e.requestId}")
            println("kotlin:   ${e.message}")
        }
    }
    // Java's blocking API, from the same artifact.
    println("java:   " + JavaMint.mint(account))
}
