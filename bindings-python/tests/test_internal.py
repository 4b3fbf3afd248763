"""A panic inside the native code reaches Python as `InternalError` (code "internal"), never
as pyo3's `PanicException`, and the client and the process stay usable
(docs/contract.md §Host-language surface, the `internal` policy).

The test wheel is built with the `test-hooks` feature (mk/python.mk), whose core panics when
minting for PANIC_ID; release wheels do not have it.
"""

from __future__ import annotations

import asyncio

import pytest

from refold_session import AsyncRefold, InternalError, Refold, RefoldError

from conftest import API_KEY, Emulator, run_python

PANIC_ID = "__refold_test_hooks_panic__"


def check_internal(error: BaseException) -> None:
    assert type(error) is InternalError, repr(error)
    assert isinstance(error, RefoldError) and error.code == "internal"
    assert error.message.startswith("refold-session hit an internal error (panic: ")
    assert error.message.endswith("please report it.")
    assert error.status is None and error.attempts == 0 and error.retry_after is None


def test_a_panic_in_a_blocking_call_is_an_internal_error(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    with pytest.raises(InternalError) as caught:
        client.get_token_for_linked_account(PANIC_ID)
    check_internal(caught.value)
    # The same client, and the process, carry on.
    assert client.get_token_for_linked_account("acct-1").linked_account_id == "acct-1"
    with pytest.raises(InternalError):
        client.get_token_for_linked_account(PANIC_ID)
    assert not client.closed
    assert emu.count() == 1


def test_a_panic_in_an_async_call_is_an_internal_error(emu: Emulator) -> None:
    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            with pytest.raises(InternalError) as caught:
                await client.get_token_for_linked_account(PANIC_ID)
            check_internal(caught.value)
            # Concurrent calls: the panicking one fails alone.
            outcomes = await asyncio.gather(
                client.get_token_for_linked_account("acct-1"),
                client.get_token_for_linked_account(PANIC_ID),
                client.get_token_for_linked_account("acct-1"),
                return_exceptions=True,
            )
            assert [type(outcome).__name__ for outcome in outcomes] == [
                "SessionToken", "InternalError", "SessionToken"]

    asyncio.run(run())
    assert emu.count() == 2


PANIC_THEN_EXIT = """
import asyncio
from refold_session import AsyncRefold, InternalError, Refold
client = Refold({key!r}, base_url={url!r})
try:
    client.get_token_for_linked_account({panic!r})
except InternalError as error:
    print("sync:", error.code)
async def main():
    try:
        await AsyncRefold({key!r}, base_url={url!r}).get_token_for_linked_account({panic!r})
    except InternalError as error:
        print("async:", error.code)
asyncio.run(main())
print("minted:", client.get_token_for_linked_account("acct-1").linked_account_id)
"""


def test_the_process_survives_and_exits_normally(emu: Emulator) -> None:
    done = run_python(PANIC_THEN_EXIT.format(key=API_KEY, url=emu.url, panic=PANIC_ID))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["sync: internal", "async: internal", "minted: acct-1"]
    assert "PanicException" not in done.stderr
    assert emu.count() == 1


def test_a_panic_while_the_cache_mints_fails_every_waiting_call_and_nothing_hangs(emu: Emulator) -> None:
    # Concurrent callers of one account share one mint (single flight): when that mint
    # panics, each of them gets InternalError, nothing is cached, and the cache carries on.
    client = Refold(API_KEY, base_url=emu.url, cache=True)
    for _ in range(2):
        with pytest.raises(InternalError) as caught:
            client.get_token_for_linked_account(PANIC_ID)
        check_internal(caught.value)

    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as aclient:
            outcomes = await asyncio.wait_for(asyncio.gather(
                *(aclient.get_token_for_linked_account(PANIC_ID) for _ in range(20)),
                aclient.get_token_for_linked_account("acct-1"),
                return_exceptions=True,
            ), timeout=20)
            assert [type(outcome).__name__ for outcome in outcomes] == ["InternalError"] * 20 + ["SessionToken"]
            with pytest.raises(InternalError):
                await asyncio.wait_for(aclient.get_token_for_linked_account(PANIC_ID), timeout=20)
            stats = await aclient.cache_stats()
            assert stats is not None and stats.entries == 1

    asyncio.run(run())
    assert client.get_token_for_linked_account("acct-1").linked_account_id == "acct-1"
    stats = client.cache_stats()
    assert stats is not None and stats.entries == 1
    assert emu.count() == 2
