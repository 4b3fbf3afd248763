"""Every case of conformance/cases.json, through both `Refold` and `AsyncRefold`, against the
live emulator (conformance/README.md describes the fields)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
from pathlib import Path
import time
import traceback
from typing import Any, Dict, Optional, Union

import pytest

import refold_session
from refold_session import (
    AsyncRefold,
    CacheOptions,
    CacheStats,
    LinkedAccount,
    LinkedAccountPage,
    Refold,
    RefoldError,
    RevokeResult,
    SessionToken,
)

from conformance_cases import CasesFileError, load
from conftest import CASES, ROOT, Emulator

# The class each code must raise, by name (docs/contract.md §Errors).
CLASS_OF_CODE = {
    "invalid_input": "InvalidInputError",
    "configuration": "ConfigurationError",
    "bad_request": "BadRequestError",
    "authentication": "AuthenticationError",
    "permission_denied": "PermissionDeniedError",
    "not_found": "NotFoundError",
    "rate_limited": "RateLimitError",
    "invalid_linked_account": "InvalidLinkedAccountError",
    "server_error": "ServerError",
    "timeout": "APITimeoutError",
    "connection": "APIConnectionError",
    "invalid_response": "InvalidResponseError",
    "unexpected_status": "UnexpectedStatusError",
    "internal": "InternalError",
    "aborted": "AbortError",
}

UTC = dt.timezone.utc


ESCAPE = re.compile(r"\\u\{([0-9A-Fa-f]{4})\}")


def decoded(case: Dict[str, Any], value: Any) -> Any:
    """`value` with each `\\u{XXXX}` made that one UTF-16 code unit, in `lone_surrogates`
    cases (a Python str holds a lone surrogate as is)."""
    if case["lone_surrogates"] and isinstance(value, str):
        return ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)
    return value


def client_options(case: Optional[Dict[str, Any]], base_url: str) -> Dict[str, Any]:
    """The Python options of a case (`None`: `defaults` alone, as setup calls use)."""
    overrides = {} if case is None else case["client"]
    options: Dict[str, Any] = {**CASES["defaults"], "base_url": base_url, **overrides}
    text = (lambda value: value) if case is None else (lambda value: decoded(case, value))
    python = {
        "api_key": text(options.get("api_key")),
        "environment": text(options.get("environment")),
        "base_url": text(options.get("base_url")),
    }
    # An option absent from the table is left to the binding's default, as in every runner.
    if "timeout_ms" in options:
        python["timeout"] = options["timeout_ms"] / 1000
    if "max_retries" in options:
        python["max_retries"] = options["max_retries"]
    if "max_idle_connections" in options:
        python["max_idle_connections"] = options["max_idle_connections"]
    if "max_connections" in options:
        python["max_connections"] = options["max_connections"]
    if "cache" in options:
        cache = options["cache"]
        # Milliseconds in the table; seconds (or timedelta) in Python.
        python["cache"] = CacheOptions(
            max_entries=cache.get("max_entries"),
            min_remaining=ms(cache.get("min_remaining_ms")),
            refresh_ahead=ms(cache.get("refresh_ahead_ms")),
        )
    return python


def ms(value: Optional[float]) -> Optional[dt.timedelta]:
    return None if value is None else dt.timedelta(milliseconds=value)


def claims_of(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


Outcome = Union[SessionToken, LinkedAccount, LinkedAccountPage, Dict[str, Any], BaseException]


def call_sync(client: Refold, call: str, value: Any) -> Any:
    """The case's `call` through `Refold`, as a user writes it."""
    if call == "session_token":
        return client.get_token_for_linked_account(value)
    if call == "get":
        return client.get_linked_account(value)
    if call == "delete":
        return client.delete_linked_account(value)
    if call == "upsert":
        return client.upsert_linked_account(**value)
    if call == "create":
        return client.create_linked_account(**value)
    if call == "list":
        return client.list_linked_accounts(page=value["page"], limit=value["limit"])
    raise AssertionError(f"unknown call {call}")


async def call_async(client: AsyncRefold, call: str, value: Any) -> Any:
    """The case's `call` through `AsyncRefold`."""
    if call == "session_token":
        return await client.get_token_for_linked_account(value)
    if call == "get":
        return await client.get_linked_account(value)
    if call == "delete":
        return await client.delete_linked_account(value)
    if call == "upsert":
        return await client.upsert_linked_account(**value)
    if call == "create":
        return await client.create_linked_account(**value)
    if call == "list":
        return await client.list_linked_accounts(page=value["page"], limit=value["limit"])
    raise AssertionError(f"unknown call {call}")


