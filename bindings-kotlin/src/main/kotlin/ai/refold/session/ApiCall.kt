package ai.refold.session

import ai.refold.session.ffi.FfiApiFile
import ai.refold.session.ffi.FfiApiPage
import ai.refold.session.ffi.FfiApiRequest
import ai.refold.session.ffi.FfiClient
import ai.refold.session.ffi.FfiException
import ai.refold.session.ffi.FfiScopedClient
import ai.refold.session.ffi.answerShapeError
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.map
import kotlinx.serialization.DeserializationStrategy
import kotlinx.serialization.ExperimentalSerializationApi
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.longOrNull

/**
 * A file sent with an operation that takes files (an event trigger): the request goes as
 * multipart/form-data, the body's members as form fields, then each file. The core checks the
 * names and sizes (at most 32 files, 16 MiB together) before anything is sent.
 *
 * @property field the form field it is sent as (e.g. `file`).
 * @property filename the file name sent with it.
 * @property data its bytes (not copied: do not change them while the call runs).
 * @property contentType its media type (null: `application/octet-stream`).
 */
class ApiFile @JvmOverloads constructor(
    val field: String,
    val filename: String,
    val data: ByteArray,
    val contentType: String? = null,
) {
    /** Names and size only, never the content. */
    override fun toString(): String = "ApiFile(field=$field, filename=$filename, contentType=$contentType, bytes=${data.size})"

    internal fun toNative() = FfiApiFile(field.ifValidUnicode(), filename.ifValidUnicode(), contentType?.ifValidUnicode(), data)
}

/**
 * One page of a paginated list ([RefoldClient.callPage]).
 *
 * @property items the page's items (the answer's `docs` or `rows`).
 * @property nextPage the page to ask for next, or null after the last one (the core decides).
 * @property body the whole answer.
 */
class ApiPage internal constructor(val items: List<JsonElement>, val nextPage: Int?, val body: JsonElement) {
    /** Counts only: an answer may hold secrets. */
    override fun toString(): String = "ApiPage(items=${items.size}, nextPage=$nextPage)"
}

/** Where a call goes: the org-level client, or a client scoped to one linked account. */
internal interface ApiTarget {
    suspend fun call(operationId: String?, request: FfiApiRequest, options: ByteArray?): ByteArray
    fun callBlocking(operationId: String?, request: FfiApiRequest, options: ByteArray?): ByteArray
    suspend fun page(operationId: String?, request: FfiApiRequest, options: ByteArray?): FfiApiPage
    fun pageBlocking(operationId: String?, request: FfiApiRequest, options: ByteArray?): FfiApiPage

    /** The per-call options as sent, with the current span's traceparent. */
    fun options(options: RequestOptions?): ByteArray?
}

/** The org-level client's calls (the API key); `null` from the native side means closed. */
internal class OrgTarget(private val client: OrgApiClient) : ApiTarget {
    private fun native(): FfiClient = client.open()

    override fun options(options: RequestOptions?) = client.callOptions(options)

    override suspend fun call(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCall(operationId, request, options) } ?: throw closedError()

    override fun callBlocking(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCallBlocking(operationId, request, options) } ?: throw closedError()

    override suspend fun page(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCallPage(operationId, request, options) } ?: throw closedError()

    override fun pageBlocking(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCallPageBlocking(operationId, request, options) } ?: throw closedError()
}

/** A scoped client's calls; refused once its parent client is closed. */
internal class ScopedTarget(private val parent: OrgApiClient, private val scoped: FfiScopedClient) : ApiTarget {
    private fun native(): FfiScopedClient {
        parent.open()
        return scoped
    }

    override fun options(options: RequestOptions?) = parent.callOptions(options)

    override suspend fun call(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCall(operationId, request, options) }

    override fun callBlocking(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCallBlocking(operationId, request, options) }

    override suspend fun page(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCallPage(operationId, request, options) }

    override fun pageBlocking(operationId: String?, request: FfiApiRequest, options: ByteArray?) =
        translateFfi { native().apiCallPageBlocking(operationId, request, options) }
}

/**
 * The generic call every generated method of [ai.refold.session.api.Api] forwards to: the
 * arguments cross whole, as host values the core reads (`host::api_request`), and the answer
 * comes back as JSON text, parsed here (and read into the operation's model for the typed
 * methods). Nothing is checked here.
 */
internal class ApiCaller(private val target: ApiTarget) {
    /** One call; its JSON answer. */
    @Throws(RefoldException::class)
    suspend fun call(
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        files: List<ApiFile>,
        options: RequestOptions?,
    ): JsonElement {
        val request = request(params, body, linkedAccountId, files)
        return parse(target.call(operationId.ifValidUnicode(), request, target.options(options)))
    }

    /** [call], waiting on the calling thread. */
    @Throws(RefoldException::class)
    fun callBlocking(
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        files: List<ApiFile>,
        options: RequestOptions?,
    ): JsonElement {
        val request = request(params, body, linkedAccountId, files)
        return parse(target.callBlocking(operationId.ifValidUnicode(), request, target.options(options)))
    }

    /** One page of a paginated list (its `page` parameter as given, else the first). */
    @Throws(RefoldException::class)
    suspend fun page(
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        options: RequestOptions?,
    ): ApiPage {
        val request = request(params, body, linkedAccountId, emptyList())
        return page(target.page(operationId.ifValidUnicode(), request, target.options(options)))
    }

    /** [page], waiting on the calling thread. */
    @Throws(RefoldException::class)
    fun pageBlocking(
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        options: RequestOptions?,
    ): ApiPage {
        val request = request(params, body, linkedAccountId, emptyList())
        return page(target.pageBlocking(operationId.ifValidUnicode(), request, target.options(options)))
    }

