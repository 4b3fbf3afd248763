package ai.refold.session

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.JsonNull

/**
 * The official Node SDK's calls (conformance/openapi/overlay.json → `official_sdk.calls`) under
 * their names, for code moving from it: each reads the SDK's arguments as the SDK sends them
 * (where it sends a member of `payload` as a header, path or query value) and forwards to the
 * operation of today's API through the generic call, which every method of [api] uses too.
 * Answers are Refold's JSON. The SDK's `getTokenForLinkedAccount`, `upsertLinkedAccount`,
 * `createLinkedAccount` and `deleteLinkedAccount` are [RefoldClient]'s own typed methods.
 *
 * Three SDK routes are gone from today's API: [deleteWebhook], [subscribeWebhookEvents] and
 * [unsubscribeWebhookEvent] take the webhook's id (the SDK's organization had one webhook) and
 * use the webhook-by-id operations.
 */
abstract class OfficialSdkCalls internal constructor() : OrgApiClient() {
    /** One forwarded call: the operation and its arguments. */
    private class Forward(val operationId: String, val params: Map<String, Any?> = emptyMap(), val body: Any? = null, val linkedAccountId: String? = null)

    private suspend fun send(call: Forward, options: RequestOptions?): JsonElement =
        caller.call(call.operationId, call.params, call.body, call.linkedAccountId, emptyList(), options)

    private fun sendBlocking(call: Forward, options: RequestOptions?): JsonElement =
        caller.callBlocking(call.operationId, call.params, call.body, call.linkedAccountId, emptyList(), options)

