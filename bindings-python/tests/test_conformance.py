"""Every case of conformance/cases.json, through both `Refold` and `AsyncRefold`, against the
live emulator (conformance/README.md describes the fields)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import time
import traceback
from typing import Any, Dict, Optional, Union

import pytest

import refold_session
from refold_session import AsyncRefold, Refold, RefoldError, SessionToken

from conftest import CASES, Emulator

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
}

UTC = dt.timezone.utc


ESCAPE = re.compile(r"\\u\{([0-9A-Fa-f]{4})\}")


def decoded(case: Dict[str, Any], value: Any) -> Any:
    """`value` with each `\\u{XXXX}` made that one UTF-16 code unit, in `lone_surrogates`
    cases (a Python str holds a lone surrogate as is)."""
    if case.get("lone_surrogates") and isinstance(value, str):
        return ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)
    return value


def client_options(case: Dict[str, Any], base_url: str) -> Dict[str, Any]:
    options: Dict[str, Any] = {**CASES["defaults"], "base_url": base_url, **case.get("client", {})}
    python = {
        "api_key": decoded(case, options.get("api_key")),
        "environment": decoded(case, options.get("environment")),
        "base_url": decoded(case, options.get("base_url")),
        "timeout": options["timeout_ms"] / 1000,
        "max_retries": options["max_retries"],
    }
    if "max_idle_connections" in options:
        python["max_idle_connections"] = options["max_idle_connections"]
    return python


def claims_of(token: str) -> Dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))  # type: ignore[no-any-return]


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


def run_case(mode: str, case: Dict[str, Any], emu: Emulator) -> None:
    call = case.get("call", "session_token")
    if call != "session_token":
        # Reported as skipped (pytest -ra), never passed silently.
        pytest.skip(f"the Python binding has no linked-account `{call}` call yet")
    if case.get("faults"):
        emu.faults(case["faults"])
    options = client_options(case, emu.url)
    linked_account_id = decoded(case, case["input"])
    expect = case["expect"]
    outcome: Union[SessionToken, BaseException]
    started = time.monotonic()
    try:
        if mode == "sync":
            with Refold(**options) as client:
                started = time.monotonic()
                outcome = client.get_token_for_linked_account(linked_account_id)
        else:

            async def call() -> SessionToken:
                nonlocal started
                async with AsyncRefold(**options) as client:
                    started = time.monotonic()
                    return await client.get_token_for_linked_account(linked_account_id)

            outcome = asyncio.run(call())
    except Exception as error:  # noqa: BLE001 - checked below
        outcome = error
    elapsed_ms = (time.monotonic() - started) * 1000

    if case.get("dynamic_only"):
        assert isinstance(outcome, TypeError), repr(outcome)
        assert not isinstance(outcome, RefoldError)
    elif expect["outcome"] == "token":
        assert isinstance(outcome, SessionToken), repr(outcome)
        check_token(linked_account_id, expect, outcome)
    else:
        assert isinstance(outcome, RefoldError), repr(outcome)
        check_error(expect, outcome)

    assert emu.count() == case["requests_received"]
    if "min_elapsed_ms" in case:
        assert elapsed_ms >= case["min_elapsed_ms"], elapsed_ms
    if "max_elapsed_ms" in case:
        assert elapsed_ms <= case["max_elapsed_ms"], elapsed_ms
    if case.get("check_received_id"):
        last = emu.requests()["requests"][-1]
        assert json.loads(last["body"])["linked_account_id"] == linked_account_id


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
    # The token is never shown whole except on purpose.
    assert token.token not in repr(token) and token.token not in str(token)
    shown = token.to_dict()
    assert shown["token"] == token.token
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


CASE_IDS = [case["name"] for case in CASES["cases"]]


@pytest.mark.parametrize("case", CASES["cases"], ids=CASE_IDS)
def test_sync(case: Dict[str, Any], emu: Emulator) -> None:
    run_case("sync", case, emu)


@pytest.mark.parametrize("case", CASES["cases"], ids=CASE_IDS)
def test_async(case: Dict[str, Any], emu: Emulator) -> None:
    run_case("async", case, emu)


def test_every_case_is_run() -> None:
    names = [case["name"] for case in CASES["cases"]]
    assert len(names) == len(set(names)) and len(names) >= 50
