"""The official Node SDK's calls under Python names (conformance/openapi/overlay.json,
``official_sdk.calls``), on :class:`Refold` and :class:`AsyncRefold`: each forwards to the
generated method of the operation it maps to (``client.api``), with the SDK's arguments in
their places (header, path, body). Those the client already had (``get_token_for_linked_account``,
``upsert_linked_account``, ``create_linked_account``, ``delete_linked_account``) are in
__init__.py and return typed records."""

from __future__ import annotations

from ._api_base import _AsyncClientCalls, _ClientCalls

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime as _dt
    from typing import Any, Dict, List, Optional, Sequence, Union

    from ._api_models import (
        ApplicationItem,
        BooleanString,
        CustomTrigger,
        GetApplicationConfigDTO,
        IFieldInConfig,
        Instance,
        InstallApplicationConfigRequest,
        InstallApplicationConfigRequestWorkflowsItem,
        InstanceExecutionResult,
        MessageOnly,
        MigrateTokenResponse,
        PaginatedInstances,
        PaginatedLinkedAccounts,
        RefoldWebhook,
        TriggerEventJsonRequest,
        WebhookFiredResponse,
    )
    from ._api_models import LinkedAccount as LinkedAccountJson
    from ._api_types import ApiFile

    _Seconds = Union[int, float, _dt.timedelta]


