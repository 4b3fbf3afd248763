// Where ours spends its time on the JVM: the cost of uniffi/JNA crossings, measured without the
// network. Run by bench/profile/profile.sh (jvm-ffi); not part of make bench.
//   java -cp ... bench.FfiCostKt URL KEY
package bench

import ai.refold.session.ffi.FfiClient
import kotlinx.coroutines.runBlocking

fun main(args: Array<String>) {
    val (url, key) = args
    val ffi = FfiClient(key, null, url, null, null, System.getProperty("java.version"))
    val token = runBlocking { ffi.getTokenForLinkedAccount("ffi-cost") }!!

    fun perCallNs(rounds: Int, body: () -> Unit): Double {
        repeat(rounds / 5) { body() } // warm-up (JIT)
        val t0 = System.nanoTime()
        repeat(rounds) { body() }
        return (System.nanoTime() - t0).toDouble() / rounds
    }
    val oneGetter = perCallNs(200_000) { token.token() }
    val fiveGetters = perCallNs(100_000) {
        token.token(); token.linkedAccountId(); token.expiresAt(); token.issuedAt(); token.redacted()
    }
    val endpoint = perCallNs(200_000) { ffi.endpoint() }
    println("one FfiSessionToken getter (clone handle + call + RustBuffer free): %.2f µs".format(oneGetter / 1000))
    println("SessionToken.from's five getters:                            %.2f µs".format(fiveGetters / 1000))
    println("FfiClient.endpoint() (String? result):                       %.2f µs".format(endpoint / 1000))
    // A full call, sequential, for scale (network included).
    val full = perCallNs(5_000) { runBlocking { ffi.getTokenForLinkedAccount("ffi-cost")!!.close() } }
    println("full getTokenForLinkedAccount via runBlocking, c=1:          %.2f µs".format(full / 1000))
}
