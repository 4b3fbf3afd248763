package ai.refold.session

import ai.refold.session.api.Api
import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.FfiScopedClient
import kotlinx.coroutines.flow.Flow
import kotlinx.serialization.json.JsonElement

/**
 * Any operation of Refold's API (docs/contract.md §17): [api] has one method per operation, and
 * [call] takes an operation by its id (the API description's `operationId`, e.g.
 * `listPersistentTables`). [RefoldClient] calls with the API key; [ScopedClient] acts for one
 * linked account. The core checks every argument, sends, retries and maps errors; arguments it
 * rejects, and operations a scoped client may not call, fail with
 * [RefoldException.InvalidInput] before anything is sent.
 */
abstract class ApiClient internal constructor() {
    internal abstract fun apiTarget(): ApiTarget

    internal val caller: ApiCaller by lazy { ApiCaller(apiTarget()) }

    /** Every operation of Refold's API, one method each (`api.blocking` for Java). */
    val api: Api by lazy { Api(caller) }

    /**
     * Calls the operation [operationId]: [params] by the operation's parameter names
     * (`table_id`, or `tableId`), [body] as JSON (a `JsonElement`, or `Map`/`List`/text/number/
     * `Boolean` values), the linked account it acts for, and [files] for the operations that take
     * them (multipart). Returns Refold's JSON answer (`JsonNull` when empty).
     */
    @Throws(RefoldException::class)
    suspend fun call(
        operationId: String,
        params: Map<String, Any?>? = null,
        body: Any? = null,
        linkedAccountId: String? = null,
        options: RequestOptions? = null,
        files: List<ApiFile> = emptyList(),
    ): JsonElement = caller.call(operationId, params, body, linkedAccountId, files, options)

    /** [call], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun callBlocking(
        operationId: String,
        params: Map<String, Any?>? = null,
        body: Any? = null,
        linkedAccountId: String? = null,
        options: RequestOptions? = null,
        files: List<ApiFile> = emptyList(),
    ): JsonElement = caller.callBlocking(operationId, params, body, linkedAccountId, files, options)

    /** One page of the paginated list [operationId] (its `page` parameter as given, else the first). */
    @Throws(RefoldException::class)
    suspend fun callPage(
        operationId: String,
        params: Map<String, Any?>? = null,
        body: Any? = null,
        linkedAccountId: String? = null,
        options: RequestOptions? = null,
    ): ApiPage = caller.page(operationId, params, body, linkedAccountId, options)

    /** [callPage], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun callPageBlocking(
        operationId: String,
        params: Map<String, Any?>? = null,
        body: Any? = null,
        linkedAccountId: String? = null,
        options: RequestOptions? = null,
    ): ApiPage = caller.pageBlocking(operationId, params, body, linkedAccountId, options)

    /** Every item of every page of the paginated list [operationId], fetched as the flow is collected. */
    fun callAll(
        operationId: String,
        params: Map<String, Any?>? = null,
        body: Any? = null,
        linkedAccountId: String? = null,
        options: RequestOptions? = null,
    ): Flow<JsonElement> = caller.all(operationId, params, body, linkedAccountId, options)

    /** [callAll] for blocking callers: each iterator walks the pages on the calling thread. */
    @JvmOverloads
    fun callAllBlocking(
        operationId: String,
        params: Map<String, Any?>? = null,
        body: Any? = null,
        linkedAccountId: String? = null,
        options: RequestOptions? = null,
    ): Sequence<JsonElement> = caller.allBlocking(operationId, params, body, linkedAccountId, options)
}

/** The org-level client's API: calls with the API key, and the clients scoped to one linked account. */
abstract class OrgApiClient internal constructor() : ApiClient() {
    /** The native client while open; throws [IllegalStateException] once closed. */
    internal abstract fun open(): FfiClient

    /** The per-call options as sent: with the current span's traceparent when the client traces. */
    internal abstract fun callOptions(options: RequestOptions?): ByteArray?

    internal override fun apiTarget(): ApiTarget = OrgTarget(this)

    /**
     * A client acting for [linkedAccountId] with this client's API key: it sends the id in the
     * `linked_account_id` header and may call only the operations that take it (others fail
     * with [RefoldException.InvalidInput], nothing sent). It shares this client's connections
     * and budget, and stops working when this client is closed.
     */
    @Throws(RefoldException::class)
    fun forLinkedAccount(linkedAccountId: String): ScopedClient =
        scoped(translateFfi { open().forLinkedAccount(linkedAccountId.takeIf { it.isValidUnicode() }) })

    /**
     * A client acting for the linked account whose session token is [token]: it sends the token
     * as Bearer, never the API key, and may call only the operations a session token may (others
     * fail with [RefoldException.InvalidInput], nothing sent). The token never appears in its
     * [toString] or in an error.
     */
    @Throws(RefoldException::class)
    fun forSessionToken(token: String): ScopedClient =
        scoped(translateFfi { open().forSessionToken(token.takeIf { it.isValidUnicode() }) })

    private fun scoped(native: FfiScopedClient?): ScopedClient =
        ScopedClient(this, native ?: throw IllegalStateException("This RefoldClient is closed."))
}

/**
 * A client acting for one linked account ([RefoldClient.forLinkedAccount],
 * [RefoldClient.forSessionToken]): the same [api] and [call], refusing org-level operations before
 * anything is sent. Hand it to code that must not hold the organization's power. [close] frees
 * it at once (else the garbage collector does).
 */
class ScopedClient internal constructor(private val parent: OrgApiClient, private val native: FfiScopedClient) :
    ApiClient(),
    AutoCloseable {
    /** The linked account this client acts for, when it was named by id (null for a session token). */
    val linkedAccountId: String? = native.linkedAccountId()

    internal override fun apiTarget(): ApiTarget = ScopedTarget(parent, native)

    override fun close() = native.close()

    override fun toString(): String =
        if (linkedAccountId != null) "ScopedClient(linkedAccountId=$linkedAccountId)" else "ScopedClient(sessionToken=[redacted])"
}
