package ai.refold.session

import ai.refold.session.ffi.FfiException
import ai.refold.session.ffi.FfiWebhookEvent
import ai.refold.session.ffi.parseWebhookEvent as nativeParseWebhookEvent
import ai.refold.session.ffi.verifyWebhookSignature as nativeVerifyWebhookSignature

/**
 * What needs no client: checking a webhook delivery with a given API key, and reading its event
 * (docs/contract.md §15). Both are the Rust core's.
 *
 * ```kotlin
 * if (!Refold.verifyWebhookSignature(rawBody, request.getHeader("x-cobalt-signature"), apiKey)) return 401
 * val event = Refold.parseWebhookEvent(rawBody)
 * ```
 */
object Refold {
    /**
     * Whether [signatureHeader] (`x-cobalt-signature`) is the HMAC-SHA256 of [rawBody] keyed on
     * [apiKey], compared in constant time. A missing (null), empty, short, long or non-hex header,
     * a `sha256=` prefix, or an empty key is false, never an exception. Pass the bytes received,
     * before any JSON parsing.
     */
    @JvmStatic
    fun verifyWebhookSignature(rawBody: ByteArray, signatureHeader: String?, apiKey: String): Boolean {
        val header = signatureHeader?.takeIf { it.isValidUnicode() } ?: return false
        if (!apiKey.isValidUnicode()) return false
        val key = apiKey.toByteArray(Charsets.UTF_8)
        return try {
            translateWebhook { nativeVerifyWebhookSignature(rawBody, header, key) }
        } finally {
            key.fill(0)
        }
    }

    /**
     * Reads a webhook body (verify its signature first).
     *
     * @throws RefoldException.InvalidInput for a body over 1 MiB, not a JSON object, without a
     *   string `event`, or with a documented member neither a string nor null.
     */
    @JvmStatic
    @Throws(RefoldException::class)
    fun parseWebhookEvent(rawBody: ByteArray): WebhookEvent =
        WebhookEvent.from(translateWebhook { nativeParseWebhookEvent(rawBody) })
}

/**
 * A webhook event; members a payload lacks are null.
 *
 * @property eventType the `event` member: `Connection Created`, `Connection Deleted`,
 *   `Connection Expired`, `Workflow Completed`, `Workflow Errored`, or a name this version does
 *   not know.
 * @property kind the `type` member (connection events, e.g. `General`).
 * @property slug the app (connection events).
 * @property createdAt `createdAt` as sent (an HTTP date).
 * @property instanceId the workflow run (workflow events).
 * @property status `COMPLETED` or `ERRORED` (workflow events).
 * @property dedupKey what identifies the event across repeated deliveries: deduplicate on it.
 * @property raw the whole payload (read-only), members this type does not name included.
 */
data class WebhookEvent(
    val eventType: String,
    val linkedAccountId: String?,
    val orgId: String?,
    val environment: String?,
    val kind: String?,
    val slug: String?,
    val createdAt: String?,
    val instanceId: String?,
    val workflowId: String?,
    val workflowName: String?,
    val configId: String?,
    val status: String?,
    val dedupKey: String,
    val raw: Map<String, Any?>,
) {
    internal companion object {
        fun from(native: FfiWebhookEvent) = WebhookEvent(
            eventType = native.eventType,
            linkedAccountId = native.linkedAccountId,
            orgId = native.orgId,
            environment = native.environment,
            kind = native.kind,
            slug = native.slug,
            createdAt = native.createdAt,
            instanceId = native.instanceId,
            workflowId = native.workflowId,
            workflowName = native.workflowName,
            configId = native.configId,
            status = native.status,
            dedupKey = native.dedupKey,
            raw = native.json.toKotlinMap(),
        )
    }
}

internal inline fun <T> translateWebhook(call: () -> T): T =
    try {
        call()
    } catch (error: FfiException) {
        throw RefoldException.from(error)
    }