class _OfficialCalls(_ClientCalls):
    """The official SDK's calls, blocking."""

    __slots__ = ()

    def config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        labels: Optional[Dict[str, Any]] = None, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> GetApplicationConfigDTO:
        """The official SDK's ``config(payload)``: the linked account's config of an
        application, made if it has none (``getOrCreateConfig``)."""
        body: InstallApplicationConfigRequest = {"slug": slug}
        if config_id is not None:
            body["config_id"] = config_id
        if labels is not None:
            body["labels"] = labels
        return self.api.get_or_create_config(
            body=body, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    def update_config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        fields: Optional[List[IFieldInConfig]] = None,
        workflows: Optional[List[InstallApplicationConfigRequestWorkflowsItem]] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> GetApplicationConfigDTO:
        """The official SDK's ``updateConfig(payload)`` (``updateConfig``)."""
        body: InstallApplicationConfigRequest = {"slug": slug}
        if config_id is not None:
            body["config_id"] = config_id
        if fields is not None:
            body["fields"] = fields
        if workflows is not None:
            body["workflows"] = workflows
        return self.api.update_config(
            body=body, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    def get_config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> GetApplicationConfigDTO:
        """The official SDK's ``getConfig(payload)``: ``getInstalledConfig`` with a
        ``config_id``, else ``getInstalledConfigDefault``."""
        if config_id is None:
            return self.api.get_default_config(
                slug=slug, linked_account_id=linked_account_id, timeout=timeout,
                max_retries=max_retries)
        return self.api.get_config(
            slug=slug, config_id=config_id, linked_account_id=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    def delete_config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> MessageOnly:
        """The official SDK's ``deleteConfig(payload)``: ``deleteConfig`` with a
        ``config_id``, else ``deleteConfigDefault``."""
        if config_id is None:
            return self.api.delete_default_config(
                slug=slug, linked_account_id=linked_account_id, timeout=timeout,
                max_retries=max_retries)
        return self.api.delete_config(
            slug=slug, config_id=config_id, linked_account_id=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    def create_webhook(
        self, webhook_url: str, webhook_events: List[str], *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> RefoldWebhook:
        """The official SDK's ``createWebhook(payload)`` (``registerWebhook``)."""
        return self.api.register_webhook(
            body={"webhook_url": webhook_url, "webhook_events": webhook_events},
            timeout=timeout, max_retries=max_retries)

    def get_webhook(
        self, *, timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``getWebhook()``: the organization's webhooks
        (``listWebhooks``; the SDK types the answer as one webhook, Refold answers a list)."""
        return self.api.list_webhooks(timeout=timeout, max_retries=max_retries)

    def delete_webhook(
        self, webhook_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``deleteWebhook()``, which deleted the organization's one
        webhook on a route Refold no longer serves: today a webhook is deleted by its id
        (``deleteWebhook``)."""
        return self.api.delete_webhook(id=webhook_id, timeout=timeout,
                                             max_retries=max_retries)

    def subscribe_webhook_events(
        self, webhook_id: str, webhook_events: List[str], *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> RefoldWebhook:
        """The official SDK's ``subscribeWebhookEvents(payload)``, on a route Refold no
        longer serves: today a webhook's events are set by its id (``updateWebhook``), so
        ``webhook_events`` replaces the webhook's list."""
        return self.api.update_webhook(
            id=webhook_id, body={"webhook_events": webhook_events}, timeout=timeout,
            max_retries=max_retries)

    def unsubscribe_webhook_event(
        self, webhook_id: str, webhook_event: str, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> RefoldWebhook:
        """The official SDK's ``unsubscribeWebhookEvent(payload)``, on a route Refold no
        longer serves: reads the webhook (``getWebhookById``) and sets its events without
        ``webhook_event`` (``updateWebhook``); two calls, not atomic."""
        webhook = self.api.get_webhook_by_id(id=webhook_id, timeout=timeout,
                                                   max_retries=max_retries)
        events = [e for e in webhook.get("webhook_events") or [] if e != webhook_event]
        return self.api.update_webhook(
            id=webhook_id, body={"webhook_events": events}, timeout=timeout,
            max_retries=max_retries)

    def list_events(
        self, *, timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> List[CustomTrigger]:
        """The official SDK's ``listEvents()``: the event definitions (``listEvents``, now
        under ``/api/v2/public/application/event``)."""
        return self.api.list_events(timeout=timeout, max_retries=max_retries)

    def list_event_by_id(
        self, event_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> CustomTrigger:
        """The official SDK's ``listEventById(event_id)`` (``getEvent``)."""
        return self.api.get_event(event_id=event_id, timeout=timeout,
                                        max_retries=max_retries)

    def update_event(
        self, event_id: str, name: str, response: Any, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``updateEvent(payload)`` (``updateEvent``)."""
        return self.api.update_event(
            event_id=event_id, body={"name": name, "response": response}, timeout=timeout,
            max_retries=max_retries)

    def delete_event(
        self, event_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``deleteEvent(event_id)`` (``deleteEvent``)."""
        return self.api.delete_event(event_id=event_id, timeout=timeout,
                                           max_retries=max_retries)

    def event(
        self, linked_account_id: str, event: str, *, config_id: Optional[str] = None,
        slug: Optional[str] = None, payload: Optional[Dict[str, Any]] = None,
        files: Optional[Sequence[ApiFile]] = None, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> WebhookFiredResponse:
        """The official SDK's ``event(payload)``: triggers ``event`` for the linked account
        (``triggerEventBySlug`` with a ``slug``, else ``triggerEvent``); with ``files``, as
        multipart."""
        body: TriggerEventJsonRequest = {"event": event}
        if payload is not None:
            body["payload"] = payload
        if slug:
            return self.api.trigger_event_by_slug(
                slug=slug, config_id=config_id, body=body, files=files,
                linked_account_id=linked_account_id, timeout=timeout, max_retries=max_retries)
        return self.api.trigger_event(
            config_id=config_id, body=body, files=files, linked_account_id=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    def trigger_event(
        self, linked_account_id: str, event: str, *, config_id: Optional[str] = None,
        slug: Optional[str] = None, payload: Optional[Dict[str, Any]] = None,
        files: Optional[Sequence[ApiFile]] = None, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> WebhookFiredResponse:
        """The official SDK's ``triggerEvent(payload)``: as :meth:`event` (``config_id``
        goes in the header Refold reads it from)."""
        return self.event(
            linked_account_id, event, config_id=config_id, slug=slug, payload=payload,
            files=files, timeout=timeout, max_retries=max_retries)

    def execute_workflow(
        self, workflow_id: str, slug: str, linked_account_id: str, *,
        sync_execution: Optional[bool] = None, payload: Optional[Dict[str, Any]] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> InstanceExecutionResult:
        """The official SDK's ``executeWorkflow(...)`` on Refold's v2 route (the v1 route was
        sunset): ``POST /api/v2/public/workflow/{workflowId}/execute``."""
        sync: Optional[BooleanString] = None
        if sync_execution is not None:
            sync = "true" if sync_execution else "false"
        return self.api.execute_workflow(
            workflow_id=workflow_id, slug=slug, sync_execution=sync, body=payload,
            linked_account_id=linked_account_id, timeout=timeout, max_retries=max_retries)

    def get_applications(
        self, linked_account_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> List[ApplicationItem]:
        """The official SDK's ``getApplications(linked_account_id)``: the applications with
        the account's connections (``listApplicationsForLinkedAccount``)."""
        return self.api.list_applications(
            linked_account_id=linked_account_id, linked_account_id_query=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    def get_application_by_slug(
        self, linked_account_id: str, slug: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> ApplicationItem:
        """The official SDK's ``getApplicationBySlug(linked_account_id, slug)``."""
        return self.api.get_application_by_slug(
            slug=slug, linked_account_id=linked_account_id,
            linked_account_id_query=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    def get_executions(
        self, linked_account_id: str, page: Optional[int] = None, limit: Optional[int] = None,
        *, timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> PaginatedInstances:
        """The official SDK's ``getExecutions(linked_account_id, options)``: one page of the
        account's executions (``listExecutions``)."""
        return self.api.list_executions(
            page=page, limit=limit, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    def get_execution_by_id(
        self, linked_account_id: str, execution_id: str, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> Instance:
        """The official SDK's ``getExecutionById(linked_account_id, execution_id)``."""
        return self.api.get_execution(
            execution_id=execution_id, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    def get_all_linked_accounts(
        self, page: Optional[int] = None, limit: Optional[int] = None, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> PaginatedLinkedAccounts:
        """The official SDK's ``getAllLinkedAccounts(options)``: one page, as Refold's JSON
        (:meth:`list_linked_accounts` gives typed records)."""
        return self.api.list_linked_accounts(page=page, limit=limit, timeout=timeout,
                                                   max_retries=max_retries)

    def get_linked_account_by_id(
        self, linked_account_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> LinkedAccountJson:
        """The official SDK's ``getLinkedAccountById(linked_account_id)``, as Refold's JSON
        (:meth:`get_linked_account` gives a typed record)."""
        return self.api.get_linked_account(linked_account_id=linked_account_id,
                                                 timeout=timeout, max_retries=max_retries)

    def migrate_auth(
        self, linked_account_id: str, slug: str, auth_object: Dict[str, Any], *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> MigrateTokenResponse:
        """The official SDK's ``migrateAuth(payload)``: moves an application's credentials
        into the linked account (``migrateTokenForLinkedAccount``)."""
        return self.api.migrate_token(
            body={"slug": slug, "auth_object": auth_object},
            linked_account_id=linked_account_id, timeout=timeout, max_retries=max_retries)


class _AsyncOfficialCalls(_AsyncClientCalls):
    """The official SDK's calls, for asyncio."""

    __slots__ = ()

    async def config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        labels: Optional[Dict[str, Any]] = None, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> GetApplicationConfigDTO:
        """The official SDK's ``config(payload)``: the linked account's config of an
        application, made if it has none (``getOrCreateConfig``)."""
        body: InstallApplicationConfigRequest = {"slug": slug}
        if config_id is not None:
            body["config_id"] = config_id
        if labels is not None:
            body["labels"] = labels
        return await self.api.get_or_create_config(
            body=body, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    async def update_config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        fields: Optional[List[IFieldInConfig]] = None,
        workflows: Optional[List[InstallApplicationConfigRequestWorkflowsItem]] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> GetApplicationConfigDTO:
        """The official SDK's ``updateConfig(payload)`` (``updateConfig``)."""
        body: InstallApplicationConfigRequest = {"slug": slug}
        if config_id is not None:
            body["config_id"] = config_id
        if fields is not None:
            body["fields"] = fields
        if workflows is not None:
            body["workflows"] = workflows
        return await self.api.update_config(
            body=body, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    async def get_config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> GetApplicationConfigDTO:
        """The official SDK's ``getConfig(payload)``: ``getInstalledConfig`` with a
        ``config_id``, else ``getInstalledConfigDefault``."""
        if config_id is None:
            return await self.api.get_default_config(
                slug=slug, linked_account_id=linked_account_id, timeout=timeout,
                max_retries=max_retries)
        return await self.api.get_config(
            slug=slug, config_id=config_id, linked_account_id=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    async def delete_config(
        self, linked_account_id: str, slug: str, *, config_id: Optional[str] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> MessageOnly:
        """The official SDK's ``deleteConfig(payload)``: ``deleteConfig`` with a
        ``config_id``, else ``deleteConfigDefault``."""
        if config_id is None:
            return await self.api.delete_default_config(
                slug=slug, linked_account_id=linked_account_id, timeout=timeout,
                max_retries=max_retries)
        return await self.api.delete_config(
            slug=slug, config_id=config_id, linked_account_id=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    async def create_webhook(
        self, webhook_url: str, webhook_events: List[str], *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> RefoldWebhook:
        """The official SDK's ``createWebhook(payload)`` (``registerWebhook``)."""
        return await self.api.register_webhook(
            body={"webhook_url": webhook_url, "webhook_events": webhook_events},
            timeout=timeout, max_retries=max_retries)

    async def get_webhook(
        self, *, timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``getWebhook()``: the organization's webhooks
        (``listWebhooks``; the SDK types the answer as one webhook, Refold answers a list)."""
        return await self.api.list_webhooks(timeout=timeout, max_retries=max_retries)

    async def delete_webhook(
        self, webhook_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``deleteWebhook()``, which deleted the organization's one
        webhook on a route Refold no longer serves: today a webhook is deleted by its id
        (``deleteWebhook``)."""
        return await self.api.delete_webhook(id=webhook_id, timeout=timeout,
                                             max_retries=max_retries)

    async def subscribe_webhook_events(
        self, webhook_id: str, webhook_events: List[str], *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> RefoldWebhook:
        """The official SDK's ``subscribeWebhookEvents(payload)``, on a route Refold no
        longer serves: today a webhook's events are set by its id (``updateWebhook``), so
        ``webhook_events`` replaces the webhook's list."""
        return await self.api.update_webhook(
            id=webhook_id, body={"webhook_events": webhook_events}, timeout=timeout,
            max_retries=max_retries)

    async def unsubscribe_webhook_event(
        self, webhook_id: str, webhook_event: str, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> RefoldWebhook:
        """The official SDK's ``unsubscribeWebhookEvent(payload)``, on a route Refold no
        longer serves: reads the webhook (``getWebhookById``) and sets its events without
        ``webhook_event`` (``updateWebhook``); two calls, not atomic."""
        webhook = await self.api.get_webhook_by_id(id=webhook_id, timeout=timeout,
                                                   max_retries=max_retries)
        events = [e for e in webhook.get("webhook_events") or [] if e != webhook_event]
        return await self.api.update_webhook(
            id=webhook_id, body={"webhook_events": events}, timeout=timeout,
            max_retries=max_retries)

    async def list_events(
        self, *, timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> List[CustomTrigger]:
        """The official SDK's ``listEvents()``: the event definitions (``listEvents``, now
        under ``/api/v2/public/application/event``)."""
        return await self.api.list_events(timeout=timeout, max_retries=max_retries)

    async def list_event_by_id(
        self, event_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> CustomTrigger:
        """The official SDK's ``listEventById(event_id)`` (``getEvent``)."""
        return await self.api.get_event(event_id=event_id, timeout=timeout,
                                        max_retries=max_retries)

    async def update_event(
        self, event_id: str, name: str, response: Any, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``updateEvent(payload)`` (``updateEvent``)."""
        return await self.api.update_event(
            event_id=event_id, body={"name": name, "response": response}, timeout=timeout,
            max_retries=max_retries)

    async def delete_event(
        self, event_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> Any:
        """The official SDK's ``deleteEvent(event_id)`` (``deleteEvent``)."""
        return await self.api.delete_event(event_id=event_id, timeout=timeout,
                                           max_retries=max_retries)

    async def event(
        self, linked_account_id: str, event: str, *, config_id: Optional[str] = None,
        slug: Optional[str] = None, payload: Optional[Dict[str, Any]] = None,
        files: Optional[Sequence[ApiFile]] = None, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> WebhookFiredResponse:
        """The official SDK's ``event(payload)``: triggers ``event`` for the linked account
        (``triggerEventBySlug`` with a ``slug``, else ``triggerEvent``); with ``files``, as
        multipart."""
        body: TriggerEventJsonRequest = {"event": event}
        if payload is not None:
            body["payload"] = payload
        if slug:
            return await self.api.trigger_event_by_slug(
                slug=slug, config_id=config_id, body=body, files=files,
                linked_account_id=linked_account_id, timeout=timeout, max_retries=max_retries)
        return await self.api.trigger_event(
            config_id=config_id, body=body, files=files, linked_account_id=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    async def trigger_event(
        self, linked_account_id: str, event: str, *, config_id: Optional[str] = None,
        slug: Optional[str] = None, payload: Optional[Dict[str, Any]] = None,
        files: Optional[Sequence[ApiFile]] = None, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> WebhookFiredResponse:
        """The official SDK's ``triggerEvent(payload)``: as :meth:`event` (``config_id``
        goes in the header Refold reads it from)."""
        return await self.event(
            linked_account_id, event, config_id=config_id, slug=slug, payload=payload,
            files=files, timeout=timeout, max_retries=max_retries)

    async def execute_workflow(
        self, workflow_id: str, slug: str, linked_account_id: str, *,
        sync_execution: Optional[bool] = None, payload: Optional[Dict[str, Any]] = None,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> InstanceExecutionResult:
        """The official SDK's ``executeWorkflow(...)`` on Refold's v2 route (the v1 route was
        sunset): ``POST /api/v2/public/workflow/{workflowId}/execute``."""
        sync: Optional[BooleanString] = None
        if sync_execution is not None:
            sync = "true" if sync_execution else "false"
        return await self.api.execute_workflow(
            workflow_id=workflow_id, slug=slug, sync_execution=sync, body=payload,
            linked_account_id=linked_account_id, timeout=timeout, max_retries=max_retries)

    async def get_applications(
        self, linked_account_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> List[ApplicationItem]:
        """The official SDK's ``getApplications(linked_account_id)``: the applications with
        the account's connections (``listApplicationsForLinkedAccount``)."""
        return await self.api.list_applications(
            linked_account_id=linked_account_id, linked_account_id_query=linked_account_id,
            timeout=timeout, max_retries=max_retries)

    async def get_application_by_slug(
        self, linked_account_id: str, slug: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> ApplicationItem:
        """The official SDK's ``getApplicationBySlug(linked_account_id, slug)``."""
        return await self.api.get_application_by_slug(
            slug=slug, linked_account_id=linked_account_id,
            linked_account_id_query=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    async def get_executions(
        self, linked_account_id: str, page: Optional[int] = None, limit: Optional[int] = None,
        *, timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> PaginatedInstances:
        """The official SDK's ``getExecutions(linked_account_id, options)``: one page of the
        account's executions (``listExecutions``)."""
        return await self.api.list_executions(
            page=page, limit=limit, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    async def get_execution_by_id(
        self, linked_account_id: str, execution_id: str, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> Instance:
        """The official SDK's ``getExecutionById(linked_account_id, execution_id)``."""
        return await self.api.get_execution(
            execution_id=execution_id, linked_account_id=linked_account_id, timeout=timeout,
            max_retries=max_retries)

    async def get_all_linked_accounts(
        self, page: Optional[int] = None, limit: Optional[int] = None, *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> PaginatedLinkedAccounts:
        """The official SDK's ``getAllLinkedAccounts(options)``: one page, as Refold's JSON
        (:meth:`list_linked_accounts` gives typed records)."""
        return await self.api.list_linked_accounts(page=page, limit=limit, timeout=timeout,
                                                   max_retries=max_retries)

    async def get_linked_account_by_id(
        self, linked_account_id: str, *, timeout: Optional[_Seconds] = None,
        max_retries: Optional[int] = None,
    ) -> LinkedAccountJson:
        """The official SDK's ``getLinkedAccountById(linked_account_id)``, as Refold's JSON
        (:meth:`get_linked_account` gives a typed record)."""
        return await self.api.get_linked_account(linked_account_id=linked_account_id,
                                                 timeout=timeout, max_retries=max_retries)

    async def migrate_auth(
        self, linked_account_id: str, slug: str, auth_object: Dict[str, Any], *,
        timeout: Optional[_Seconds] = None, max_retries: Optional[int] = None,
    ) -> MigrateTokenResponse:
        """The official SDK's ``migrateAuth(payload)``: moves an application's credentials
        into the linked account (``migrateTokenForLinkedAccount``)."""
        return await self.api.migrate_token(
            body={"slug": slug, "auth_object": auth_object},
            linked_account_id=linked_account_id, timeout=timeout, max_retries=max_retries)
