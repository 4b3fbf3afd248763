// Ours on the JVM: ai.refold.session.RefoldClient (bindings-kotlin), compiled only with
// -Drefold.jar=PATH (see bench/jvm/pom.xml).
package bench

import ai.refold.session.RefoldClient
import com.sun.jna.CallbackThreadInitializer
import com.sun.jna.Native

class Ours(url: String, key: String, override val coroutines: Boolean) : BenchClient {
    private val client = RefoldClient(apiKey = key, baseUrl = url)

    init {
        // Experiment (REFOLD_BENCH_JNA_KEEP_ATTACHED=1, not the default): keep the tokio threads
        // that call uniffi's future-continuation callback attached to the JVM (as daemons)
        // instead of JNA's default attach + detach around every callback.
        if (System.getenv("REFOLD_BENCH_JNA_KEEP_ATTACHED") == "1") {
            val impl = Class.forName("ai.refold.session.ffi.uniffiRustFutureContinuationCallbackImpl")
                .getField("INSTANCE").get(null) as com.sun.jna.Callback
            Native.setCallbackThreadInitializer(impl, CallbackThreadInitializer(true, false, "refold-io"))
        }
    }

    override fun blocking(id: String): String = client.getTokenForLinkedAccountBlocking(id).token

    override suspend fun suspending(id: String): String = client.getTokenForLinkedAccount(id).token
}