def setup(mode: str, case: Dict[str, Any], emu: Emulator) -> None:
    """The case's `setup` calls, with a client of `defaults` alone, then a reset."""
    options = client_options(None, emu.url)

    async def run_async() -> None:
        async with AsyncRefold(**options) as client:
            for step in case["setup"]:
                try:
                    await call_async(client, step["call"], step["input"])
                except RefoldError:
                    if not step["ignore_error"]:
                        raise

    if mode == "sync":
        with Refold(**options) as client:
            for step in case["setup"]:
                try:
                    call_sync(client, step["call"], step["input"])
                except RefoldError:
                    if not step["ignore_error"]:
                        raise
    else:
        asyncio.run(run_async())
    emu.reset()


def for_legacy(case: Dict[str, Any]) -> Dict[str, Any]:
    """The case as run against the legacy generation: its `legacy` members replace its own."""
    legacy = dict(case)
    legacy.update(legacy.pop("legacy", {}))
    return legacy


def run_case(mode: str, case: Dict[str, Any], emu: Emulator) -> None:
    call = case["call"]
    if case["setup"]:
        setup(mode, case, emu)
    if "token_ttl_s" in case:
        emu.config({"token_ttl_s": case["token_ttl_s"]})
    if case.get("faults"):
        emu.faults(case["faults"])
    if call == "sequence":
        run_sequence(mode, case, emu)
        check_requests(case, emu)
        return
    options = client_options(case, emu.url)
    value = decoded(case, case["input"])
    expect = case["expect"]
    outcome: Outcome
    started = time.monotonic()
    try:
        if mode == "sync":
            with Refold(**options) as client:
                started = time.monotonic()
                outcome = call_sync(client, call, value)
        else:

            async def run() -> Any:
                nonlocal started
                async with AsyncRefold(**options) as client:
                    started = time.monotonic()
                    return await call_async(client, call, value)

            outcome = asyncio.run(run())
    except Exception as error:  # noqa: BLE001 - checked below
        outcome = error
    elapsed_ms = (time.monotonic() - started) * 1000

    if case["dynamic_only"]:
        assert isinstance(outcome, TypeError), repr(outcome)
        assert not isinstance(outcome, RefoldError)
    elif expect["outcome"] == "token":
        assert isinstance(outcome, SessionToken), repr(outcome)
        check_token(value, expect, outcome)
    elif expect["outcome"] == "account":
        assert isinstance(outcome, LinkedAccount), repr(outcome)
        check_account(expect["account"], outcome)
    elif expect["outcome"] == "page":
        assert isinstance(outcome, LinkedAccountPage), repr(outcome)
        check_page(expect, outcome)
    elif expect["outcome"] == "object":
        assert isinstance(outcome, dict), repr(outcome)
    else:
        assert expect["outcome"] == "error", expect
        assert isinstance(outcome, RefoldError), repr(outcome)
        check_error(expect, outcome)

    check_requests(case, emu)
    if "min_elapsed_ms" in case:
        assert elapsed_ms >= case["min_elapsed_ms"], elapsed_ms
    if "max_elapsed_ms" in case:
        assert elapsed_ms <= case["max_elapsed_ms"], elapsed_ms
    if case["check_received_id"]:
        last = emu.requests()["requests"][-1]
        assert json.loads(last["body"])["linked_account_id"] == value


def check_requests(case: Dict[str, Any], emu: Emulator) -> None:
    """`requests_received`, and `queries_received` of the session-token requests logged."""
    log = emu.requests()
    assert log["count"] == case["requests_received"], log["count"]
    if "queries_received" in case:
        queries = [request.get("query") for request in log["requests"]
                   if request["path"].endswith("/session-token")]
        assert queries == case["queries_received"], queries


