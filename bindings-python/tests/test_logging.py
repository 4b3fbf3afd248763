"""The core's log lines in Python's `logging`: under the logger `refold_session` (children
named for the core's modules, e.g. `refold_session.engine`), at the level the core gives
them (a retry at DEBUG; a store fallback and a failed refresh at WARNING), and never with the
API key or a token in them."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import logging
import time
from typing import Iterator, List

from refold_session import Refold

from conftest import API_KEY, Emulator


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def ours(self) -> List[logging.LogRecord]:
        return [r for r in self.records if r.name == "refold_session" or
                r.name.startswith("refold_session.")]

    def lines(self) -> List[str]:
        return [f"{r.name} {r.levelname} {r.getMessage()}" for r in self.records]


@contextlib.contextmanager
def captured() -> Iterator[Records]:
    """Everything logged under `refold_session`, at DEBUG and up."""
    logger = logging.getLogger("refold_session")
    handler = Records()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def assert_no_secret(handler: Records, secrets: List[str]) -> None:
    for line in handler.lines():
        for secret in secrets:
            assert secret not in line, line


def test_a_retry_is_a_debug_line_of_refold_session_engine(emu: Emulator) -> None:
    with captured() as handler:
        emu.faults([{"kind": "status", "status": 503, "headers": {"retry-after-ms": "1"},
                     "body": {"message": f"echo {API_KEY}"}}])
        token = Refold(API_KEY, base_url=emu.url).get_token_for_linked_account("acct-1")
    retries = [r for r in handler.ours() if "retrying" in r.getMessage()]
    assert len(retries) == 1, handler.lines()
    assert retries[0].name == "refold_session.engine"
    assert retries[0].levelno == logging.DEBUG
    assert "server_error" in retries[0].getMessage()
    assert_no_secret(handler, [API_KEY, token.token])


def test_a_store_fallback_is_a_warning(emu: Emulator) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    with captured() as handler:
        client = Refold(API_KEY, base_url=emu.url, rate_limit=False, cache={
            "store": {"redis_url": "redis://127.0.0.1:1", "encryption_key": key,
                      "timeout": 0.2}})
        token = client.get_token_for_linked_account("acct-1")
    assert token.linked_account_id == "acct-1"  # minted directly
    warnings = [r for r in handler.ours() if r.levelno == logging.WARNING]
    assert any("Redis token store is unavailable" in r.getMessage() for r in warnings), \
        handler.lines()
    assert all(r.name.startswith("refold_session.store") for r in warnings), handler.lines()
    assert_no_secret(handler, [API_KEY, token.token, key])


def test_a_failed_refresh_is_a_warning(emu: Emulator) -> None:
    # Tokens live 90 minutes: a hit is served (more than min_remaining left) and starts a
    # background refresh (less than refresh_ahead left), which the fault fails.
    emu.config({"token_ttl_s": 90 * 60})
    with captured() as handler:
        client = Refold(API_KEY, base_url=emu.url, max_retries=0, cache={
            "min_remaining": dt.timedelta(hours=1), "refresh_ahead": dt.timedelta(hours=2)})
        token = client.get_token_for_linked_account("acct-1")
        emu.faults([{"kind": "status", "status": 503}])
        assert client.get_token_for_linked_account("acct-1") is token
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(
                "refreshing" in r.getMessage() for r in handler.ours()):
            time.sleep(0.02)
    failed = [r for r in handler.ours() if "refreshing" in r.getMessage()]
    assert len(failed) == 1, handler.lines()
    assert failed[0].name == "refold_session.cache" and failed[0].levelno == logging.WARNING
    assert "server_error" in failed[0].getMessage()
    assert_no_secret(handler, [API_KEY, token.token])
