"""Linked accounts from Python: the calls (sync and asyncio), the values they return, every
page walked by the iterators, the payload handed to the core unchanged (and the problems it
finds raised before anything is sent), and `auth_credentials` kept out of every text."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import pickle
import traceback
from typing import Any, Dict, List

import pytest

from refold_session import (
    AsyncRefold,
    BadRequestError,
    InvalidInputError,
    Integration,
    InvalidLinkedAccountError,
    LinkedAccount,
    LinkedAccountPage,
    NotFoundError,
    Refold,
    RefoldError,
)

from conftest import API_KEY, Emulator

UTC = dt.timezone.utc
CREDENTIAL = "cred_PYTHON_DISTINCTIVE_5e1f"


def bodies(emu: Emulator) -> List[Dict[str, Any]]:
    return [json.loads(r["body"]) for r in emu.requests()["requests"] if r["body"]]


def test_upsert_get_list_delete_then_the_token_fails(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url)
    account = refold.upsert_linked_account(
        "py-acct-1", name="Ada Lovelace", udf={"plan": "pro", "seats": 3, "vip": True, "note": None}
    )
    # What went out is the official SDK's payload; udf as an object.
    assert bodies(emu)[-1] == {"linked_account_id": "py-acct-1", "name": "Ada Lovelace",
                               "udf": {"plan": "pro", "seats": 3, "vip": True, "note": None}}
    assert isinstance(account, LinkedAccount)
    assert (account.account_id, account.name, account.environment) == ("py-acct-1", "Ada Lovelace", "test")
    assert account.udf == {"plan": "pro", "seats": 3, "vip": True, "note": None}
    assert account.id and account.id == account.json["_id"]
    assert account.created_at is not None and account.created_at.tzinfo is UTC
    assert account.updated_at is not None and account.updated_at >= account.created_at
    # Refold's list form of udf stays in the whole object.
    assert isinstance(account.json["udf"], list)

    # An upsert answers new_account and no integrations; a get, the integrations.
    assert account.new_account is True and account.integrations is None
    fetched = refold.get_linked_account("py-acct-1")
    assert (fetched.id, fetched.name, fetched.udf) == (account.id, account.name, account.udf)
    assert isinstance(fetched.integrations, tuple)
    assert all(isinstance(one, Integration) for one in fetched.integrations)
    assert fetched.is_seed in (None, False) and fetched.associated_org == fetched.json.get("associated_org")
    assert fetched.tenant_account_id == fetched.json.get("tenant_account_id")
    assert refold.upsert_linked_account("py-acct-1").new_account is False
    token = refold.get_token_for_linked_account("py-acct-1")
    assert token.linked_account_id == "py-acct-1"

    page = refold.list_linked_accounts(page=1, limit=100)
    assert isinstance(page, LinkedAccountPage)
    assert "py-acct-1" in [one.account_id for one in page]
    assert (page.page, page.limit, page.paging_counter) == (1, 100, 1)
    assert (page.has_prev_page, page.prev_page) == (False, None)
    assert page.has_next_page == (page.next_page is not None)
    assert len(page) == min(page.total, 100) and len(page) >= 2
    if page.total <= 100:
        assert page.next_page is None and page.total_pages == 1

    answer = refold.delete_linked_account("py-acct-1")
    assert isinstance(answer, dict) and answer
    with pytest.raises(NotFoundError) as missing:
        refold.get_linked_account("py-acct-1")
    assert (missing.value.status, missing.value.attempts) == (404, 1)
    with pytest.raises(InvalidLinkedAccountError):
        refold.get_token_for_linked_account("py-acct-1")
    with pytest.raises(NotFoundError):
        refold.delete_linked_account("py-acct-1")
    assert [(r["method"], r["path"]) for r in emu.requests()["requests"]] == [
        ("PUT", "/api/v2/public/linked-account"),
        ("GET", "/api/v2/public/linked-account/py-acct-1"),
        ("PUT", "/api/v2/public/linked-account"),
        ("POST", "/api/v2/public/session-token"),
        ("GET", "/api/v2/public/linked-account"),
        ("DELETE", "/api/v2/public/linked-account/py-acct-1"),
        ("GET", "/api/v2/public/linked-account/py-acct-1"),
        ("POST", "/api/v2/public/session-token"),
        ("DELETE", "/api/v2/public/linked-account/py-acct-1"),
    ]


def test_the_same_calls_on_asyncio(emu: Emulator) -> None:
    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url) as refold:
            created = await refold.create_linked_account("py-async-1", name="Async")
            assert (created.account_id, created.name) == ("py-async-1", "Async")
            with pytest.raises(BadRequestError) as duplicate:
                await refold.create_linked_account("py-async-1")
            assert duplicate.value.attempts == 1
            updated = await refold.upsert_linked_account("py-async-1", name="Renamed", udf={"k": "v"})
            assert (updated.name, updated.udf) == ("Renamed", {"k": "v"})
            fetched = await refold.get_linked_account("py-async-1")
            assert (fetched.id, fetched.name, fetched.udf) == (updated.id, updated.name, updated.udf)
            page = await refold.list_linked_accounts(1, 1)
            assert len(page.accounts) == 1 and page.next_page == 2
            assert (await refold.get_token_for_linked_account("py-async-1")).linked_account_id == "py-async-1"
            assert isinstance(await refold.delete_linked_account("py-async-1"), dict)
            with pytest.raises(NotFoundError):
                await refold.get_linked_account("py-async-1")

    asyncio.run(run())
    assert emu.count() == 8


def test_values_are_immutable_pickle_and_serialise(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url)
    account = refold.upsert_linked_account("py-values", name="V", udf={"a": 1.5})
    with pytest.raises(AttributeError):
        account.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        LinkedAccount()
    with pytest.raises(TypeError):
        LinkedAccountPage()
    # Handing out dicts never changes the account.
    account.udf["a"] = 2
    account.json["name"] = "changed"
    assert account.udf == {"a": 1.5} and account.json["name"] == "V"
    shown = account.to_dict()
    assert shown == {
        "id": account.id, "account_id": "py-values", "environment": "test", "name": "V",
        "udf": {"a": 1.5}, "associated_org": account.associated_org, "integrations": None,
        "is_seed": account.is_seed, "tenant_account_id": account.tenant_account_id,
        "new_account": account.new_account,
        # The core's RFC 3339 text: whole seconds, Z, the same instants as the datetimes.
        "created_at": account.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if account.created_at else None,
        "updated_at": account.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ") if account.updated_at else None,
    }
    assert json.loads(json.dumps(shown)) == shown
    again = pickle.loads(pickle.dumps(account))
    assert again == account and hash(again) == hash(account) and repr(again) == repr(account)
    page = refold.list_linked_accounts(1, 2)
    assert pickle.loads(pickle.dumps(page)) == page
    assert "LinkedAccountPage(page=1, limit=2" in repr(page)
    assert {account, again} == {account}


def test_iterators_walk_every_page(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url)
    wanted = [f"py-walk-{n}" for n in range(7)]
    for name in wanted:
        refold.upsert_linked_account(name)
    total = refold.list_linked_accounts(1, 1).total
    emu.reset()

    walked = [account.account_id for account in refold.iter_linked_accounts(limit=3)]
    assert len(walked) == total and len(set(walked)) == total
    assert [name for name in walked if name in wanted] == wanted  # creation order
    pages = -(-total // 3)
    assert emu.count() == pages
    queries = [r["query"] for r in emu.requests()["requests"]]
    assert queries == [f"page={n}&limit=3" for n in range(1, pages + 1)]

    # Lazy: one request per page, as the iteration goes.
    emu.reset()
    walk = refold.iter_linked_accounts(limit=2)
    assert emu.count() == 0
    next(walk), next(walk)
    assert emu.count() == 1
    next(walk)
    assert emu.count() == 2

    async def run() -> List[str]:
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            return [account.account_id async for account in client.iter_linked_accounts(limit=4)]

    emu.reset()
    assert asyncio.run(run()) == walked
    assert emu.count() == -(-total // 4)
    for name in wanted:
        refold.delete_linked_account(name)


def test_an_error_ends_the_iteration_where_it_happens(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url, max_retries=0)
    for n in range(3):
        refold.upsert_linked_account(f"py-err-{n}")
    emu.reset()
    emu.faults([{"kind": "status", "status": 200, "body": {"docs": [{"account_id": "a"}],
                                                            "page": 1, "hasNextPage": True, "nextPage": 2}},
                {"kind": "status", "status": 503}])
    walk = refold.iter_linked_accounts(limit=1)
    assert next(walk).account_id == "a"
    with pytest.raises(RefoldError) as failed:
        next(walk)
    assert failed.value.code == "server_error"
    with pytest.raises(StopIteration):
        next(walk)
    assert emu.count() == 2


def test_bad_arguments_are_caught_before_sending(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url)
    value_problems: List[Dict[str, Any]] = [
        {"udf": {"address": {"city": "x"}}},   # the core: udf values are scalars
        {"udf": ["not", "a", "dict"]},
        {"udf": {"v": [1, 2]}},
        {"name": 5},                           # JSON of the wrong shape: the core says so
        {"udf": {"ratio": float("nan")}},      # no JSON form
        {"udf": {"big": float("inf")}},
        {"name": "lone \ud800 surrogate"},     # never replaced
        {"udf": {"k": "\udfff"}},
        {"udf": {"\ud800": 1}},
        {"your_app": {"app_id": "app-1"}},     # Refold needs auth_credentials
        {"your_app": "app-1"},
    ]
    for arguments in value_problems:
        with pytest.raises(InvalidInputError) as caught:
            refold.upsert_linked_account("py-bad", **arguments)
        assert caught.value.attempts == 0 and caught.value.status is None, arguments
        with pytest.raises(InvalidInputError):
            refold.create_linked_account("py-bad", **arguments)
    assert "address" in _message(refold, udf={"address": {"c": 1}})
    assert "not valid Unicode" in _message(refold, name="\ud800")
    type_problems: List[Dict[str, Any]] = [
        {"udf": {"when": dt.datetime.now()}},
        {"udf": {1: "x"}},
        {"your_app": {"app_id": "a", "auth_credentials": {"raw": b"bytes"}}},
        {"udf": {"s": {1, 2}}},
    ]
    for arguments in type_problems:
        with pytest.raises(TypeError) as wrong:
            refold.upsert_linked_account("py-bad", **arguments)
        assert not isinstance(wrong.value, RefoldError)
    # The id follows the session-token rules, TypeError included.
    for bad_id in ("", "  ", "a\x00b", "x" * 1025, "\ud800"):
        for call in (refold.upsert_linked_account, refold.create_linked_account,
                     refold.get_linked_account, refold.delete_linked_account):
            with pytest.raises(InvalidInputError):
                call(bad_id)
    for call in (refold.upsert_linked_account, refold.get_linked_account, refold.delete_linked_account):
        with pytest.raises(TypeError):
            call(42)  # type: ignore[arg-type]
    for page, limit in ((0, 10), (1, 0), (1, 101), (-1, 10), (2**64, 10)):
        with pytest.raises(InvalidInputError):
            refold.list_linked_accounts(page, limit)  # type: ignore[arg-type]
    for page, limit in (("1", 10), (1.5, 10), (True, 10)):
        with pytest.raises(TypeError):
            refold.list_linked_accounts(page, limit)  # type: ignore[arg-type]
    for limit in (0, 101):
        with pytest.raises(InvalidInputError):
            refold.iter_linked_accounts(limit)  # raised at once, not on the first next()
    with pytest.raises(TypeError):
        refold.iter_linked_accounts("10")  # type: ignore[arg-type]
    # A cyclic structure is refused, not followed forever.
    cycle: Dict[str, Any] = {}
    cycle["self"] = cycle
    with pytest.raises(InvalidInputError):
        refold.upsert_linked_account("py-bad", your_app={"app_id": "a", "auth_credentials": cycle})
    assert emu.count() == 0


def _message(refold: Refold, **arguments: Any) -> str:
    try:
        refold.upsert_linked_account("py-bad", **arguments)
    except InvalidInputError as error:
        return error.message
    raise AssertionError("expected InvalidInputError")


def test_values_of_every_json_type_reach_refold_as_given(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url)
    credentials = {"token": CREDENTIAL, "nested": {"list": [1, 2.5, True, None, "x"]},
                   "tuple": (1, 2), "big": 2**63 + 1, "negative": -(2**40)}
    refold.upsert_linked_account(
        "py-json", name="Ünïcode ✓ 🙂", udf={"int": 7, "float": 0.25, "bool": False, "none": None,
                                             "text": "quote\" back\\slash"},
        your_app={"app_id": "app-1", "auth_credentials": credentials},
    )
    body = bodies(emu)[-1]
    assert body["name"] == "Ünïcode ✓ 🙂"
    assert body["udf"] == {"int": 7, "float": 0.25, "bool": False, "none": None, "text": "quote\" back\\slash"}
    # The emulator logs credentials redacted; they were sent (Refold accepted the account).
    assert body["your_app"] == {"app_id": "app-1", "auth_credentials": "[redacted]"}
    refold.delete_linked_account("py-json")


def test_credentials_never_in_messages_reprs_or_logs(emu: Emulator) -> None:
    logger = logging.getLogger("refold_session")
    records: List[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep(logging.DEBUG)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    your_app = {"app_id": "app-1", "auth_credentials": {"api_token": CREDENTIAL, "list": [CREDENTIAL]}}
    try:
        refold = Refold(API_KEY, base_url=emu.url)
        echo = {"message": f"rejected {CREDENTIAL}", "error": CREDENTIAL}
        # Retried (logged), then failed with a message that echoes the credential.
        emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "5"}, "body": echo},
                    {"kind": "status", "status": 400, "body": echo}])
        with pytest.raises(BadRequestError) as caught:
            refold.upsert_linked_account("py-cred", your_app=your_app)
        error = caught.value
        account = refold.upsert_linked_account("py-cred", name="C", your_app=your_app)

        async def run() -> BaseException:
            emu.faults([{"kind": "status", "status": 400, "body": echo}])
            async with AsyncRefold(API_KEY, base_url=emu.url) as client:
                try:
                    await client.create_linked_account("py-cred-2", your_app=your_app)
                except RefoldError as failure:
                    return failure
            raise AssertionError("expected an error")

        async_error = asyncio.run(run())
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert any("retrying" in text for text in records), records
    texts = records + [
        str(error), repr(error), repr(error.args), str(async_error), repr(async_error),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        repr(account), str(account.to_dict()), json.dumps(account.json), repr(refold),
    ]
    for text in texts:
        assert CREDENTIAL not in text, text
    assert "Refold said:" in str(error)
    refold.delete_linked_account("py-cred")


def test_closed_clients_refuse_linked_account_calls(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url)
    walk = refold.iter_linked_accounts(limit=1)
    refold.close()
    for call in (lambda: refold.get_linked_account("acct-1"), lambda: refold.list_linked_accounts(),
                 lambda: refold.upsert_linked_account("acct-1"), lambda: next(walk),
                 lambda: refold.iter_linked_accounts(), lambda: refold.cache_stats()):
        with pytest.raises(RuntimeError, match="closed"):
            call()
    assert emu.count() == 0