    /**
     * Every item of every page from [params]' page (else the first), fetched as the flow is
     * collected: the next page is the core's `next_page`, and the walk ends when it says so.
     */
    fun all(
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        options: RequestOptions?,
    ): Flow<JsonElement> = flow {
        var next: Int? = null
        do {
            val page = page(operationId, withPage(params, next), body, linkedAccountId, options)
            for (item in page.items) emit(item)
            next = page.nextPage
        } while (next != null)
    }

    /** [all] for blocking callers: each iterator walks the pages on the calling thread. */
    fun allBlocking(
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        options: RequestOptions?,
    ): Sequence<JsonElement> = sequence {
        var next: Int? = null
        do {
            val page = pageBlocking(operationId, withPage(params, next), body, linkedAccountId, options)
            yieldAll(page.items)
            next = page.nextPage
        } while (next != null)
    }

    /** [call], its answer read into [answer] (an answer that does not fit is [RefoldException.InvalidResponse]). */
    @Throws(RefoldException::class)
    suspend fun <T> call(
        answer: DeserializationStrategy<T>,
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        files: List<ApiFile>,
        options: RequestOptions?,
    ): T = decode(operationId, answer, call(operationId, params, body, linkedAccountId, files, options))

    /** [callBlocking], its answer read into [answer]. */
    @Throws(RefoldException::class)
    fun <T> callBlocking(
        answer: DeserializationStrategy<T>,
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        files: List<ApiFile>,
        options: RequestOptions?,
    ): T = decode(operationId, answer, callBlocking(operationId, params, body, linkedAccountId, files, options))

    /** [all], each item read into [item] as it is collected. */
    fun <T> all(
        item: DeserializationStrategy<T>,
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        options: RequestOptions?,
    ): Flow<T> = all(operationId, params, body, linkedAccountId, options).map { decode(operationId, item, it) }

    /** [allBlocking], each item read into [item] as it is iterated. */
    fun <T> allBlocking(
        item: DeserializationStrategy<T>,
        operationId: String,
        params: Map<String, Any?>?,
        body: Any?,
        linkedAccountId: String?,
        options: RequestOptions?,
    ): Sequence<T> = allBlocking(operationId, params, body, linkedAccountId, options).map { decode(operationId, item, it) }

    private fun withPage(params: Map<String, Any?>?, page: Int?): Map<String, Any?>? =
        if (page == null) params else LinkedHashMap(params.orEmpty()).apply { put("page", page) }

    private fun request(params: Map<String, Any?>?, body: Any?, linkedAccountId: String?, files: List<ApiFile>) =
        FfiApiRequest(
            params = HostValue.encode(params?.let(::plain)),
            body = HostValue.encode(plain(body)),
            linkedAccountId = HostValue.encode(linkedAccountId),
            files = files.map(ApiFile::toNative),
        )

    private fun page(native: FfiApiPage) = ApiPage(
        items = parse(native.itemsJson).jsonArray,
        nextPage = native.nextPage?.toInt(),
        body = parse(native.bodyJson),
    )

    internal companion object {
        private val json = Json

        /**
         * How answers are read into the models: members the description does not list are
         * skipped and an absent nullable member is null, as the models' KDoc promises (Refold's
         * answers vary in both).
         */
        @OptIn(ExperimentalSerializationApi::class)
        private val models = Json {
            ignoreUnknownKeys = true
            explicitNulls = false
        }

        /**
         * [answer] read as [model], else [RefoldException.InvalidResponse] as the core words it
         * (`answerShapeError`). The decoder's own message is not passed on (nor kept as the
         * cause): it can quote a value of the answer.
         */
        fun <T> decode(operationId: String, model: DeserializationStrategy<T>, answer: JsonElement): T =
            try {
                models.decodeFromJsonElement(model, answer)
            } catch (_: IllegalArgumentException) { // SerializationException is one
                throw RefoldException.from(answerShapeError(operationId))
            }

        /** The core's JSON answer (valid JSON by construction; `null` for an empty body). */
        fun parse(bytes: ByteArray): JsonElement = json.parseToJsonElement(String(bytes, Charsets.UTF_8))

        /**
         * [value] with every `JsonElement` in it as the plain value [HostValue] writes (numbers
         * as `Long` or `BigDecimal`, as their text says), so the core reads one JSON.
         */
        fun plain(value: Any?): Any? = when (value) {
            null, JsonNull -> null
            is JsonPrimitive -> when {
                value.isString -> value.content
                else -> value.booleanOrNull ?: value.longOrNull ?: value.content.toBigDecimalOrNull() ?: value.content
            }
            is JsonArray -> value.map(::plain)
            is JsonObject -> value.mapValuesTo(LinkedHashMap<String, Any?>()) { plain(it.value) }
            is Map<*, *> -> value.entries.associateTo(LinkedHashMap<Any?, Any?>()) { it.key to plain(it.value) }
            is Iterable<*> -> value.map(::plain)
            is Array<*> -> value.map(::plain)
            else -> value
        }
    }
}

internal inline fun <T> translateFfi(call: () -> T): T =
    try {
        call()
    } catch (error: FfiException) {
        throw RefoldException.from(error)
    }

private fun closedError() = IllegalStateException("This RefoldClient is closed.")

/** Text as passed to the native call: null when it holds a lone surrogate (the core words the error). */
private fun String.ifValidUnicode(): String? = takeIf { it.isValidUnicode() }
