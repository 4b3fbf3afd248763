"""conformance/operations.json (one smoke case per operation) and operation-scenarios.json
(scoping, retries, pages), the same in every language. Each file runs through the generic entry
(`call`, `call_all` for pages), and again through the generated methods (`client.api.<name>`,
`<name>_all` for pages), in each case's scope (the organization, a linked account, or a session
token minted for it), sync and asyncio, against a fresh emulator per run; a case's `setup` calls
go first, through the generic entry, and what they save fills its `${name}` values; the outcome
(ok, or the error's code and status; and where the case states them the attempts of a failed
call, the items read and the requests the emulator received) must be the expected one."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import pytest

from refold_session import AsyncRefold, AsyncScopedRefold, Refold, RefoldError, ScopedRefold
from refold_session._api import OPERATION_METHODS, Api, AsyncApi

from conftest import ROOT, Emulator, start_emulator, stop

FILES = ["operations.json", "operation-scenarios.json"]
DOCUMENTS = {name: json.loads((ROOT / "conformance" / name).read_text(encoding="utf-8")) for name in FILES}
# Both files use the same key.
KEY: str = DOCUMENTS["operations.json"]["key"]
assert all(document["key"] == KEY for document in DOCUMENTS.values())

Outcome = Dict[str, Any]


@pytest.fixture()
def fresh() -> Iterator[Emulator]:
    emu = start_emulator([KEY], [], any_linked_account=True)
    try:
        yield emu
    finally:
        stop(emu)


def method_arguments(api: Union[Api, AsyncApi], case: Dict[str, Any]) -> Tuple[Any, Dict[str, Any]]:
    """The generated method of the case's operation (`<name>_all` for pages) and its keyword
    arguments: each declared key under its Python name (the generator's rule: snake case, the
    location appended where it would shadow a keyword every method takes), the body and the
    call's own linked account."""
    name, keywords = OPERATION_METHODS[case["operationId"]]
    arguments = {keywords[key]: value for key, value in (case.get("params") or {}).items()}
    if "body" in case:
        arguments["body"] = case["body"]
    if "request_linked_account_id" in case:
        arguments["linked_account_id"] = case["request_linked_account_id"]
    return getattr(api, f"{name}_all" if case.get("pages") else name), arguments


def inexpressible(case: Dict[str, Any], generated: bool) -> Optional[str]:
    """Why a generated method cannot make the case's call (the case is then skipped), or None."""
    if not generated:
        return None
    name, keywords = OPERATION_METHODS[case["operationId"]]
    if any(key not in keywords for key in case.get("params") or {}):
        return "a generated method has no argument for a parameter its operation does not declare"
    if case.get("pages") and not hasattr(Api, f"{name}_all"):
        return "only a paginated list has a generated <name>_all"
    return None


# The cases the generated methods cannot write, each skipped by its rule (`inexpressible`);
# listed so that a case skipped by mistake fails the run instead of passing unseen.
SKIPPED_WHEN_GENERATED = {
    "operations.json": set(),
    "operation-scenarios.json": {
        "pages_of_a_list_that_is_not_paginated_are_refused_unsent",
        "scope_unknown_parameter_is_refused_unsent",
    },
}


def runnable(file: str, generated: bool) -> List[Dict[str, Any]]:
    """The cases of `file` this entry runs; fails when the skipped ones are not those listed."""
    cases = DOCUMENTS[file]["cases"]
    skipped = {case["name"] for case in cases if inexpressible(case, generated)}
    assert skipped == (SKIPPED_WHEN_GENERATED[file] if generated else set()), sorted(skipped)
    return [case for case in cases if case["name"] not in skipped]


def generic_arguments(case: Dict[str, Any]) -> Tuple[str, Dict[str, Any], Any, Optional[str]]:
    return (case["operationId"], case.get("params") or {}, case.get("body"),
            case.get("request_linked_account_id"))


class Observed:
    """What one call did: its error (None when it succeeded) and the items it read."""

    def __init__(self) -> None:
        self.error: Optional[RefoldError] = None
        self.items = 0


def outcome_of(case: Dict[str, Any], observed: Observed, sent: int) -> Outcome:
    """The observed outcome, in the shape of the case's `expect` (its optional members only
    where the case states them)."""
    error = observed.error
    got: Outcome = {"ok": True} if error is None else {"error": error.code, "status": error.status}
    expect = case["expect"]
    if "attempts" in expect:
        got["attempts"] = 1 if error is None else error.attempts
    if "items" in expect:
        got["items"] = observed.items
    if "sent" in expect:
        got["sent"] = sent
    return got


