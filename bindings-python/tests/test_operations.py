"""conformance/operations.json: one smoke case per operation, the same in every language. Each
case runs through the generic entry (`call`), and the whole file again through the generated
methods (`client.api.<name>`), in its scope (the organization, a linked account, or a
session token minted for it), sync and asyncio, against a fresh emulator per run; the outcome
(ok, or the error's code and status) must be the expected one."""

from __future__ import annotations

import asyncio
import json
import warnings
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


def run_case(caller: Union[Refold, ScopedRefold], case: Dict[str, Any], generated: bool) -> Outcome:
    try:
        if generated:
            method, arguments = method_arguments(caller.api, case)
            method(**arguments)
        else:
            caller.call(case["operationId"], case.get("params") or {}, case.get("body"))
    except RefoldError as failure:
        assert KEY not in str(failure) and KEY not in repr(failure)
        return outcome_of(failure)
    return outcome_of(None)


async def run_case_async(caller: Union[AsyncRefold, AsyncScopedRefold], case: Dict[str, Any],
                         generated: bool) -> Outcome:
    try:
        if generated:
            method, arguments = method_arguments(caller.api, case)
            await method(**arguments)
        else:
            await caller.call(case["operationId"], case.get("params") or {}, case.get("body"))
    except RefoldError as failure:
        assert KEY not in str(failure) and KEY not in repr(failure)
        return outcome_of(failure)
    return outcome_of(None)


# The whole file runs once per entry, each on a fresh emulator (cases create what later ones
# use, so the two entries cannot share one).
@pytest.mark.parametrize("generated", [False, True], ids=["call", "generated"])
def test_every_case_sync(fresh: Emulator, generated: bool) -> None:
    client = Refold(KEY, base_url=fresh.url, max_retries=0)
    wrong: List[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for case in CASES:
            got = run_case(scoped(client, case), case, generated)
            if got != expected(case):
                wrong.append(f"{case['name']}: {got}, expected {expected(case)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("generated", [False, True], ids=["call", "generated"])
def test_every_case_async(fresh: Emulator, generated: bool) -> None:
    async def main() -> List[str]:
        client = AsyncRefold(KEY, base_url=fresh.url, max_retries=0)
        wrong: List[str] = []
        for case in CASES:
            got = await run_case_async(await scoped_async(client, case), case, generated)
            if got != expected(case):
                wrong.append(f"{case['name']}: {got}, expected {expected(case)}")
        await client.close()
        return wrong

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wrong = asyncio.run(main())
    assert not wrong, "\n".join(wrong)
