package ai.refold.session

import ai.refold.session.ffi.FfiAccountFields
import ai.refold.session.ffi.FfiJson
import ai.refold.session.ffi.FfiLinkedAccount
import ai.refold.session.ffi.FfiLinkedAccountPage
import java.time.Instant

/**
 * What [RefoldClient.upsertLinkedAccount] and [RefoldClient.createLinkedAccount] send: the
 * official SDK's `{linked_account_id, name, udf, your_app}`.
 *
 * The core checks it before anything is sent ([RefoldException.InvalidInput], no request): the
 * id follows the rules of session tokens, `udf` values are strings, numbers, booleans or null,
 * and [yourApp] needs its credentials. A value JSON has no form for (say a `java.util.Date`
 * or `Double.NaN` in `udf`) is [RefoldException.InvalidInput] too, naming where it is.
 *
 * ```kotlin
 * refold.upsertLinkedAccount(LinkedAccountInput("user-42", name = "Mark Wood", udf = mapOf("plan" to "pro")))
 * ```
 *
 * @property linkedAccountId your id of the end-user (the id tokens are minted for).
 * @property name a display name.
 * @property udf user-defined fields: name → `String`, number, `Boolean` or `null`.
 * @property yourApp your own app's id and this account's credentials for it.
 */
data class LinkedAccountInput @JvmOverloads constructor(
    val linkedAccountId: String,
    val name: String? = null,
    val udf: Map<String, Any?>? = null,
    val yourApp: YourApp? = null,
) {
    /** The native form: the fields, and the credentials apart (see [YourApp]). */
    internal fun toNative(): Pair<FfiAccountFields, FfiJson?> {
        val json = ToNativeJson()
        var notUnicode: String? = null
        fun check(field: String) {
            if (json.notUnicode && notUnicode == null) notUnicode = field
        }
        val nativeName = name?.let { json.text(it) }
        check("name")
        val nativeUdf = udf?.let { (json.convert(it, "udf") as FfiJson.Object).members }
        check("udf")
        val appId = yourApp?.let { json.text(it.appId) }
        check("yourApp.appId")
        val credentials = yourApp?.authCredentials?.let { json.convert(it, "yourApp.authCredentials") }
        check("yourApp.authCredentials")
        val fields = FfiAccountFields(
            linkedAccountId = linkedAccountId.takeIf { it.isValidUnicode() },
            name = nativeName,
            udf = nativeUdf,
            appId = appId,
            notUnicode = notUnicode,
            typeProblem = json.typeProblem,
        )
        return fields to credentials
    }
}

/**
 * `your_app`: your app's id and the account's credentials for it (any JSON value: a `Map`, a
 * `String`…). The credentials are a secret like the API key: [toString] and every error
 * message leave them out.
 */
class YourApp @JvmOverloads constructor(
    val appId: String,
    val authCredentials: Any? = null,
) {
    override fun toString(): String =
        "YourApp(appId=$appId, authCredentials=${if (authCredentials == null) "null" else "[redacted]"})"

    override fun equals(other: Any?): Boolean =
        other is YourApp && other.appId == appId && other.authCredentials == authCredentials

    override fun hashCode(): Int = appId.hashCode()
}

/**
 * A linked account as Refold returns it.
 *
 * @property id Refold's own id of the account (`_id`).
 * @property accountId your id of the end-user (the `linked_account_id`).
 * @property environment the Refold environment it lives in (e.g. `test`).
 * @property name the display name.
 * @property udf user-defined fields, name → value (`String`, `Long`, `Double`, `Boolean` or `null`).
 * @property createdAt when it was created, if Refold said.
 * @property updatedAt when it last changed, if Refold said.
 * @property json the whole object as received (read-only), so fields Refold adds later are not lost.
 */
data class LinkedAccount(
    val id: String?,
    val accountId: String,
    val environment: String?,
    val name: String?,
    val udf: Map<String, Any?>,
    val createdAt: Instant?,
    val updatedAt: Instant?,
    val json: Map<String, Any?>,
) {
    /** The documented fields; [json] is left out. */
    override fun toString(): String =
        "LinkedAccount(id=$id, accountId=$accountId, environment=$environment, name=$name, udf=$udf, " +
            "createdAt=$createdAt, updatedAt=$updatedAt)"

    internal companion object {
        fun from(native: FfiLinkedAccount) = LinkedAccount(
            id = native.id,
            accountId = native.accountId,
            environment = native.environment,
            name = native.name,
            udf = native.udf.toKotlinMap(),
            createdAt = native.createdAt,
            updatedAt = native.updatedAt,
            json = native.json.toKotlinMap(),
        )
    }
}

/**
 * One page of [RefoldClient.listLinkedAccounts].
 *
 * @property accounts this page's accounts, in creation order.
 * @property page this page's number (from 1).
 * @property limit accounts per page.
 * @property total accounts in all pages.
 * @property totalPages pages in all.
 * @property nextPage the next page's number, or null after the last page.
 */
data class LinkedAccountPage(
    val accounts: List<LinkedAccount>,
    val page: Int,
    val limit: Int,
    val total: Long,
    val totalPages: Int,
    val nextPage: Int?,
) {
    internal companion object {
        fun from(native: FfiLinkedAccountPage) = LinkedAccountPage(
            accounts = native.accounts.map(LinkedAccount::from),
            page = native.page,
            limit = native.limit,
            total = native.total,
            totalPages = native.totalPages,
            nextPage = native.nextPage,
        )
    }
}
