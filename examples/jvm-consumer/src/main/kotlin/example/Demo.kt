package example

import ai.refold.session.CacheOptions
import ai.refold.session.LinkedAccountInput
import ai.refold.session.RefoldClient
import ai.refold.session.RefoldException
import ai.refold.session.SessionToken
import kotlinx.coroutines.runBlocking

/** Mints a token for [linkedAccountId] with options from REFOLD_API_KEY / REFOLD_BASE_URL. */
suspend fun mintOne(linkedAccountId: String): SessionToken =
    RefoldClient().use { refold -> refold.getTokenForLinkedAccount(linkedAccountId) }

/**
 * The whole server-side flow for one end-user, telling [say] each step: upsert the linked
 * account, mint its session token (twice: with the cache on, the second call is a hit), delete
 * the account, then the typed error of the next mint, which this returns.
 */
suspend fun wholeFlow(refold: RefoldClient, linkedAccountId: String, say: (String) -> Unit): RefoldException {
    val account = refold.upsertLinkedAccount(
        LinkedAccountInput(linkedAccountId, name = "Demo User", udf = mapOf("plan" to "pro", "seats" to 5)),
    )
    say("upserted $account")

    val session = refold.getTokenForLinkedAccount(linkedAccountId)
    say("minted $session")
    say("hand session.token (${session.token.length} chars) to the front end; it expires at ${session.expiresAt}")
    val again = refold.getTokenForLinkedAccount(linkedAccountId)
    val from = if (again == session) "the same token, from the cache" else "a new token"
    say("second call: $from (${refold.cacheStats()})")

    val answer = refold.deleteLinkedAccount(linkedAccountId) // drops its cached token too
    say("deleted $linkedAccountId: $answer")

    try {
        refold.getTokenForLinkedAccount(linkedAccountId)
        error("minted a token for a deleted account")
    } catch (e: RefoldException.InvalidLinkedAccount) {
        say("next mint: ${e::class.simpleName} code=${e.code} status=${e.status} attempts=${e.attempts} requestId=${e.requestId}")
        say("  ${e.message}")
        return e
    }
}

fun main(args: Array<String>) = runBlocking {
    val account = args.firstOrNull() ?: "demo-user"
    // Options from the environment (REFOLD_API_KEY, REFOLD_BASE_URL); the cache is opt-in.
    RefoldClient(cache = CacheOptions()).use { refold ->
        wholeFlow(refold, account) { println("kotlin: $it") }
    }
    // Java's blocking API, from the same artifact.
    println("java:   " + JavaMint.mint(account))
}