    /** `config(payload)`: gets or creates the linked account's config of `payload.slug` (getOrCreateConfig). */
    @Throws(RefoldException::class)
    suspend fun config(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(configForward(payload), options)

    /** [config], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun configBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(configForward(payload), options)

    private fun configForward(payload: JsonObject) = Forward("getOrCreateConfig", body = payload, linkedAccountId = payload.text("linked_account_id"))

    /** `createWebhook(payload)`: registers a webhook, `{webhook_url, webhook_events}` (registerWebhook). */
    @Throws(RefoldException::class)
    suspend fun createWebhook(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(Forward("registerWebhook", body = payload), options)

    /** [createWebhook], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun createWebhookBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement =
        sendBlocking(Forward("registerWebhook", body = payload), options)

    /** `deleteConfig(payload)`: deletes the config `payload.config_id`, or the default one without it (deleteConfig, deleteConfigDefault). */
    @Throws(RefoldException::class)
    suspend fun deleteConfig(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(deleteConfigForward(payload), options)

    /** [deleteConfig], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun deleteConfigBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(deleteConfigForward(payload), options)

    private fun deleteConfigForward(payload: JsonObject) = configRoute(payload, "deleteConfig", "deleteConfigDefault", body = false)

    /** `deleteEvent(event_id)`: deletes an event definition (deleteEvent). */
    @Throws(RefoldException::class)
    suspend fun deleteEvent(eventId: String, options: RequestOptions? = null): JsonElement = api.deleteEvent(eventId, options)

    /** [deleteEvent], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun deleteEventBlocking(eventId: String, options: RequestOptions? = null): JsonElement = api.blocking.deleteEvent(eventId, options)

    /** `deleteWebhook()`: today's API deletes one webhook by its id (deleteWebhook). */
    @Throws(RefoldException::class)
    suspend fun deleteWebhook(webhookId: String, options: RequestOptions? = null): JsonElement = api.deleteWebhook(webhookId, options)

    /** [deleteWebhook], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun deleteWebhookBlocking(webhookId: String, options: RequestOptions? = null): JsonElement = api.blocking.deleteWebhook(webhookId, options)

    /**
     * `event(payload)`: triggers `payload.event` for `payload.linked_account_id`, to the
     * application `payload.slug` when set (triggerEventBySlug), else by the event alone
     * (triggerEvent); `payload.config_id` goes as the `config_id` header.
     */
    @Throws(RefoldException::class)
    suspend fun event(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(trigger(payload, configHeader = true), options)

    /** [event], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun eventBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(trigger(payload, configHeader = true), options)

    /**
     * `triggerEvent(payload)`: as [event], with `config_id` only in the body, as the SDK sends it.
     */
    @Throws(RefoldException::class)
    suspend fun triggerEvent(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(trigger(payload, configHeader = false), options)

    /** [triggerEvent], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun triggerEventBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement =
        sendBlocking(trigger(payload, configHeader = false), options)

    private fun trigger(payload: JsonObject, configHeader: Boolean): Forward {
        val slug = payload.text("slug")?.takeIf { it.isNotEmpty() }
        val params = LinkedHashMap<String, Any?>()
        if (slug != null) params["slug"] = slug
        if (configHeader) params["config_id"] = payload.text("config_id")
        return Forward(if (slug != null) "triggerEventBySlug" else "triggerEvent", params, payload, payload.text("linked_account_id"))
    }

    /** `executeWorkflow(workflow_id, slug, linked_acc, sync_execution, payload)`: runs a workflow (executeWorkflow, v2 route). */
    @Throws(RefoldException::class)
    suspend fun executeWorkflow(
        workflowId: String,
        slug: String,
        linkedAccountId: String,
        syncExecution: Boolean,
        payload: JsonElement?,
        options: RequestOptions? = null,
    ): JsonElement = api.executeWorkflow(workflowId, slug, syncExecution = syncExecution.toString(), body = payload, linkedAccountId = linkedAccountId, options = options)

    /** [executeWorkflow], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun executeWorkflowBlocking(
        workflowId: String,
        slug: String,
        linkedAccountId: String,
        syncExecution: Boolean,
        payload: JsonElement?,
        options: RequestOptions? = null,
    ): JsonElement =
        api.blocking.executeWorkflow(workflowId, slug, syncExecution = syncExecution.toString(), body = payload, linkedAccountId = linkedAccountId, options = options)

    /** `getAllLinkedAccounts({page, limit})`: one page of linked accounts, Refold's answer whole (listLinkedAccounts). */
    @Throws(RefoldException::class)
    suspend fun getAllLinkedAccounts(page: Long? = null, limit: Long? = null, options: RequestOptions? = null): JsonElement =
        api.listLinkedAccounts(page = page, limit = limit, options = options)

    /** [getAllLinkedAccounts], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getAllLinkedAccountsBlocking(page: Long? = null, limit: Long? = null, options: RequestOptions? = null): JsonElement =
        api.blocking.listLinkedAccounts(page = page, limit = limit, options = options)

    /** `getApplicationBySlug(linked_account_id, slug)`: one application (getApplicationBySlug). */
    @Throws(RefoldException::class)
    suspend fun getApplicationBySlug(linkedAccountId: String, slug: String, options: RequestOptions? = null): JsonElement =
        api.getApplicationBySlug(slug, linkedAccountIdQuery = linkedAccountId, linkedAccountId = linkedAccountId, options = options)

    /** [getApplicationBySlug], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getApplicationBySlugBlocking(linkedAccountId: String, slug: String, options: RequestOptions? = null): JsonElement =
        api.blocking.getApplicationBySlug(slug, linkedAccountIdQuery = linkedAccountId, linkedAccountId = linkedAccountId, options = options)

    /** `getApplications(linked_account_id)`: the applications, with the account's connections (listApplicationsForLinkedAccount). */
    @Throws(RefoldException::class)
    suspend fun getApplications(linkedAccountId: String, options: RequestOptions? = null): JsonElement =
        api.listApplications(linkedAccountIdQuery = linkedAccountId, linkedAccountId = linkedAccountId, options = options)

    /** [getApplications], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getApplicationsBlocking(linkedAccountId: String, options: RequestOptions? = null): JsonElement =
        api.blocking.listApplications(linkedAccountIdQuery = linkedAccountId, linkedAccountId = linkedAccountId, options = options)

    /** `getConfig(payload)`: the config `payload.config_id`, or the default one without it (getInstalledConfig, getInstalledConfigDefault). */
    @Throws(RefoldException::class)
    suspend fun getConfig(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(getConfigForward(payload), options)

    /** [getConfig], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getConfigBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(getConfigForward(payload), options)

    private fun getConfigForward(payload: JsonObject) = configRoute(payload, "getInstalledConfig", "getInstalledConfigDefault", body = true)

    private fun configRoute(payload: JsonObject, withId: String, default: String, body: Boolean): Forward {
        val configId = payload.text("config_id")
        val params = LinkedHashMap<String, Any?>()
        params["slug"] = payload.text("slug")
        if (configId != null) params["configId"] = configId
        return Forward(if (configId != null) withId else default, params, payload.takeIf { body }, payload.text("linked_account_id"))
    }

    /** `getExecutionById(linked_account_id, execution_id)`: one execution (getExecutionById). */
    @Throws(RefoldException::class)
    suspend fun getExecutionById(linkedAccountId: String, executionId: String, options: RequestOptions? = null): JsonElement =
        api.getExecution(executionId, linkedAccountId = linkedAccountId, options = options)

    /** [getExecutionById], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getExecutionByIdBlocking(linkedAccountId: String, executionId: String, options: RequestOptions? = null): JsonElement =
        api.blocking.getExecution(executionId, linkedAccountId = linkedAccountId, options = options)

    /** `getExecutions(linked_account_id, {page, limit})`: one page of the account's executions (listExecutions). */
    @Throws(RefoldException::class)
    suspend fun getExecutions(linkedAccountId: String, page: Long? = null, limit: Long? = null, options: RequestOptions? = null): JsonElement =
        api.listExecutions(page = page, limit = limit, linkedAccountId = linkedAccountId, options = options)

    /** [getExecutions], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getExecutionsBlocking(linkedAccountId: String, page: Long? = null, limit: Long? = null, options: RequestOptions? = null): JsonElement =
        api.blocking.listExecutions(page = page, limit = limit, linkedAccountId = linkedAccountId, options = options)

    /** `getLinkedAccountById(linked_account_id)`: the account, Refold's answer whole (getLinkedAccountById). */
    @Throws(RefoldException::class)
    suspend fun getLinkedAccountById(linkedAccountId: String, options: RequestOptions? = null): JsonElement =
        api.getLinkedAccount(linkedAccountId, options)

    /** [getLinkedAccountById], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getLinkedAccountByIdBlocking(linkedAccountId: String, options: RequestOptions? = null): JsonElement =
        api.blocking.getLinkedAccount(linkedAccountId, options)

    /** `getWebhook()`: the organization's webhooks (listWebhooks; today's API answers a list). */
    @Throws(RefoldException::class)
    suspend fun getWebhook(options: RequestOptions? = null): JsonElement = api.listWebhooks(options)

    /** [getWebhook], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun getWebhookBlocking(options: RequestOptions? = null): JsonElement = api.blocking.listWebhooks(options)

    /** `listEventById(event_id)`: one event definition (getEvent). */
    @Throws(RefoldException::class)
    suspend fun listEventById(eventId: String, options: RequestOptions? = null): JsonElement = api.getEvent(eventId, options)

    /** [listEventById], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun listEventByIdBlocking(eventId: String, options: RequestOptions? = null): JsonElement = api.blocking.getEvent(eventId, options)

    /** `listEvents()`: the event definitions (listEvents). */
    @Throws(RefoldException::class)
    suspend fun listEvents(options: RequestOptions? = null): JsonElement = api.listEvents(options)

    /** [listEvents], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun listEventsBlocking(options: RequestOptions? = null): JsonElement = api.blocking.listEvents(options)

    /** `migrateAuth(payload)`: moves an application's credentials to Refold (migrateTokenForLinkedAccount). */
    @Throws(RefoldException::class)
    suspend fun migrateAuth(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(migrateAuthForward(payload), options)

    /** [migrateAuth], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun migrateAuthBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(migrateAuthForward(payload), options)

    private fun migrateAuthForward(payload: JsonObject) =
        Forward("migrateTokenForLinkedAccount", body = payload, linkedAccountId = payload.text("linked_account_id"))

    /**
     * `subscribeWebhookEvents({webhook_events})`: adds events to the webhook [webhookId] (its
     * events read with getWebhookById, then set with updateWebhook).
     */
    @Throws(RefoldException::class)
    suspend fun subscribeWebhookEvents(webhookId: String, payload: JsonObject, options: RequestOptions? = null): JsonElement {
        val current = api.getWebhookById(webhookId, options)
        return api.updateWebhook(webhookId, events(current, add = payload["webhook_events"]), options)
    }

    /** [subscribeWebhookEvents], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun subscribeWebhookEventsBlocking(webhookId: String, payload: JsonObject, options: RequestOptions? = null): JsonElement {
        val current = api.blocking.getWebhookById(webhookId, options)
        return api.blocking.updateWebhook(webhookId, events(current, add = payload["webhook_events"]), options)
    }

    /**
     * `unsubscribeWebhookEvent({webhook_event})`: removes one event from the webhook [webhookId]
     * (its events read with getWebhookById, then set with updateWebhook).
     */
    @Throws(RefoldException::class)
    suspend fun unsubscribeWebhookEvent(webhookId: String, payload: JsonObject, options: RequestOptions? = null): JsonElement {
        val current = api.getWebhookById(webhookId, options)
        return api.updateWebhook(webhookId, events(current, remove = payload["webhook_event"]), options)
    }

    /** [unsubscribeWebhookEvent], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun unsubscribeWebhookEventBlocking(webhookId: String, payload: JsonObject, options: RequestOptions? = null): JsonElement {
        val current = api.blocking.getWebhookById(webhookId, options)
        return api.blocking.updateWebhook(webhookId, events(current, remove = payload["webhook_event"]), options)
    }

    /** The body setting a webhook's events: [current]'s, plus [add]'s, less [remove]. */
    private fun events(current: JsonElement, add: JsonElement? = null, remove: JsonElement? = null): JsonObject {
        val had = (current as? JsonObject)?.get("webhook_events") as? JsonArray ?: JsonArray(emptyList())
        val added = (add as? JsonArray).orEmpty().filter { it !in had }
        val kept = (had + added).filter { it != remove }
        return buildJsonObject { put("webhook_events", JsonArray(kept)) }
    }

    /** `updateConfig(payload)`: updates the linked account's config of `payload.slug` (updateConfig). */
    @Throws(RefoldException::class)
    suspend fun updateConfig(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(updateConfigForward(payload), options)

    /** [updateConfig], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun updateConfigBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(updateConfigForward(payload), options)

    private fun updateConfigForward(payload: JsonObject) = Forward("updateConfig", body = payload, linkedAccountId = payload.text("linked_account_id"))

    /** `updateEvent(payload)`: updates the event definition `payload.event_id` (updateEvent). */
    @Throws(RefoldException::class)
    suspend fun updateEvent(payload: JsonObject, options: RequestOptions? = null): JsonElement = send(updateEventForward(payload), options)

    /** [updateEvent], waiting on the calling thread. */
    @Throws(RefoldException::class)
    @JvmOverloads
    fun updateEventBlocking(payload: JsonObject, options: RequestOptions? = null): JsonElement = sendBlocking(updateEventForward(payload), options)

    private fun updateEventForward(payload: JsonObject) = Forward("updateEvent", mapOf("event_id" to payload.text("event_id")), payload)

    private companion object {
        /** A payload member sent as a parameter: its text (another JSON value as its JSON text), or null when absent. */
        fun JsonObject.text(name: String): String? = when (val value = this[name]) {
            null, JsonNull -> null
            is JsonPrimitive -> value.content
            else -> value.toString()
        }
    }
}