def run_sequence(mode: str, case: Dict[str, Any], emu: Emulator) -> None:
    """The `steps` of a session-cache case, on one client (a `configuration` error from
    building it is what each token step then gets)."""
    options = client_options(case, emu.url)
    saved: Dict[str, str] = {}

    def check_token_step(index: int, step: Dict[str, Any], outcome: Any, elapsed_ms: float) -> None:
        where = f"step {index} {step}"
        if "max_elapsed_ms" in step:
            assert elapsed_ms <= step["max_elapsed_ms"], (where, elapsed_ms)
        if "expect_error" in step:
            assert isinstance(outcome, RefoldError), (where, outcome)
            assert outcome.code == step["expect_error"], (where, outcome)
            assert type(outcome).__name__ == CLASS_OF_CODE[outcome.code], where
            return
        assert isinstance(outcome, SessionToken), (where, outcome)
        assert outcome.linked_account_id == step["input"], where
        if "same_as" in step:
            assert outcome.token == saved[step["same_as"]], where
        if "differs_from" in step:
            assert outcome.token != saved[step["differs_from"]], where
        if "save" in step:
            saved[step["save"]] = outcome.token
        # A cached token is shown the same redacted way.
        assert outcome.token not in repr(outcome)

    def token_argument(step: Dict[str, Any]) -> str:
        return saved[step["token_of"]] if "token_of" in step else step["input"]

    def check_session_step(index: int, step: Dict[str, Any], outcome: Any) -> None:
        """A revoke or active_account step's outcome."""
        where = f"step {index} {step}"
        if "expect_error" in step:
            assert isinstance(outcome, RefoldError), (where, outcome)
            assert outcome.code == step["expect_error"], (where, outcome)
            assert type(outcome).__name__ == CLASS_OF_CODE[outcome.code], where
            if outcome.code == "authentication":
                assert outcome.server_code == "INVALID_TOKEN", (where, outcome)
            for token in saved.values():
                assert token not in repr(outcome) and token not in str(outcome), where
            return
        if step["op"] == "revoke":
            assert isinstance(outcome, RevokeResult), (where, outcome)
            assert outcome.success is True, where
            if "revoked_count" in step:
                assert outcome.revoked_count == step["revoked_count"], (where, outcome)
        else:
            assert isinstance(outcome, LinkedAccount), (where, outcome)
            if "account_id" in step:
                assert outcome.account_id == step["account_id"], (where, outcome)

    def check_stats(index: int, step: Dict[str, Any], stats: Optional[CacheStats]) -> None:
        where = f"step {index} {step}"
        if "expect" not in step:
            return
        if step["expect"] is None:
            assert stats is None, where
            return
        assert stats is not None, where
        for counter, wanted in step["expect"].items():
            assert getattr(stats, counter) == wanted, (where, stats)
        # No token in the printed forms of a client with a cache, nor of its counters.
        for token in saved.values():
            assert token not in repr(stats) and token not in str(stats.to_dict())

    if mode == "sync":
        built: Union[Refold, RefoldError]
        try:
            built = Refold(**options)
        except RefoldError as error:
            built = error
        for index, step in enumerate(case["steps"]):
            op = step["op"]
            if op == "token":
                started = time.monotonic()
                try:
                    if isinstance(built, RefoldError):
                        raise built
                    outcome: Any = built.get_token_for_linked_account(
                        step["input"], fresh=step.get("fresh", False)
                    )
                except RefoldError as error:
                    outcome = error
                check_token_step(index, step, outcome, (time.monotonic() - started) * 1000)
            elif op in ("revoke", "active_account"):
                try:
                    if isinstance(built, RefoldError):
                        raise built
                    if op == "revoke":
                        outcome = built.revoke_session_token(token_argument(step))
                    else:
                        outcome = built.get_active_linked_account(token_argument(step))
                except RefoldError as error:
                    outcome = error
                check_session_step(index, step, outcome)
            elif op == "sleep":
                time.sleep(step["ms"] / 1000)
            elif op == "faults":
                emu.faults(step["faults"])
            else:
                assert isinstance(built, Refold), (index, built)
                if op == "invalidate":
                    built.invalidate(step["input"])
                elif op == "invalidate_all":
                    built.invalidate_all()
                elif op == "stats":
                    check_stats(index, step, built.cache_stats())
                else:
                    raise AssertionError(f"unknown op {op}")
        if isinstance(built, Refold):
            for token in saved.values():
                assert token not in repr(built)
            built.close()
        return

    async def run() -> None:
        built: Union[AsyncRefold, RefoldError]
        try:
            built = AsyncRefold(**options)
        except RefoldError as error:
            built = error
        for index, step in enumerate(case["steps"]):
            op = step["op"]
            if op == "token":
                started = time.monotonic()
                try:
                    if isinstance(built, RefoldError):
                        raise built
                    outcome: Any = await built.get_token_for_linked_account(
                        step["input"], fresh=step.get("fresh", False)
                    )
                except RefoldError as error:
                    outcome = error
                check_token_step(index, step, outcome, (time.monotonic() - started) * 1000)
            elif op in ("revoke", "active_account"):
                try:
                    if isinstance(built, RefoldError):
                        raise built
                    if op == "revoke":
                        outcome = await built.revoke_session_token(token_argument(step))
                    else:
                        outcome = await built.get_active_linked_account(token_argument(step))
                except RefoldError as error:
                    outcome = error
                check_session_step(index, step, outcome)
            elif op == "sleep":
                await asyncio.sleep(step["ms"] / 1000)
            elif op == "faults":
                emu.faults(step["faults"])
            else:
                assert isinstance(built, AsyncRefold), (index, built)
                if op == "invalidate":
                    await built.invalidate(step["input"])
                elif op == "invalidate_all":
                    await built.invalidate_all()
                elif op == "stats":
                    check_stats(index, step, await built.cache_stats())
                else:
                    raise AssertionError(f"unknown op {op}")
        if isinstance(built, AsyncRefold):
            for token in saved.values():
                assert token not in repr(built)
            await built.close()

    asyncio.run(run())


