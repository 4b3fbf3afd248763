// Ours on the JVM: ai.refold.session.RefoldClient (bindings-kotlin), compiled only with
// -Drefold.jar=PATH (see bench/jvm/pom.xml).
package bench

import ai.refold.session.RefoldClient

class Ours(url: String, key: String, override val coroutines: Boolean) : BenchClient {
    private val client = RefoldClient(apiKey = key, baseUrl = url)

    override fun blocking(id: String): String = client.getTokenForLinkedAccountBlocking(id).token

    override suspend fun suspending(id: String): String = client.getTokenForLinkedAccount(id).token
}
