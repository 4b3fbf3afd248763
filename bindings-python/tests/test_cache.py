"""The session cache from Python: one mint for many concurrent callers (asyncio.gather and
threads), the ways to switch it on, its counters, and no token in any printed form."""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List

import pytest

from refold_session import (
    AsyncRefold,
    CacheOptions,
    CacheStats,
    ConfigurationError,
    InvalidLinkedAccountError,
    NotFoundError,
    Refold,
    SessionToken,
)

from conftest import API_KEY, Emulator

CALLS = 1000
ACCOUNTS = 100


def test_1000_concurrent_calls_for_one_cold_account_make_one_request(emu: Emulator) -> None:
    # The answer is held 300 ms, so every call arrives while the one mint is in flight.
    emu.faults([{"kind": "delay", "ms": 300}])

    async def run() -> List[SessionToken]:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as refold:
            tokens = await asyncio.gather(
                *(refold.get_token_for_linked_account("acct-1") for _ in range(CALLS))
            )
            stats = await refold.cache_stats()
            assert stats is not None
            assert (stats.misses, stats.hits + stats.coalesced, stats.entries) == (1, CALLS - 1, 1)
            assert stats.coalesced > 0
            return tokens

    tokens = asyncio.run(run())
    assert emu.count() == 1
    assert len(tokens) == CALLS and len({token.token for token in tokens}) == 1


def test_1000_concurrent_calls_over_100_accounts_make_100_requests(emu: Emulator) -> None:
    names = [f"py-cache-{n}" for n in range(ACCOUNTS)]

    async def run() -> List[SessionToken]:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as refold:
            await asyncio.gather(*(refold.upsert_linked_account(name) for name in names))
            emu.reset()
            emu.faults([{"kind": "delay", "ms": 200} for _ in range(ACCOUNTS)])
            calls = [refold.get_token_for_linked_account(names[n % ACCOUNTS]) for n in range(CALLS)]
            tokens = await asyncio.gather(*calls)
            stats = await refold.cache_stats()
            assert stats is not None and (stats.misses, stats.entries) == (ACCOUNTS, ACCOUNTS)
            return tokens

    tokens = asyncio.run(run())
    assert emu.count() == ACCOUNTS
    by_account = {}
    for token in tokens:
        by_account.setdefault(token.linked_account_id, set()).add(token.token)
    assert sorted(by_account) == sorted(names)
    assert all(len(seen) == 1 for seen in by_account.values())
    assert len({next(iter(seen)) for seen in by_account.values()}) == ACCOUNTS


def test_1000_calls_from_threads_for_one_cold_account_make_one_request(emu: Emulator) -> None:
    emu.faults([{"kind": "delay", "ms": 300}])
    refold = Refold(API_KEY, base_url=emu.url, cache=True)

    def call(_: int) -> str:
        return refold.get_token_for_linked_account("acct-1").token

    with ThreadPoolExecutor(max_workers=64) as pool:
        tokens = list(pool.map(call, range(CALLS)))
    assert emu.count() == 1
    assert len(tokens) == CALLS and len(set(tokens)) == 1
    stats = refold.cache_stats()
    assert stats is not None and stats.misses == 1 and stats.hits + stats.coalesced == CALLS - 1
    assert stats.coalesced > 0  # threads really waited on the one mint


def test_the_ways_to_switch_it_on_and_off(emu: Emulator) -> None:
    off = [Refold(API_KEY, base_url=emu.url), Refold(API_KEY, base_url=emu.url, cache=False),
           Refold(API_KEY, base_url=emu.url, cache=None)]
    for refold in off:
        assert refold.cache_stats() is None
        first = refold.get_token_for_linked_account("acct-1")
        # Two requests; Refold answers the account's current token again.
        assert refold.get_token_for_linked_account("acct-1") == first
        refold.invalidate("acct-1")  # nothing to drop: no error
        refold.invalidate_all()
    assert emu.count() == 2 * len(off)

    on = [
        Refold(API_KEY, base_url=emu.url, cache=True),
        Refold(API_KEY, base_url=emu.url, cache={}),
        Refold(API_KEY, base_url=emu.url, cache=CacheOptions()),
        Refold(API_KEY, base_url=emu.url, cache={"max_entries": 5, "min_remaining": 60}),
        Refold(API_KEY, base_url=emu.url, cache=CacheOptions(
            max_entries=5, min_remaining=dt.timedelta(minutes=1), refresh_ahead=dt.timedelta(hours=3))),
    ]
    emu.reset()
    for refold in on:
        first = refold.get_token_for_linked_account("acct-1")
        assert refold.get_token_for_linked_account("acct-1") == first
        stats = refold.cache_stats()
        assert stats is not None and stats.to_dict() == {
            "hits": 1, "misses": 1, "coalesced": 0, "refreshes": 0, "refresh_failures": 0,
            "evictions": 0, "entries": 1, "store_hits": 0, "store_errors": 0,
            "rate_limit_waits": 0, "rate_limit_wait_ms": 0, "rate_limit_refused": 0,
            "rate_limit_429s": 0, "rate_limit_background_deferred": 0,
            "rate_limit_fleet_fallbacks": 0}, stats
        # A hit hands back the object made at the miss.
        assert refold.get_token_for_linked_account("acct-1") is refold.get_token_for_linked_account("acct-1")
    assert emu.count() == len(on)