def check_account(expect: Dict[str, Any], account: LinkedAccount) -> None:
    if "account_id" in expect:
        assert account.account_id == expect["account_id"]
    for field in ("name", "environment"):
        if field in expect:
            assert getattr(account, field) == expect[field], field
    if "udf" in expect:
        assert account.udf == expect["udf"]
    if "new_account" in expect:
        assert account.new_account == expect["new_account"]
    if "integrations_count" in expect:
        count = None if account.integrations is None else len(account.integrations)
        assert count == expect["integrations_count"], account.integrations
    # The whole object is kept, and the typed view agrees with it.
    whole = account.json
    assert whole.get("account_id", whole.get("linked_account_id")) == account.account_id
    shown = account.to_dict()
    assert shown["account_id"] == account.account_id and shown["udf"] == account.udf
    json.dumps(shown)


def check_page(expect: Dict[str, Any], page: LinkedAccountPage) -> None:
    assert page.page == expect["page"]
    assert page.limit == expect["limit"]
    if "accounts_count" in expect:
        assert len(page.accounts) == expect["accounts_count"] == len(page)
    if "total_min" in expect:
        assert page.total >= expect["total_min"]
    if "next_page" in expect:
        assert page.next_page == expect["next_page"]
        assert page.has_next_page == (expect["next_page"] is not None)
    if "prev_page" in expect:
        assert page.prev_page == expect["prev_page"]
        assert page.has_prev_page == (expect["prev_page"] is not None)
    if "paging_counter" in expect:
        assert page.paging_counter == expect["paging_counter"]
    assert all(isinstance(account, LinkedAccount) for account in page)


def check_token(linked_account_id: str, expect: Dict[str, Any], token: SessionToken) -> None:
    assert token.linked_account_id == linked_account_id
    assert token.expires_at.tzinfo is not None and token.expires_at.utcoffset() == dt.timedelta(0)
    if "token" in expect:
        assert token.token == expect["token"]
    claims: Optional[Dict[str, Any]] = None
    if "claims" in expect or expect.get("expires_at") == "exp_claim" or expect.get("issued_at") == "iat_claim":
        claims = claims_of(token.token)
    for key, value in expect.get("claims", {}).items():
        assert claims is not None and claims[key] == value, (key, claims)
    if expect.get("expires_at") == "exp_claim":
        assert claims is not None and token.expires_at == at(claims["exp"])
    if expect.get("issued_at") == "iat_claim":
        assert claims is not None and token.issued_at == at(claims["iat"])
    if "issued_at" in expect and expect["issued_at"] is None:
        assert token.issued_at is None
    if "expires_at_unix" in expect:
        assert token.expires_at == at(expect["expires_at_unix"])
    if "issued_at_unix" in expect:
        assert token.issued_at == at(expect["issued_at_unix"])
    if "expires_in_about_s" in expect:
        expected = dt.datetime.now(UTC) + dt.timedelta(seconds=expect["expires_in_about_s"])
        assert abs((token.expires_at - expected).total_seconds()) <= 60
    if "refresh_token_present" in expect:
        assert (token.refresh_token is not None) == expect["refresh_token_present"]
    if "refresh_expires_in_about_s" in expect:
        expected = dt.datetime.now(UTC) + dt.timedelta(seconds=expect["refresh_expires_in_about_s"])
        assert token.refresh_expires_at is not None
        assert abs((token.refresh_expires_at - expected).total_seconds()) <= 60
    # The token and the refresh token are never shown whole except on purpose.
    for secret in (token.token, token.refresh_token):
        if secret is not None:
            assert secret not in repr(token) and secret not in str(token)
    shown = token.to_dict()
    assert shown["token"] == token.token
    assert shown["refresh_token"] == token.refresh_token
    assert shown["refresh_expires_at"] == (
        None if token.refresh_expires_at is None else rfc3339(token.refresh_expires_at))
    # As text: the core's RFC 3339, whole seconds, of the same instants.
    assert shown["expires_at"] == rfc3339(token.expires_at)
    assert shown["issued_at"] == (None if token.issued_at is None else rfc3339(token.issued_at))


