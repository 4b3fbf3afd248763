"""The Python surface: SessionToken, the exception hierarchy, context managers, close, the
user-agent, secrets kept out of every text, and log records reaching `logging`."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import inspect
import json
import logging
import pickle
import traceback
from typing import Any, Dict, List

import pytest

import refold_session
from refold_session import (
    APIConnectionError,
    APITimeoutError,
    AsyncRefold,
    AuthenticationError,
    ConfigurationError,
    InternalError,
    InvalidInputError,
    InvalidLinkedAccountError,
    Refold,
    RefoldError,
    SessionToken,
)

from conftest import API_KEY, Emulator

UTC = dt.timezone.utc
ALL_ERRORS = [getattr(refold_session, name) for name in refold_session.__all__ if name.endswith("Error")]


def test_session_token_fields_and_redaction(emu: Emulator) -> None:
    before = dt.datetime.now(UTC).replace(microsecond=0)
    token = Refold(API_KEY, base_url=emu.url).get_token_for_linked_account("acct-1")
    assert isinstance(token, SessionToken)
    assert token.token.count(".") == 2 and token.linked_account_id == "acct-1"
    assert token.issued_at is not None and token.issued_at.tzinfo is UTC
    assert token.expires_at.tzinfo is UTC
    assert token.expires_at - token.issued_at == dt.timedelta(days=7)  # the emulator's default TTL
    assert before - dt.timedelta(seconds=5) <= token.issued_at <= dt.datetime.now(UTC)
    # The whole token answer: the refresh token (a secret) and its expiry.
    assert token.refresh_token and token.refresh_expires_at is not None
    assert token.refresh_expires_at.tzinfo is UTC and token.refresh_expires_at > token.expires_at
    for shown in (repr(token), str(token), f"{token}", repr([token])):
        assert token.token not in shown and token.refresh_token not in shown
        assert token.token[:8] + "…" in shown
        assert "refresh_token='[REDACTED]'" in shown
        assert "acct-1" in shown
    assert token.to_dict() == {
        "token": token.token,
        "linked_account_id": "acct-1",
        "expires_at": token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "issued_at": token.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "refresh_token": token.refresh_token,
        "refresh_expires_at": token.refresh_expires_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert json.loads(json.dumps(token.to_dict()))["token"] == token.token
    assert dt.datetime.fromisoformat(token.to_dict()["expires_at"].replace("Z", "+00:00")) == token.expires_at  # type: ignore[union-attr]
    with pytest.raises(AttributeError):
        token.token = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SessionToken()
    again = pickle.loads(pickle.dumps(token))
    assert again == token and hash(again) == hash(token) and repr(again) == repr(token)


def jwt(claims: Dict[str, Any]) -> str:
    def part(value: Dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_to_dict_times_are_the_cores_text_and_the_datetimes_stay_precise(emu: Emulator) -> None:
    # Fractional claims: the datetimes keep the microseconds, the text is whole seconds.
    token_text = jwt({"iat": 1_900_000_000.5, "exp": 1_900_003_600.75})
    emu.faults([{"kind": "status", "status": 200, "body": {"token": token_text}}])
    token = Refold(API_KEY, base_url=emu.url).get_token_for_linked_account("acct-1")
    assert token.expires_at == dt.datetime(2030, 3, 17, 18, 46, 40, 750_000, tzinfo=UTC)
    assert token.issued_at == dt.datetime(2030, 3, 17, 17, 46, 40, 500_000, tzinfo=UTC)
    assert token.to_dict() == {
        "token": token_text,
        "linked_account_id": "acct-1",
        "expires_at": "2030-03-17T18:46:40Z",
        "issued_at": "2030-03-17T17:46:40Z",
        "refresh_token": None,
        "refresh_expires_at": None,
    }
    assert pickle.loads(pickle.dumps(token)).to_dict() == token.to_dict()


@pytest.mark.parametrize(
    "claims",
    [{"iat": 10**15, "exp": 10**16}, {"iat": -5, "exp": -1}, {"iat": 253_402_300_799}, {"exp": 1e308}],
    ids=["far_future", "before_1970", "iat_end_of_9999", "exp_huge_float"],
)
def test_token_times_out_of_range_never_overflow(claims: Dict[str, Any], emu: Emulator) -> None:
    # Claims outside 1970..9999-12-30 count as absent (docs/contract.md §Limits): no
    # OverflowError, issued_at None, expiry 24 h after receipt.
    emu.faults([{"kind": "status", "status": 200, "body": {"token": jwt(claims)}}])
    token = Refold(API_KEY, base_url=emu.url).get_token_for_linked_account("acct-1")
    assert token.issued_at is None and token.to_dict()["issued_at"] is None
    expected = dt.datetime.now(UTC) + dt.timedelta(days=1)
    assert abs((token.expires_at - expected).total_seconds()) < 60
    assert token.to_dict()["expires_at"] == token.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_error_hierarchy() -> None:
    assert len(ALL_ERRORS) == 16
    for cls in ALL_ERRORS:
        assert issubclass(cls, RefoldError) and issubclass(cls, Exception)
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(APITimeoutError, TimeoutError)
    assert issubclass(APIConnectionError, ConnectionError)
    assert not issubclass(AuthenticationError, (ValueError, OSError))
    assert not issubclass(InternalError, (ValueError, OSError))
    codes = {cls.code for cls in ALL_ERRORS if cls is not RefoldError}
    assert len(codes) == 15 and "internal" in codes and "aborted" in codes


def test_the_error_table_has_every_code_of_the_core() -> None:
    # Fails when the core gains a code (ErrorCode::ALL) that errors._CLASS_BY_CODE lacks.
    from refold_session import _native
    from refold_session.errors import _CLASS_BY_CODE

    assert set(_native.ERROR_CODES) == set(_CLASS_BY_CODE), set(_native.ERROR_CODES) ^ set(_CLASS_BY_CODE)
    for code, cls in _CLASS_BY_CODE.items():
        assert cls.code == code and cls in ALL_ERRORS


def test_error_attributes_and_pickling(emu: Emulator) -> None:
    with pytest.raises(InvalidLinkedAccountError) as caught:
        Refold(API_KEY, base_url=emu.url).get_token_for_linked_account("nobody")
    error = caught.value
    assert (error.code, error.status, error.attempts, error.retry_after) == ("invalid_linked_account", 400, 1, None)
    assert (error.server_code, error.http_error_type) == ("INVALID_LINKED_ACCOUNT_ID", "BAD_REQUEST")
    assert error.request_id
    assert "server_code='INVALID_LINKED_ACCOUNT_ID'" in repr(error)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is InvalidLinkedAccountError
    assert (again.code, again.status, again.request_id, again.attempts, again.server_code,
            again.http_error_type, str(again)) == (
        error.code, error.status, error.request_id, error.attempts, error.server_code,
        error.http_error_type, str(error))


def test_context_managers_and_close(emu: Emulator) -> None:
    with Refold(API_KEY, base_url=emu.url) as client:
        assert not client.closed
        client.get_token_for_linked_account("acct-1")
    assert client.closed and "closed" in repr(client)
    with pytest.raises(RuntimeError, match="closed"):
        client.get_token_for_linked_account("acct-1")

    async def run() -> AsyncRefold:
        async with AsyncRefold(API_KEY, base_url=emu.url) as aclient:
            await aclient.get_token_for_linked_account("acct-1")
            await aclient.getTokenForLinkedAccount("acct-1")
        with pytest.raises(RuntimeError, match="closed"):
            await aclient.get_token_for_linked_account("acct-1")
        return aclient

    assert asyncio.run(run()).closed
    assert emu.count() == 3


def test_options_pass_whole_to_the_core() -> None:
    # No option, default or rule is restated here: the options are one dict for the core.
    for cls in (Refold, AsyncRefold):
        params = inspect.signature(cls).parameters
        assert list(params) == ["api_key", "options"]
        assert params["options"].kind is inspect.Parameter.VAR_KEYWORD
        for name in ("get_token_for_linked_account", "upsert_linked_account", "get_linked_account",
                     "delete_linked_account", "list_linked_accounts", "iter_linked_accounts",
                     "revoke_session_token", "get_active_linked_account"):
            last = list(inspect.signature(getattr(cls, name)).parameters.values())[-1]
            assert last.kind is inspect.Parameter.VAR_KEYWORD, name
    for name in ("get_token_for_linked_account", "upsert_linked_account", "create_linked_account",
                 "get_linked_account", "delete_linked_account", "list_linked_accounts",
                 "revoke_session_token", "get_active_linked_account",
                 "invalidate", "invalidate_all", "cache_stats", "close"):
        assert inspect.iscoroutinefunction(getattr(AsyncRefold, name)), name
        assert not inspect.iscoroutinefunction(getattr(Refold, name)), name
    assert AsyncRefold.getTokenForLinkedAccount is AsyncRefold.get_token_for_linked_account
    assert Refold.getTokenForLinkedAccount is Refold.get_token_for_linked_account
    # A misspelt option is refused by the core, named as Python spells it.
    with pytest.raises(TypeError, match="max_retry is not one of the client options"):
        Refold(API_KEY, max_retry=3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="timeuot is not one of the call options"):
        Refold(API_KEY, base_url="http://127.0.0.1:9").get_token_for_linked_account(
            "acct-1", timeuot=1)  # type: ignore[call-arg]


def test_per_call_timeout_and_max_retries(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url, timeout=30, max_retries=0)
    # One call's timeout (seconds, or a timedelta) overrides the client's.
    emu.faults([{"kind": "delay", "ms": 2000}])
    with pytest.raises(APITimeoutError) as late:
        client.get_token_for_linked_account("acct-1", timeout=0.2)
    assert late.value.attempts == 1
    emu.reset()
    emu.faults([{"kind": "delay", "ms": 2000}])
    with pytest.raises(APITimeoutError):
        client.get_linked_account("acct-1", timeout=dt.timedelta(milliseconds=200))
    # One call's retries override the client's none.
    emu.reset()
    emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"}}])
    assert client.get_token_for_linked_account("acct-1", max_retries=1).linked_account_id == "acct-1"
    assert emu.count() == 2
    # Their values are the core's to judge: invalid_input, nothing sent.
    emu.reset()
    with pytest.raises(InvalidInputError, match="max_retries"):
        client.get_token_for_linked_account("acct-1", max_retries=101)
    with pytest.raises(TypeError, match="timeout"):
        client.get_token_for_linked_account("acct-1", timeout="1")  # type: ignore[typeddict-item]
    assert emu.count() == 0

    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, max_retries=0) as aclient:
            emu.faults([{"kind": "delay", "ms": 2000}])
            with pytest.raises(APITimeoutError):
                await aclient.get_token_for_linked_account("acct-1", timeout=0.2)

    asyncio.run(run())


def test_fresh_sends_force_refresh(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    first = client.get_token_for_linked_account("acct-1")
    fresh = client.get_token_for_linked_account("acct-1", fresh=True)
    assert fresh.token != first.token
    queries = [request.get("query") for request in emu.requests()["requests"]]
    assert queries == [None, "force_refresh=true"], queries


def test_revoke_uses_the_token_and_no_api_key(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    token = client.get_token_for_linked_account("acct-1")
    result = client.revoke_session_token(token)
    assert isinstance(result, refold_session.RevokeResult)
    assert result.success is True and result.revoked_count >= 1
    assert result.to_dict() == {"success": True, "revoked_count": result.revoked_count}
    assert pickle.loads(pickle.dumps(result)) == result
    revoke = emu.requests()["requests"][-1]
    assert revoke["path"].endswith("/session-token/revoke")
    headers = {name.lower(): value for name, value in revoke["headers"].items()}
    assert "x-api-key" not in headers
    assert headers["authorization"] == "[REDACTED]" or token.token not in json.dumps(revoke)
    # Refused again: authentication, with Refold's code; the token never in the error.
    with pytest.raises(AuthenticationError) as refused:
        client.revoke_session_token(token.token)
    assert refused.value.server_code == "INVALID_TOKEN"
    assert token.token not in str(refused.value) and token.token not in repr(refused.value)
    # Not a str: TypeError from the core's rule; empty: invalid_input; nothing sent.
    before = emu.count()
    with pytest.raises(TypeError, match="session token must be a str"):
        client.revoke_session_token(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        client.revoke_session_token("")
    assert emu.count() == before


def test_active_linked_account_of_a_token(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    token = client.get_token_for_linked_account("acct-1")
    account = client.get_active_linked_account(token)
    assert isinstance(account, refold_session.LinkedAccount) and account.account_id == "acct-1"
    assert "x-api-key" not in {name.lower() for name in emu.requests()["requests"][-1]["headers"]}

    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url) as aclient:
            again = await aclient.get_active_linked_account(token.token)
            assert again.account_id == "acct-1"
            result = await aclient.revoke_session_token(token)
            assert result.success
            with pytest.raises(AuthenticationError):
                await aclient.get_active_linked_account(token)

    asyncio.run(run())


def test_user_agent_names_python(emu: Emulator) -> None:
    import platform

    client = Refold(API_KEY, base_url=emu.url)
    client.get_token_for_linked_account("acct-1")
    headers = emu.requests()["requests"][-1]["headers"]
    assert headers["user-agent"] == f"refold-session/{refold_session.__version__} (python {platform.python_version()})"
    assert client.user_agent == headers["user-agent"]
    assert headers["content-type"] == "application/json"


def test_read_only_properties_are_the_same_on_both_clients(emu: Emulator) -> None:
    for cls in (Refold, AsyncRefold):
        client = cls(API_KEY, environment="sandbox", base_url=emu.url + "/prefix/")
        assert client.endpoint == emu.url + "/prefix/api/v2/public/session-token"
        assert client.environment == "sandbox"  # the name, even with a base_url override
        assert client.user_agent.startswith(f"refold-session/{refold_session.__version__} (python ")
        assert repr(client) == f"<{cls.__name__} endpoint={client.endpoint!r}>"
        default = cls(API_KEY)
        assert (default.environment, default.endpoint) == (
            "production", "https://app.refold.ai/api/v2/public/session-token")
        for name in ("endpoint", "environment", "user_agent", "closed"):
            with pytest.raises(AttributeError):
                setattr(client, name, "x")
    # Still readable after close.
    closed = Refold(API_KEY, environment="staging")
    closed.close()
    assert (closed.closed, closed.environment) == (True, "staging")
    assert closed.endpoint == "https://sapis.gocobalt.io/api/v2/public/session-token"
    assert repr(closed) == "<Refold closed>"
    assert emu.count() == 0


def test_many_concurrent_async_calls_share_one_client(emu: Emulator) -> None:
    async def run() -> List[SessionToken]:
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            return await asyncio.gather(*(client.get_token_for_linked_account("acct-1") for _ in range(200)))

    tokens = asyncio.run(run())
    assert len(tokens) == 200 and all(t.linked_account_id == "acct-1" for t in tokens)
    assert emu.count() == 200


def test_async_call_does_not_block_the_loop(emu: Emulator) -> None:
    emu.faults([{"kind": "delay", "ms": 800}])

    async def run() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            task = asyncio.ensure_future(ticker())
            await client.get_token_for_linked_account("acct-1")
            task.cancel()
        return ticks

    # ~80 ticks if the loop ran freely during the 800 ms call; 0 or 1 if it was blocked.
    assert asyncio.run(run()) >= 20


def test_cancelling_an_async_call(emu: Emulator) -> None:
    emu.faults([{"kind": "delay", "ms": 3000}])

    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(client.get_token_for_linked_account("acct-1"), 0.2)
            # The client is still fine afterwards.
            assert (await client.get_token_for_linked_account("acct-1")).linked_account_id == "acct-1"

    asyncio.run(run())


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_log_records_reach_python_logging_without_secrets(emu: Emulator) -> None:
    logger = logging.getLogger("refold_session")
    handler = Records()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        emu.faults([
            {"kind": "status", "status": 502, "headers": {"retry-after-ms": "10"},
             "body": {"message": f"echo {API_KEY}"}},
        ])
        token = Refold(API_KEY, base_url=emu.url).get_token_for_linked_account("acct-1")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    ours = [r for r in handler.records if r.name.startswith("refold_session")]
    assert ours, [r.name for r in handler.records]
    assert any("retrying" in r.getMessage() for r in ours)
    for record in handler.records:
        text = record.getMessage()
        assert API_KEY not in text and token.token not in text


def test_secrets_never_in_reprs_or_errors(emu: Emulator) -> None:
    key = "sk_live_PYTHON_DISTINCTIVE_91c4"
    client = Refold(key, base_url=emu.url)
    aclient = AsyncRefold(key, base_url=emu.url)
    with pytest.raises(AuthenticationError) as caught:
        client.get_token_for_linked_account("acct-1")
    error = caught.value
    assert error.status == 401
    texts = [repr(client), repr(aclient), str(error), repr(error), repr(error.args),
             "".join(traceback.format_exception(type(error), error, error.__traceback__))]
    for text in texts:
        assert key not in text and "DISTINCTIVE_91c4" not in text
    with pytest.raises(ConfigurationError) as bad:
        Refold(key, base_url="http://203.0.113.7")
    assert key not in str(bad.value) and key not in repr(bad.value)
