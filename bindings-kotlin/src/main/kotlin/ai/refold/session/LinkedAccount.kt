package ai.refold.session

import ai.refold.session.ffi.FfiIntegration
import ai.refold.session.ffi.FfiLinkedAccount
import ai.refold.session.ffi.FfiLinkedAccountPage
import ai.refold.session.ffi.FfiRevokeResult
import java.time.Instant

/**
 * What [RefoldClient.upsertLinkedAccount] and [RefoldClient.createLinkedAccount] send: the
 * official SDK's `{linked_account_id, name, udf, your_app}`.
 *
 * The core checks it before anything is sent ([RefoldException.InvalidInput], no request): the
 * id follows the rules of session tokens, `udf` values are strings, numbers, booleans or null,
 * and [yourApp] needs its credentials. A value JSON has no form for (say a `java.util.Date`
 * or `Double.NaN` in `udf`) is [RefoldException.InvalidInput] too, naming where it is
 * (`udf.born`).
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
    /** The official SDK's payload, as the host value the core reads (every rule is the core's). */
    internal fun toHost(): ByteArray = HostValue.encode(
        HostValue.members(
            "linked_account_id" to linkedAccountId,
            "name" to name,
            "udf" to udf,
            "your_app" to yourApp?.let { app ->
                HostValue.members("app_id" to app.appId, "auth_credentials" to app.authCredentials)
            },
        ),
    )
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
 * @property associatedOrg the Refold organization it belongs to.
 * @property environment the Refold environment it lives in (e.g. `test`).
 * @property name the display name.
 * @property udf user-defined fields, name → value (`String`, `Long`, `Double`, `Boolean` or `null`).
 * @property integrations the applications it has connected, or null when Refold sent none.
 * @property isSeed whether it is a seed account.
 * @property tenantAccountId the tenant account it belongs to, if any.
 * @property newAccount whether an upsert created it (an upsert's answer only).
 * @property createdAt when it was created, if Refold said.
 * @property updatedAt when it last changed, if Refold said.
 * @property json the whole object as received (read-only), so fields Refold adds later are not lost.
 */
data class LinkedAccount @JvmOverloads constructor(
    val id: String?,
    val accountId: String,
    val environment: String?,
    val name: String?,
    val udf: Map<String, Any?>,
    val createdAt: Instant?,
    val updatedAt: Instant?,
    val json: Map<String, Any?>,
    val associatedOrg: String? = null,
    val integrations: List<Integration>? = null,
    val isSeed: Boolean? = null,
    val tenantAccountId: String? = null,
    val newAccount: Boolean? = null,
) {
    /** The documented fields; [json] is left out. */
    override fun toString(): String =
        "LinkedAccount(id=$id, accountId=$accountId, associatedOrg=$associatedOrg, environment=$environment, name=$name, " +
            "udf=$udf, integrations=$integrations, isSeed=$isSeed, tenantAccountId=$tenantAccountId, newAccount=$newAccount, " +
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
            associatedOrg = native.associatedOrg,
            integrations = native.integrations?.map(Integration::from),
            isSeed = native.isSeed,
            tenantAccountId = native.tenantAccountId,
            newAccount = native.newAccount,
        )
    }
}

/**
 * An application a linked account has connected (an entry of [LinkedAccount.integrations]).
 *
 * @property type the application's slug (e.g. `hubspot`).
 * @property name its display name.
 * @property appId your custom app's id, or null for Refold's own apps.
 * @property icon its icon (a URL), when given.
 * @property reauthRequired whether the end-user must connect it again.
 */
data class Integration(
    val type: String,
    val name: String,
    val appId: String?,
    val icon: String?,
    val reauthRequired: Boolean?,
    val createdAt: Instant?,
    val updatedAt: Instant?,
) {
    internal companion object {
        fun from(native: FfiIntegration) = Integration(
            type = native.type,
            name = native.name,
            appId = native.appId,
            icon = native.icon,
            reauthRequired = native.reauthRequired,
            createdAt = native.createdAt,
            updatedAt = native.updatedAt,
        )
    }
}

/**
 * What [RefoldClient.revokeSessionToken] answered.
 *
 * @property success Refold's `success`.
 * @property revokedCount tokens revoked: 1 when it was the account's current token, else 0.
 */
data class RevokeResult(val success: Boolean, val revokedCount: Long) {
    internal companion object {
        fun from(native: FfiRevokeResult) = RevokeResult(success = native.success, revokedCount = native.revokedCount)
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
 * @property pagingCounter the number of this page's first account, from 1.
 * @property hasPrevPage whether a page comes before this one.
 * @property prevPage the previous page's number, or null on the first page.
 * @property hasNextPage whether a page comes after this one.
 */
data class LinkedAccountPage @JvmOverloads constructor(
    val accounts: List<LinkedAccount>,
    val page: Int,
    val limit: Int,
    val total: Long,
    val totalPages: Int,
    val nextPage: Int?,
    val pagingCounter: Long = 0,
    val hasPrevPage: Boolean = false,
    val prevPage: Int? = null,
    val hasNextPage: Boolean = nextPage != null,
) {
    internal companion object {
        fun from(native: FfiLinkedAccountPage) = LinkedAccountPage(
            accounts = native.accounts.map(LinkedAccount::from),
            page = native.page,
            limit = native.limit,
            total = native.total,
            totalPages = native.totalPages,
            nextPage = native.nextPage,
            pagingCounter = native.pagingCounter,
            hasPrevPage = native.hasPrevPage,
            prevPage = native.prevPage,
            hasNextPage = native.hasNextPage,
        )
    }
}