def rfc3339(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_error(expect: Dict[str, Any], error: RefoldError) -> None:
    assert error.code == expect["code"]
    assert type(error).__name__ == CLASS_OF_CODE[expect["code"]]
    assert isinstance(error, getattr(refold_session, CLASS_OF_CODE[expect["code"]]))
    assert error.status == expect["status"]
    assert error.attempts == expect["attempts"]
    if "retry_after_s" in expect:
        assert error.retry_after is not None
        assert abs(error.retry_after - expect["retry_after_s"]) <= 0.001
    if "request_id" in expect:
        assert error.request_id == expect["request_id"]
    for field in ("server_code", "http_error_type"):
        if field in expect:
            assert getattr(error, field) == expect[field], field
    if expect.get("request_id_present"):
        assert error.request_id
    for text in expect.get("message_contains", []):
        assert text in error.message and text in str(error)
    shown = [
        error.message,
        str(error),
        repr(error),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    ]
    for text in expect.get("message_excludes", []):
        for form in shown:
            assert text not in form


#: Each case once per generation of Refold's session-token answer it runs against.
RUNS = [
    (case if generation == "current" else for_legacy(case), generation)
    for case in CASES["cases"]
    for generation in case["generations"]
]
RUN_IDS = [f"{case['name']}-{generation}" for case, generation in RUNS]


def emulator_of(generation: str, emu: Emulator, legacy_emu: Emulator) -> Emulator:
    return emu if generation == "current" else legacy_emu


@pytest.mark.parametrize(("case", "generation"), RUNS, ids=RUN_IDS)
def test_sync(case: Dict[str, Any], generation: str, emu: Emulator, legacy_emu: Emulator) -> None:
    run_case("sync", case, emulator_of(generation, emu, legacy_emu))


@pytest.mark.parametrize(("case", "generation"), RUNS, ids=RUN_IDS)
def test_async(case: Dict[str, Any], generation: str, emu: Emulator, legacy_emu: Emulator) -> None:
    run_case("async", case, emulator_of(generation, emu, legacy_emu))


def test_every_case_is_run() -> None:
    # Nothing is skipped: every call and every step kind of the table has a runner above.
    names = [case["name"] for case in CASES["cases"]]
    assert len(names) == len(set(names)) and len(names) >= 50
    calls = {case["call"] for case in CASES["cases"]}
    assert calls <= {"session_token", "get", "delete", "upsert", "create", "list", "sequence"}
    ops = {step["op"] for case in CASES["cases"] for step in case.get("steps", [])}
    assert ops <= {"token", "invalidate", "invalidate_all", "sleep", "faults", "stats", "revoke",
                   "active_account"}
    # Both generations of Refold's session-token answer are run.
    assert sum(generation == "legacy" for _, generation in RUNS) >= 60


def test_a_malformed_cases_file_is_refused(tmp_path: Path) -> None:
    # A member missing, a misspelt one, a wrong type: refused before any case runs, each named.
    document = json.loads((ROOT / "conformance" / "cases.json").read_text(encoding="utf-8"))
    first, second = document["cases"][0], document["cases"][1]
    del first["requests_received"]
    second["expect"]["atempts"] = 1
    document["emulator"]["api_keys"] = "one-key"
    bad = tmp_path / "cases.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CasesFileError) as refused:
        load(bad)
    message = str(refused.value)
    assert "does not match cases.schema.json (3 problems)" in message, message
    assert f"/cases/0 (case {first['name']}): 'requests_received' is a required property" in message, message
    assert f"/cases/1/expect (case {second['name']}): Additional properties are not allowed ('atempts' was unexpected)" in message
    assert "/emulator/api_keys: 'one-key' is not of type 'array'" in message
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(CasesFileError, match="is not JSON"):
        load(bad)


def test_absent_members_get_the_schema_defaults(tmp_path: Path) -> None:
    case = {"name": "minimal", "description": "d", "input": "acct-1", "expect": {"outcome": "token"}, "requests_received": 1}
    document = {"version": 1, "emulator": {"api_keys": ["k"], "linked_accounts": []}, "defaults": {}, "cases": [case]}
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load(path)["cases"][0]
    assert loaded["call"] == "session_token" and loaded["client"] == {} and loaded["setup"] == []
    assert loaded["lone_surrogates"] is False and loaded["dynamic_only"] is False and loaded["check_received_id"] is False
    # The table with its defaults applied still matches the schema.
    path.write_text(json.dumps(CASES), encoding="utf-8")
    assert len(load(path)["cases"]) == len(CASES["cases"])
