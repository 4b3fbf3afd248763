"""A typed use of the whole API (``client.api``, the generic ``call``, scoped clients, the
official SDK's calls), checked with `mypy --strict` by `make test-python`."""

from __future__ import annotations

import asyncio
from typing import Any, Iterator, List, Optional

from refold_session import (
    Api,
    ApiFile,
    ApiPage,
    AsyncRefold,
    AsyncScopedRefold,
    Refold,
    ScopedRefold,
)
from refold_session._api_models import PaginatedTables, Table, WebhookFiredResponse


def tables(client: Refold, linked_account_id: str) -> List[str]:
    account: ScopedRefold = client.for_linked_account(linked_account_id)
    api: Api = account.api
    page: PaginatedTables = api.list_persistent_tables(limit=50, timeout=10, max_retries=2)
    names: List[str] = [table.get("name", "") for table in page.get("docs", [])]
    every: Iterator[Table] = api.list_persistent_tables_all(limit=100)
    names += [table["_id"] for table in every]
    return names


def upload(client: Refold, linked_account_id: str, data: bytes) -> WebhookFiredResponse:
    files: List[ApiFile] = [{"field": "file", "filename": "report.csv", "data": data}]
    return client.api.trigger_event(body={"event": "report_ready"}, files=files,
                                    linked_account_id=linked_account_id)


def generic(client: Refold) -> Optional[int]:
    answer: Any = client.call("listWebhooks", timeout=5)
    print(answer)
    page: ApiPage = client.call_page("listLinkedAccounts", {"limit": 10})
    return page["next_page"]


def official(client: Refold) -> None:
    applications = client.get_applications("user-42")
    print([app.get("slug") for app in applications])
    execution = client.get_execution_by_id("user-42", "exec-1")
    print(execution.get("status"))
    client.execute_workflow("wf-1", "hubspot", "user-42", sync_execution=False,
                            payload={"lead": "ada@example.com"})


async def front_end_scope(client: AsyncRefold, linked_account_id: str) -> None:
    token = await client.get_token_for_linked_account(linked_account_id)
    scoped: AsyncScopedRefold = client.for_session_token(token)
    account = await scoped.api.get_active_linked_account()
    print(account.get("account_id"))
    async for workflow in scoped.api.list_workflows_all(limit=20):
        print(workflow.get("name"))


if __name__ == "__main__":
    with Refold() as sync_client:
        print(tables(sync_client, "user-42"))
    asyncio.run(front_end_scope(AsyncRefold(), "user-42"))
