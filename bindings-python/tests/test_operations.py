"""conformance/operations.json: one smoke case per operation, the same in every language. Each
case runs through the generic entry (`call`), and the whole file again through the generated
methods (`client.api.<name>`), in its scope (the organization, a linked account, or a
session token minted for it), sync and asyncio, against a fresh emulator per run; a case's
`setup` calls go first, through the generic entry, and what they save fills its `${name}`
values; the outcome (ok, or the error's code and status) must be the expected one."""

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


def at_pointer(value: Any, pointer: str) -> Any:
    """The member of `value` at the JSON pointer `pointer` (RFC 6901); KeyError when absent."""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        elif isinstance(value, dict) and token in value:
            value = value[token]
        else:
            raise KeyError(pointer)
    return value


def substituted(value: Any, saved: Dict[str, Any]) -> Any:
    """`value` with every string `${name}` replaced by the value a setup call saved as `name`."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return saved[value[2:-1]]
    if isinstance(value, list):
        return [substituted(item, saved) for item in value]
    if isinstance(value, dict):
        return {key: substituted(item, saved) for key, item in value.items()}
    return value


def saving(call: Dict[str, Any], answer: Any, saved: Dict[str, Any]) -> None:
    for name, pointer in (call.get("save") or {}).items():
        saved[name] = at_pointer(answer, pointer)


def with_saved(case: Dict[str, Any], saved: Dict[str, Any]) -> Dict[str, Any]:
    return {**case, **{key: substituted(case[key], saved) for key in ("params", "body") if key in case}}


def set_up(client: Refold, case: Dict[str, Any]) -> Dict[str, Any]:
    """Makes the case's `setup` calls through the generic call (each in its own scope) and
    returns the case with what they saved put in its params and body."""
    saved: Dict[str, Any] = {}
    for step in case.get("setup") or []:
        call = substituted(step, saved)
        saving(call, scoped(client, call).call(call["operationId"], call.get("params") or {},
                                               call.get("body")), saved)
    return with_saved(case, saved)


async def set_up_async(client: AsyncRefold, case: Dict[str, Any]) -> Dict[str, Any]:
    saved: Dict[str, Any] = {}
    for step in case.get("setup") or []:
        call = substituted(step, saved)
        caller = await scoped_async(client, call)
        saving(call, await caller.call(call["operationId"], call.get("params") or {},
                                       call.get("body")), saved)
    return with_saved(case, saved)


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
        for written in CASES:
            case = set_up(client, written)
            got = run_case(scoped(client, case), case, generated)
            if got != expected(case):
                wrong.append(f"{case['name']}: {got}, expected {expected(case)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("generated", [False, True], ids=["call", "generated"])
def test_every_case_async(fresh: Emulator, generated: bool) -> None:
    async def main() -> List[str]:
        client = AsyncRefold(KEY, base_url=fresh.url, max_retries=0)
        wrong: List[str] = []
        for written in CASES:
            case = await set_up_async(client, written)
            got = await run_case_async(await scoped_async(client, case), case, generated)
            if got != expected(case):
                wrong.append(f"{case['name']}: {got}, expected {expected(case)}")
        await client.close()
        return wrong

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wrong = asyncio.run(main())
    assert not wrong, "\n".join(wrong)