@pytest.mark.parametrize(
    "cache, error",
    [
        # The core's rules, reached through each way of passing the cache's options.
        (CacheOptions(max_entries=0), ConfigurationError),
        ({"max_entries": 1.5}, TypeError),
        ({"min_remaining": dt.timedelta(seconds=-1)}, ConfigurationError),
        ({"min_remaining": 10, "refresh_ahead": 5}, ConfigurationError),
        ({"max_entirs": 5}, TypeError),
        ("yes", TypeError),
    ],
)
def test_bad_cache_options_fail_the_constructor(cache: Any, error: type, emu: Emulator) -> None:
    for cls in (Refold, AsyncRefold):
        with pytest.raises(error) as caught:
            cls(API_KEY, base_url=emu.url, cache=cache)
        assert "cache" in str(caught.value) or "CacheOptions" in str(caught.value), caught.value
    assert emu.count() == 0


def test_fresh_invalidate_and_a_deleted_account(emu: Emulator) -> None:
    refold = Refold(API_KEY, base_url=emu.url, cache=True)
    refold.upsert_linked_account("py-gone")
    first = refold.get_token_for_linked_account("py-gone")
    fresh = refold.get_token_for_linked_account("py-gone", fresh=True)
    assert fresh != first and refold.get_token_for_linked_account("py-gone") == fresh
    with pytest.raises(TypeError):
        refold.get_token_for_linked_account("py-gone", fresh="yes")  # type: ignore[arg-type]
    refold.invalidate("py-gone")
    again = refold.get_token_for_linked_account("py-gone")  # a miss: Refold's current token
    assert again == fresh and refold.get_token_for_linked_account("py-gone") == again
    # Deleting the account drops its cached token: the next call mints, and fails.
    refold.delete_linked_account("py-gone")
    stats = refold.cache_stats()
    assert stats is not None and stats.entries == 0
    with pytest.raises(InvalidLinkedAccountError):
        refold.get_token_for_linked_account("py-gone")
    stats = refold.cache_stats()
    assert stats is not None
    assert stats.to_dict() == {"hits": 2, "misses": 4, "coalesced": 0, "refreshes": 0,
                               "refresh_failures": 0, "evictions": 0, "entries": 0,
                               "store_hits": 0, "store_errors": 0,
                               "rate_limit_waits": 0, "rate_limit_wait_ms": 0, "rate_limit_refused": 0,
                               "rate_limit_429s": 0, "rate_limit_background_deferred": 0,
                               "rate_limit_fleet_fallbacks": 0}
    with pytest.raises(TypeError):
        refold.invalidate(42)  # type: ignore[arg-type]


def test_deleting_an_account_already_gone_drops_its_cached_token_too(emu: Emulator) -> None:
    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as refold:
            await refold.upsert_linked_account("py-gone-elsewhere")
            await refold.get_token_for_linked_account("py-gone-elsewhere")
            # Deleted by someone else (another process, the dashboard): this client's delete
            # is answered 404, and still drops the token it kept.
            Refold(API_KEY, base_url=emu.url).delete_linked_account("py-gone-elsewhere")
            with pytest.raises(NotFoundError):
                await refold.delete_linked_account("py-gone-elsewhere")
            stats = await refold.cache_stats()
            assert stats is not None and stats.entries == 0
            with pytest.raises(InvalidLinkedAccountError):
                await refold.get_token_for_linked_account("py-gone-elsewhere")

    asyncio.run(run())


def test_a_hit_answers_without_the_async_machinery(emu: Emulator) -> None:
    # A plain hit is answered synchronously: the coroutine finishes at its first step, never
    # yielding to the event loop (the async path always yields a future first), and the
    # blocking call answers it too; both count as hits. fresh=True and a miss still yield.
    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as refold:
            await refold.upsert_linked_account("py-fast-2")
            minted = await refold.get_token_for_linked_account("acct-1")
            hit = refold.get_token_for_linked_account("acct-1")
            with pytest.raises(StopIteration) as done:
                hit.send(None)
            # The very object made at the miss (kept in the core's token), not a copy.
            assert done.value.value is minted
            for call in (refold.get_token_for_linked_account("acct-1", fresh=True),
                         refold.get_token_for_linked_account("py-fast-2")):
                waiting = call.send(None)  # not done: it waits for a future of the loop
                assert isinstance(waiting, asyncio.Future)
                while not waiting.done():
                    await asyncio.sleep(0.005)
                with pytest.raises(StopIteration) as done:
                    call.send(None)
                assert isinstance(done.value.value, SessionToken)
            stats = await refold.cache_stats()
            assert stats is not None and (stats.hits, stats.misses) == (1, 3), stats

    asyncio.run(run())
    refold = Refold(API_KEY, base_url=emu.url, cache=True)
    first = refold.get_token_for_linked_account("acct-1")
    assert refold.get_token_for_linked_account("acct-1") is first
    stats = refold.cache_stats()
    assert stats is not None and (stats.hits, stats.misses) == (1, 1), stats


def test_no_token_in_printed_forms_of_a_caching_client(emu: Emulator) -> None:
    async def run() -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=True) as refold:
            token = await refold.get_token_for_linked_account("acct-1")
            stats = await refold.cache_stats()
            for text in (repr(refold), str(refold), repr(stats), str(stats), repr(token), str(token)):
                assert token.token not in text and API_KEY not in text
            await refold.invalidate("acct-1")
            await refold.invalidate_all()
            after = await refold.cache_stats()
            assert after is not None and after.entries == 0

    asyncio.run(run())
    refold = Refold(API_KEY, base_url=emu.url, cache=True)
    token = refold.get_token_for_linked_account("acct-1")
    for text in (repr(refold), repr(refold.cache_stats()), repr(token)):
        assert token.token not in text
    refold.close()
    assert repr(refold) == "<Refold closed>"