def expected(case: Dict[str, Any]) -> Outcome:
    expect = dict(case["expect"])
    if not expect.get("ok"):
        expect.setdefault("status", None)
    return expect


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


def client_for(client: Refold, emu: Emulator, case: Dict[str, Any]) -> Refold:
    """The organization's client, or one with the case's `max_retries`."""
    retries = case.get("max_retries", 0)
    return client if retries == 0 else Refold(KEY, base_url=emu.url, max_retries=retries)


def async_client_for(client: AsyncRefold, emu: Emulator, case: Dict[str, Any]) -> AsyncRefold:
    retries = case.get("max_retries", 0)
    return client if retries == 0 else AsyncRefold(KEY, base_url=emu.url, max_retries=retries)


def run_case(caller: Union[Refold, ScopedRefold], case: Dict[str, Any], generated: bool) -> Observed:
    observed = Observed()
    try:
        if generated:
            method, arguments = method_arguments(caller.api, case)
            if case.get("pages"):
                for _ in method(**arguments):
                    observed.items += 1
            else:
                method(**arguments)
        elif case.get("pages"):
            for _ in caller.call_all(*generic_arguments(case)):
                observed.items += 1
        else:
            caller.call(*generic_arguments(case))
    except RefoldError as failure:
        assert KEY not in str(failure) and KEY not in repr(failure)
        observed.error = failure
    return observed


async def run_case_async(caller: Union[AsyncRefold, AsyncScopedRefold], case: Dict[str, Any],
                         generated: bool) -> Observed:
    observed = Observed()
    try:
        if generated:
            method, arguments = method_arguments(caller.api, case)
            if case.get("pages"):
                async for _ in method(**arguments):
                    observed.items += 1
            else:
                await method(**arguments)
        elif case.get("pages"):
            async for _ in caller.call_all(*generic_arguments(case)):
                observed.items += 1
        else:
            await caller.call(*generic_arguments(case))
    except RefoldError as failure:
        assert KEY not in str(failure) and KEY not in repr(failure)
        observed.error = failure
    return observed


# Each file runs once per entry, each on a fresh emulator (cases create what later ones use, so
# the two entries cannot share one).
@pytest.mark.parametrize("file", FILES)
@pytest.mark.parametrize("generated", [False, True], ids=["call", "generated"])
def test_every_case_sync(fresh: Emulator, file: str, generated: bool) -> None:
    client = Refold(KEY, base_url=fresh.url, max_retries=0)
    wrong: List[str] = []
    ran = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for written in runnable(file, generated):
            ran += 1
            case = set_up(client, written)
            retrying = client_for(client, fresh, case)
            caller = scoped(retrying, case)
            if "faults" in case:
                fresh.faults(case["faults"])
            before = fresh.count()
            observed = run_case(caller, case, generated)
            got = outcome_of(case, observed, fresh.count() - before)
            if got != expected(case):
                detail = observed.error and observed.error.message
                wrong.append(f"{case['name']}: {got}, expected {expected(case)} ({detail})")
            if retrying is not client:
                retrying.close()
    assert ran > 0
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("file", FILES)
@pytest.mark.parametrize("generated", [False, True], ids=["call", "generated"])
def test_every_case_async(fresh: Emulator, file: str, generated: bool) -> None:
    async def main() -> List[str]:
        client = AsyncRefold(KEY, base_url=fresh.url, max_retries=0)
        wrong: List[str] = []
        for written in runnable(file, generated):
            case = await set_up_async(client, written)
            retrying = async_client_for(client, fresh, case)
            caller = await scoped_async(retrying, case)
            if "faults" in case:
                fresh.faults(case["faults"])
            before = fresh.count()
            observed = await run_case_async(caller, case, generated)
            got = outcome_of(case, observed, fresh.count() - before)
            if got != expected(case):
                detail = observed.error and observed.error.message
                wrong.append(f"{case['name']}: {got}, expected {expected(case)} ({detail})")
            if retrying is not client:
                await retrying.close()
        await client.close()
        return wrong

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        wrong = asyncio.run(main())
    assert not wrong, "\n".join(wrong)
