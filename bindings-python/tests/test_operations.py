"""conformance/operations.json: one smoke case per operation, the same in every language. Each
case runs through the generic entry (`call`) and, when it must succeed, through the generated
method too (`client.api.<name>`), in its scope (the organization, a linked account, or a
session token minted for it), sync and asyncio, against a fresh emulator per run; the outcome
(ok, or the error's code and status) must be the expected one."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import pytest

from refold_session import AsyncRefold, AsyncScopedRefold, Refold, RefoldError, ScopedRefold
from refold_session._api import OPERATION_METHODS, Api, AsyncApi

from conftest import ROOT, Emulator, start_emulator, stop

OPERATIONS = json.loads((ROOT / "conformance" / "operations.json").read_text(encoding="utf-8"))
KEY: str = OPERATIONS["key"]
CASES: List[Dict[str, Any]] = OPERATIONS["cases"]

Outcome = Tuple[str, Optional[int]]


@pytest.fixture()
def fresh() -> Iterator[Emulator]:
    emu = start_emulator([KEY], [], any_linked_account=True)
    try:
        yield emu
    finally:
        stop(emu)


def expected(case: Dict[str, Any]) -> Outcome:
    expect = case["expect"]
    return ("ok", None) if expect.get("ok") else (expect["error"], expect.get("status"))


def method_arguments(api: Union[Api, AsyncApi], case: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
    """The generated method of the case's operation and its keyword arguments: each declared
    key under its Python name (the generator's rule: snake case, the location appended where
    it would shadow a keyword every method takes)."""
    name, keywords = OPERATION_METHODS[case["operationId"]]
    arguments = {keywords[key]: value for key, value in (case.get("params") or {}).items()}
    if "body" in case:
        arguments["body"] = case["body"]
    return getattr(api, name), arguments


def outcome_of(error: Optional[RefoldError]) -> Outcome:
    return ("ok", None) if error is None else (error.code, error.status)


def scoped(client: Refold, case: Dict[str, Any]) -> Union[Refold, ScopedRefold]:
    if case["scope"] == "linked_account":
        return client.for_linked_account(case["linked_account_id"])
    if case["scope"] == "session":
        token = client.get_token_for_linked_account(case["linked_account_id"])
        return client.for_session_token(token)
    return client


async def scoped_async(client: AsyncRefold, case: Dict[str, Any]) -> Union[AsyncRefold, AsyncScopedRefold]:
    if case["scope"] == "linked_account":
        return client.for_linked_account(case["linked_account_id"])
    if case["scope"] == "session":
        token = await client.get_token_for_linked_account(case["linked_account_id"])
        return client.for_session_token(token)
    return client


def test_every_case_sync(fresh: Emulator) -> None:
    client = Refold(KEY, base_url=fresh.url, max_retries=0)
    wrong: List[str] = []
    for case in CASES:
        caller = scoped(client, case)
        error: Optional[RefoldError] = None
        try:
            caller.call(case["operationId"], case.get("params") or {}, case.get("body"))
        except RefoldError as failure:
            error = failure
            assert KEY not in str(failure) and KEY not in repr(failure)
        got = outcome_of(error)
        if got != expected(case):
            wrong.append(f"{case['name']}: {got} (call), expected {expected(case)}")
        if expected(case)[0] == "ok":
            method, arguments = method_arguments(caller.api, case)
            try:
                method(**arguments)
            except RefoldError as failure:
                wrong.append(f"{case['name']}: {outcome_of(failure)} (method)")
    assert not wrong, "\n".join(wrong)


def test_every_case_async(fresh: Emulator) -> None:
    async def main() -> List[str]:
        client = AsyncRefold(KEY, base_url=fresh.url, max_retries=0)
        wrong: List[str] = []
        for case in CASES:
            caller = await scoped_async(client, case)
            error: Optional[RefoldError] = None
            try:
                await caller.call(case["operationId"], case.get("params") or {}, case.get("body"))
            except RefoldError as failure:
                error = failure
            got = outcome_of(error)
            if got != expected(case):
                wrong.append(f"{case['name']}: {got} (call), expected {expected(case)}")
            if expected(case)[0] == "ok":
                method, arguments = method_arguments(caller.api, case)
                try:
                    await method(**arguments)
                except RefoldError as failure:
                    wrong.append(f"{case['name']}: {outcome_of(failure)} (method)")
        await client.close()
        return wrong

    wrong = asyncio.run(main())
    assert not wrong, "\n".join(wrong)
