"""The whole of Refold's API from Python against the emulator: the generic entry
(`client.call`, `call_page`, `call_all`), the generated methods (`client.api.<name>`, their
`_all` iterators), the scoped clients, per-call options, multipart files, deprecation, and
secrets kept out of every text; sync and asyncio."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import warnings
from typing import Any, Dict, Iterator, List

import pytest

from refold_session import (
    APITimeoutError,
    AsyncRefold,
    AsyncScopedRefold,
    InvalidInputError,
    NotFoundError,
    Refold,
    ScopedRefold,
    ServerError,
)

from conftest import API_KEY, Emulator, start_emulator, stop


@pytest.fixture(scope="module")
def api_emulator() -> Iterator[Emulator]:
    emu = start_emulator([API_KEY], [], any_linked_account=True)
    try:
        yield emu
    finally:
        stop(emu)


@pytest.fixture()
def emu(api_emulator: Emulator) -> Emulator:
    api_emulator.reset()
    return api_emulator


def logged(emu: Emulator) -> List[Dict[str, Any]]:
    return emu.requests()["requests"]  # type: ignore[no-any-return]


def rows(count: int) -> List[Dict[str, str]]:
    return [{"email": f"{i}@example.com"} for i in range(count)]


def test_a_table_is_created_filled_and_read_with_an_iterator(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    account = client.for_linked_account("py-api-1")
    assert isinstance(account, ScopedRefold) and account.linked_account_id == "py-api-1"
    created = account.api.create_persistent_table(
        body={"table_name": "leads", "columns": [{"column_name": "email"}]}
    )
    table = created["table_id"]
    account.api.add_records_to_persistent_table(table_id=table, body={"data": rows(5)})
    read = list(account.api.get_persistent_table_records_all(table_id=table, limit=2))
    assert [record["email"] for record in read] == [f"{i}@example.com" for i in range(5)]
    log = logged(emu)
    assert len(log) == 5, "create, fill, three pages of 2, 2 and 1"
    assert [entry["query"] for entry in log[2:]] == [
        "limit=2", "page=2&limit=2", "page=3&limit=2"
    ]
    for entry in log:
        assert entry["headers"]["linked_account_id"] == "py-api-1"
        assert entry["headers"]["x-api-key"] == "[redacted]"

    # The generic entry: camelCase or declared keys, one page, every item.
    first = client.call_page("getPersistentTableRecords", {"tableId": table, "limit": 3},
                             linked_account_id="py-api-1")
    assert len(first["items"]) == 3 and first["next_page"] == 2
    assert first["body"]["hasNextPage"] is True
    assert len(list(client.call_all("getPersistentTableRecords", {"table_id": table, "limit": 4},
                                    linked_account_id="py-api-1"))) == 5
    answer = client.call("getPersistentTableRecords", {"table_id": table},
                         linked_account_id="py-api-1")
    assert isinstance(answer, dict) and len(answer["docs"]) == 5
    tables = client.api.list_persistent_tables(linked_account_id="py-api-1")
    assert [t["_id"] for t in tables["docs"]] == [table]


def test_the_same_with_asyncio(emu: Emulator) -> None:
    async def main() -> None:
        client = AsyncRefold(API_KEY, base_url=emu.url, max_retries=0)
        account = client.for_linked_account("py-api-2")
        assert isinstance(account, AsyncScopedRefold)
        created = await account.api.create_persistent_table(
            body={"table_name": "leads", "columns": [{"column_name": "email"}]}
        )
        table = created["table_id"]
        await account.api.add_records_to_persistent_table(table_id=table, body={"data": rows(5)})
        read = [r async for r in account.api.get_persistent_table_records_all(table_id=table,
                                                                              limit=2)]
        assert len(read) == 5
        page = await client.call_page("getPersistentTableRecords",
                                      {"table_id": table, "page": 3, "limit": 2},
                                      linked_account_id="py-api-2")
        assert len(page["items"]) == 1 and page["next_page"] is None
        every = [r async for r in client.call_all("getPersistentTableRecords",
                                                  {"table_id": table},
                                                  linked_account_id="py-api-2")]
        assert len(every) == 5
        answer = await client.call("getPersistentTableRecords", {"table_id": table},
                                   linked_account_id="py-api-2")
        assert len(answer["docs"]) == 5
        await client.close()

    asyncio.run(main())
    assert len(logged(emu)) == 8, "create, fill, 3 pages, 1 page, 1 page (the default limit), 1"


def test_a_session_token_client_refuses_org_operations_unsent(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="refold_session")
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    session = client.get_token_for_linked_account("py-api-3")
    scoped = client.for_session_token(session)
    assert scoped.linked_account_id is None
    assert scoped.api.get_active_linked_account()["account_id"] == "py-api-3"
    bearer = logged(emu)[-1]["headers"]
    assert bearer["authorization"] == "Bearer [redacted]" and "x-api-key" not in bearer
    sent = emu.count()
    with pytest.raises(InvalidInputError, match="org-level") as refused:
        scoped.api.list_webhooks()
    with pytest.raises(InvalidInputError, match="org-level"):
        scoped.call("listLinkedAccounts")
    with pytest.raises(InvalidInputError, match="linked_account_id"):
        scoped.api.list_workflows(linked_account_id="someone-else")
    assert emu.count() == sent, "nothing was sent"
    for text in (str(refused.value), repr(refused.value), repr(scoped), repr(scoped.api)):
        assert session.token not in text and API_KEY not in text

    async def main() -> None:
        async_client = AsyncRefold(API_KEY, base_url=emu.url, max_retries=0)
        async_scoped = async_client.for_session_token(session.token)
        active = await async_scoped.api.get_active_linked_account()
        assert active["account_id"] == "py-api-3"
        with pytest.raises(InvalidInputError, match="org-level"):
            await async_scoped.api.list_webhooks()
        with pytest.raises(InvalidInputError, match="org-level"):
            await async_scoped.call("listWebhooks")

    asyncio.run(main())
    assert emu.count() == sent + 1
    # The scope's own arguments are the core's to check.
    with pytest.raises(TypeError):
        client.for_linked_account(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        client.for_session_token("")
    # Whatever reached `logging` (the bridge's records depend on what earlier tests set up).
    for record in caplog.records:
        assert session.token not in record.getMessage() and API_KEY not in record.getMessage()


def test_per_call_timeout_and_max_retries(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url, timeout=30, max_retries=0)
    emu.faults([{"kind": "delay", "ms": 2000}])
    with pytest.raises(APITimeoutError) as late:
        client.api.list_webhooks(timeout=0.2)
    assert late.value.attempts == 1
    emu.reset()
    emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"}}])
    client.api.list_webhooks(max_retries=1)
    assert emu.count() == 2
    emu.reset()
    emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"}}])
    with pytest.raises(ServerError) as failed:
        client.call("listWebhooks", max_retries=0)
    assert failed.value.attempts == 1
    emu.reset()
    with pytest.raises(InvalidInputError, match="max_retries"):
        client.api.list_webhooks(max_retries=101)
    with pytest.raises(TypeError, match="timeout"):
        client.call("listWebhooks", timeout="1")  # type: ignore[arg-type]
    assert emu.count() == 0

    async def main() -> None:
        async_client = AsyncRefold(API_KEY, base_url=emu.url, timeout=30, max_retries=0)
        emu.faults([{"kind": "delay", "ms": 2000}])
        with pytest.raises(APITimeoutError):
            await async_client.api.list_webhooks(timeout=0.2)
        emu.reset()
        emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"}}])
        await async_client.api.list_webhooks(max_retries=1)

    asyncio.run(main())
    assert emu.count() == 2


def test_cancelling_an_async_api_call_stops_its_work(emu: Emulator) -> None:
    # Each attempt outlasts the timeout and would be retried: a cancelled call sends no more.
    emu.faults([{"kind": "delay", "ms": 1500}] * 12)

    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, timeout=0.4, max_retries=4) as client:
            call = asyncio.ensure_future(client.api.list_webhooks())
            deadline = time.monotonic() + 5
            while emu.count() < 1 and time.monotonic() < deadline:  # the first attempt is in
                await asyncio.sleep(0.005)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await asyncio.sleep(1.5)

    asyncio.run(run())
    assert emu.count() == 1


def test_a_multipart_trigger_carries_bytes(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    client.api.create_event(body={"name": "file_uploaded", "response": "{}"})
    account = client.for_linked_account("py-api-4")
    fired = account.api.trigger_event(
        body={"event": "file_uploaded", "payload": {"n": 1}},
        files=[{"field": "file", "filename": "notes.txt", "content_type": "text/plain",
                "data": b"hello \x00 bytes"}],
    )
    assert isinstance(fired, dict)
    sent = logged(emu)[-1]
    assert sent["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert 'filename="notes.txt"' in sent["body"] and "hello" in sent["body"]

    async def main() -> None:
        async_client = AsyncRefold(API_KEY, base_url=emu.url, max_retries=0)
        await async_client.for_linked_account("py-api-4").api.trigger_event(
            body={"event": "file_uploaded"},
            files=[{"field": "file", "filename": "a.bin", "data": bytearray(b"\x01\x02")}],
        )

    asyncio.run(main())
    assert logged(emu)[-1]["headers"]["content-type"].startswith("multipart/form-data")
    before = emu.count()
    for bad in ("hello", [{"field": "file", "filename": "x", "data": "text"}], [b"raw"],
                [{"field": "file", "data": b"x"}]):
        with pytest.raises(TypeError, match="files"):
            account.call("triggerEvent", body={"event": "file_uploaded"}, files=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        account.api.trigger_event(
            body={"event": "file_uploaded"},
            files=[{"field": "file", "filename": "big.bin", "data": bytes(17 * 1024 * 1024)}],
        )
    assert emu.count() == before, "nothing was sent"


def test_the_generic_entry_refuses_bad_calls_unsent_and_keeps_the_key_out(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    failures: List[BaseException] = []
    for call in (
        lambda: client.call("noSuchOperation"),
        lambda: client.call("listSchedules"),
        lambda: client.call("listWebhooks", body={"a": 1}),
        lambda: client.call("getPersistentTableRecords", {"table_id": "t", "page": "two"},
                            linked_account_id="a"),
        lambda: client.call_page("listWebhooks"),
        lambda: client.api.get_persistent_table_records(table_id="", linked_account_id="a"),
        lambda: client.call("listWebhooks", {"nope": 1}),
        lambda: client.call("listWebhooks", params=["not", "a", "map"]),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidInputError) as refused:
            call()
        failures.append(refused.value)
    with pytest.raises(TypeError):
        client.call(42)  # type: ignore[arg-type]
    assert emu.count() == 0
    with pytest.raises(NotFoundError) as missing:
        client.api.get_execution(execution_id="nope", linked_account_id="py-api-5")
    assert missing.value.status == 404 and "getExecutionById" in str(missing.value)
    failures.append(missing.value)
    for failure in failures:
        for text in (str(failure), repr(failure), json.dumps(failure.args, default=str)):
            assert API_KEY not in text
    assert API_KEY not in repr(client.api) and API_KEY not in repr(client)


def test_deprecated_operations_warn(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url, max_retries=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.api.list_config_datastores(slug="hubspot", linked_account_id="py-api-6")
    assert [w.category for w in caught] == [DeprecationWarning]
    assert "listConfigDatastores" in str(caught[0].message)
    assert caught[0].filename == __file__, "the warning points at the caller"
    assert getattr(type(client.api).list_config_datastores, "__deprecated__", None)


def test_every_operation_has_a_method_sync_and_async() -> None:
    from refold_session import Api, AsyncApi

    names = [name for name in vars(Api) if not name.startswith("_")]
    calls = [name for name in names if not name.endswith("_all")]
    assert len(calls) == 102 and len(names) - len(calls) == 13
    assert sorted(names) == sorted(name for name in vars(AsyncApi) if not name.startswith("_"))
    for name in names:
        is_coroutine = asyncio.iscoroutinefunction(getattr(AsyncApi, name))
        assert is_coroutine != name.endswith("_all"), name
