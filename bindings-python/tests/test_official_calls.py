"""The official Node SDK's 27 calls under their Python names (conformance/openapi/overlay.json,
`official_sdk.calls`), each once against the emulator: it reaches the route of the operation
it maps to (Refold's answer may be an error: the route is what is checked), with the linked
account in its header; a few of them with asyncio too."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

from refold_session import AsyncRefold, Refold, RefoldError

from conftest import API_KEY, ROOT, Emulator, start_emulator, stop

OFFICIAL = json.loads((ROOT / "conformance/openapi/overlay.json").read_text(encoding="utf-8"))
CALLS: Dict[str, Any] = OFFICIAL["official_sdk"]["calls"]
ACCOUNT = "py-official"


@pytest.fixture(scope="module")
def official_emulator() -> Iterator[Emulator]:
    emu = start_emulator([API_KEY], [ACCOUNT], any_linked_account=True)
    try:
        yield emu
    finally:
        stop(emu)


def python_name(official: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in official)


def last_request(emu: Emulator) -> Dict[str, Any]:
    requests: List[Dict[str, Any]] = emu.requests()["requests"]
    return requests[-1]


def test_each_official_call_reaches_its_route(official_emulator: Emulator) -> None:
    emu = official_emulator
    emu.reset()
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    webhook = client.create_webhook("http://127.0.0.1:9/hook", ["Connection Created"])
    client.api.create_event(body={"name": "signed_up", "response": "{}"})
    event_id = client.list_events()[0]["_id"]
    workflow = client.api.create_workflow(body={"name": "py-flow"}, linked_account_id=ACCOUNT)
    workflow_id = workflow.get("_id") or workflow.get("workflow_id") or "wf-1"

    calls: List[Tuple[str, Callable[[], Any], str]] = [
        ("config", lambda: client.config(ACCOUNT, "hubspot"), "POST /api/v2/public/config"),
        ("updateConfig", lambda: client.update_config(ACCOUNT, "hubspot", fields=[]),
         "PUT /api/v2/public/config"),
        ("getConfig", lambda: client.get_config(ACCOUNT, "hubspot"),
         "GET /api/v2/public/slug/hubspot/config"),
        ("deleteConfig", lambda: client.delete_config(ACCOUNT, "hubspot", config_id="c-1"),
         "DELETE /api/v2/public/slug/hubspot/config/c-1"),
        ("createWebhook", lambda: client.create_webhook("http://127.0.0.1:9/b", ["Workflow Failed"]),
         "POST /api/v2/public/webhook"),
        ("getWebhook", lambda: client.get_webhook(), "GET /api/v2/public/webhook"),
        ("subscribeWebhookEvents",
         lambda: client.subscribe_webhook_events(webhook["_id"], ["Connection Created",
                                                                  "Workflow Failed"]),
         f"PUT /api/v2/public/webhook/{webhook['_id']}"),
        ("unsubscribeWebhookEvent",
         lambda: client.unsubscribe_webhook_event(webhook["_id"], "Workflow Failed"),
         f"PUT /api/v2/public/webhook/{webhook['_id']}"),
        ("deleteWebhook", lambda: client.delete_webhook(webhook["_id"]),
         f"DELETE /api/v2/public/webhook/{webhook['_id']}"),
        ("listEvents", lambda: client.list_events(), "GET /api/v2/public/application/event"),
        ("listEventById", lambda: client.list_event_by_id(event_id),
         f"GET /api/v2/public/application/event/{event_id}"),
        ("updateEvent", lambda: client.update_event(event_id, "signed_up", "{}"),
         f"PUT /api/v2/public/application/event/{event_id}"),
        ("event", lambda: client.event(ACCOUNT, "signed_up", payload={"n": 1}),
         "POST /api/v2/public/event/trigger"),
        ("triggerEvent", lambda: client.trigger_event(ACCOUNT, "signed_up", slug="hubspot"),
         "POST /api/v2/public/event/hubspot"),
        ("deleteEvent", lambda: client.delete_event(event_id),
         f"DELETE /api/v2/public/application/event/{event_id}"),
        ("executeWorkflow",
         lambda: client.execute_workflow(workflow_id, "hubspot", ACCOUNT, sync_execution=True,
                                         payload={"a": 1}),
         f"POST /api/v2/public/workflow/{workflow_id}/execute"),
        ("getApplications", lambda: client.get_applications(ACCOUNT),
         "GET /api/v2/public/application"),
        ("getApplicationBySlug", lambda: client.get_application_by_slug(ACCOUNT, "hubspot"),
         "GET /api/v2/public/application/hubspot"),
        ("getExecutions", lambda: client.get_executions(ACCOUNT, limit=5),
         "GET /api/v2/public/execution"),
        ("getExecutionById", lambda: client.get_execution_by_id(ACCOUNT, "exec-1"),
         "GET /api/v2/public/execution/exec-1"),
        ("migrateAuth", lambda: client.migrate_auth(ACCOUNT, "hubspot", {"access_token": "t"}),
         "PUT /api/v2/public/migrate-token"),
        ("getAllLinkedAccounts", lambda: client.get_all_linked_accounts(limit=5),
         "GET /api/v2/public/linked-account"),
        ("getLinkedAccountById", lambda: client.get_linked_account_by_id(ACCOUNT),
         f"GET /api/v2/public/linked-account/{ACCOUNT}"),
        ("upsertLinkedAccount", lambda: client.upsert_linked_account("py-official-2"),
         "PUT /api/v2/public/linked-account"),
        ("createLinkedAccount", lambda: client.create_linked_account("py-official-3"),
         "POST /api/v2/public/linked-account"),
        ("getTokenForLinkedAccount", lambda: client.get_token_for_linked_account(ACCOUNT),
         "POST /api/v2/public/session-token"),
        ("deleteLinkedAccount", lambda: client.delete_linked_account("py-official-3"),
         "DELETE /api/v2/public/linked-account/py-official-3"),
    ]
    assert sorted(name for name, _, _ in calls) == sorted(CALLS), "each official call once"
    wrong: List[str] = []
    for name, call, route in calls:
        assert hasattr(client, python_name(name)), name
        before = emu.count()
        try:
            call()
        except RefoldError as error:
            assert API_KEY not in str(error)
        if emu.count() == before:
            wrong.append(f"{name}: nothing sent")
            continue
        sent = last_request(emu)
        if f"{sent['method']} {sent['path']}" != route:
            wrong.append(f"{name}: {sent['method']} {sent['path']}, expected {route}")
        takes_account = any(a["to"] == "header.linked_account_id"
                            for a in CALLS[name]["arguments"])
        if takes_account and sent["headers"].get("linked_account_id") != ACCOUNT:
            wrong.append(f"{name}: linked_account_id header {sent['headers'].get('linked_account_id')}")
    assert not wrong, "\n".join(wrong)


def test_official_calls_with_asyncio(official_emulator: Emulator) -> None:
    emu = official_emulator
    emu.reset()

    async def main() -> None:
        client = AsyncRefold(API_KEY, base_url=emu.url, max_retries=0)
        hook = await client.create_webhook("http://127.0.0.1:9/hook", ["Connection Created"])
        assert hook["webhook_url"] == "http://127.0.0.1:9/hook"
        hooks = await client.get_webhook()
        assert [h["_id"] for h in hooks] == [hook["_id"]]
        page = await client.get_all_linked_accounts(limit=1)
        assert page["docs"][0]["account_id"] == ACCOUNT
        account = await client.get_linked_account_by_id(ACCOUNT)
        assert account["account_id"] == ACCOUNT
        await client.delete_webhook(hook["_id"])
        assert await client.get_webhook() == []
        await client.close()

    asyncio.run(main())


OFFICIAL_CASES: Dict[str, Any] = json.loads(
    (ROOT / "conformance/official-calls.json").read_text(encoding="utf-8"))


def test_official_calls_cases() -> None:
    """conformance/official-calls.json, which every language runs: the same 27 names, and
    the three retired calls alike (by webhook id, or refused unsent naming the replacement)."""
    for name in OFFICIAL_CASES["names"]:
        assert callable(getattr(Refold, python_name(name), None)), name
        assert callable(getattr(AsyncRefold, python_name(name), None)), name
    key = OFFICIAL_CASES["key"]
    emu = start_emulator([key], [], any_linked_account=True)
    try:
        client = Refold(key, base_url=emu.url, max_retries=0)
        webhook = client.create_webhook("http://127.0.0.1:9/hook", ["Connection Created"])["_id"]
        for case in OFFICIAL_CASES["cases"]:
            webhook_id = case["webhook_id"] and case["webhook_id"].replace("{webhook}", webhook)
            payload = case["payload"] or {}
            before = emu.count()
            answer: Any = None
            error: Any = None
            try:
                if case["call"] == "deleteWebhook":
                    answer = client.delete_webhook(webhook_id)
                elif case["call"] == "subscribeWebhookEvents":
                    answer = client.subscribe_webhook_events(webhook_id, payload["webhook_events"])
                else:
                    answer = client.unsubscribe_webhook_event(webhook_id, payload["webhook_event"])
            except RefoldError as caught:
                error = caught
            expect = case["expect"]
            if "error" in expect:
                assert error is not None and error.code == expect["error"], (case, error)
                for part in expect.get("message_contains", []):
                    assert part in str(error), (case, str(error))
            else:
                assert error is None, (case, error)
                if "webhook_events" in expect:
                    assert answer["webhook_events"] == expect["webhook_events"], (case, answer)
            requests = emu.requests()["requests"][before:]
            sent = [f"{r['method']} {r['path']}" for r in requests]
            assert sent == [s.replace("{webhook}", webhook) for s in case["sent"]], case
        client.close()
    finally:
        stop(emu)
