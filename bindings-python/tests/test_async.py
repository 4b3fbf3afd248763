"""The asyncio machinery: results delivered to the right futures of the right loops, in
batches, cancellation, loops that cannot watch a descriptor, closed loops, and no leaks."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from typing import Any, Dict, List, Optional, Tuple, Union

import pytest

from refold_session import AsyncRefold, LinkedAccount, NotFoundError, SessionToken

from conftest import API_KEY, Emulator

Answer = Union[SessionToken, LinkedAccount, BaseException]


def _calls(client: AsyncRefold, count: int, tag: str) -> List[Any]:
    """Interleaved calls whose answers say which call they belong to: upserts of distinct ids,
    tokens, and lookups of missing accounts (NotFoundError)."""
    calls: List[Any] = []
    for i in range(count):
        if i % 3 == 0:
            calls.append(client.upsert_linked_account(f"py-async-{tag}-{i}", name=f"n{i}"))
        elif i % 3 == 1:
            calls.append(client.get_token_for_linked_account("acct-1"))
        else:
            calls.append(client.get_linked_account(f"py-missing-{tag}-{i}"))
    return calls


def _check(answers: List[Answer], tag: str) -> None:
    for i, answer in enumerate(answers):
        if i % 3 == 0:
            assert isinstance(answer, LinkedAccount), (i, answer)
            assert (answer.account_id, answer.name) == (f"py-async-{tag}-{i}", f"n{i}")
        elif i % 3 == 1:
            assert isinstance(answer, SessionToken), (i, answer)
            assert answer.linked_account_id == "acct-1"
        else:
            assert isinstance(answer, NotFoundError), (i, answer)


class Unretrieved:
    """Collects what the loop reports to its exception handler (e.g. "Future exception was
    never retrieved")."""

    def __init__(self) -> None:
        self.reports: List[Dict[str, Any]] = []

    def __call__(self, loop: asyncio.AbstractEventLoop, context: Dict[str, Any]) -> None:
        self.reports.append(context)


def test_many_concurrent_calls_each_get_their_own_answer(emu: Emulator) -> None:
    async def run() -> List[Answer]:
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            return await asyncio.gather(*_calls(client, 600, "many"), return_exceptions=True)

    _check(asyncio.run(run()), "many")
    assert emu.count() == 600


def test_cancelling_an_async_call_stops_its_work(emu: Emulator) -> None:
    # Every attempt outlasts the client's timeout and is retried, so a call that kept running
    # would keep sending requests; a cancelled one must stop at the first.
    delays = [{"kind": "delay", "ms": 1500}] * 12

    async def run(cancel: bool) -> None:
        async with AsyncRefold(API_KEY, base_url=emu.url, timeout=0.4, max_retries=4) as client:
            call = asyncio.ensure_future(client.get_token_for_linked_account("acct-1"))
            deadline = time.monotonic() + 5
            while emu.count() < 1 and time.monotonic() < deadline:  # the first attempt is in
                await asyncio.sleep(0.005)
            if cancel:
                call.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await call
            else:
                # The same call, shielded from the cancellation of its waiter, keeps going.
                with pytest.raises(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(call), 0.01)
            await asyncio.sleep(1.5)
            if not cancel:
                call.cancel()
                await asyncio.gather(call, return_exceptions=True)

    emu.faults(delays)
    asyncio.run(run(cancel=True))
    assert emu.count() == 1
    emu.reset()
    emu.faults(delays)
    asyncio.run(run(cancel=False))
    assert emu.count() > 1


def test_cancelled_calls_leave_nothing_pending_or_unretrieved(emu: Emulator) -> None:
    # Errors (unknown accounts) cancelled at every stage, some while their answer is on its
    # way to the loop: no "Future exception was never retrieved", the loop ends cleanly,
    # and the client still answers afterwards.
    handler = Unretrieved()

    async def run() -> Tuple[int, Optional[SessionToken]]:
        asyncio.get_running_loop().set_exception_handler(handler)
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            cancelled = 0
            for round in range(20):
                calls = [asyncio.ensure_future(client.get_linked_account(f"py-gone-{round}-{i}"))
                         for i in range(20)]
                for _ in range(round % 5):
                    await asyncio.sleep(0)
                time.sleep(0.002 * (round % 4))  # let some answers reach the inbox meanwhile
                for call in calls:
                    cancelled += call.cancel()
                for answer in await asyncio.gather(*calls, return_exceptions=True):
                    assert isinstance(answer, (asyncio.CancelledError, NotFoundError)), answer
            token = await client.get_token_for_linked_account("acct-1")
        return cancelled, token

    cancelled, token = asyncio.run(run())
    gc.collect()
    assert cancelled > 0
    assert token is not None and token.linked_account_id == "acct-1"
    assert handler.reports == []


def test_two_loops_in_two_threads_share_one_client(emu: Emulator) -> None:
    client = AsyncRefold(API_KEY, base_url=emu.url)
    results: Dict[str, List[Answer]] = {}
    failures: List[BaseException] = []

    def worker(tag: str) -> None:
        async def run() -> List[Answer]:
            answers: List[Answer] = []
            for _ in range(3):  # a new loop per round, on the same thread
                answers += await asyncio.gather(*_calls(client, 90, tag), return_exceptions=True)
            return answers

        try:
            results[tag] = asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(tag,)) for tag in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    for tag in ("left", "right"):
        answers = results[tag]
        assert len(answers) == 270
        for round in range(3):
            _check(answers[round * 90 : (round + 1) * 90], tag)


class NoReaderLoop(asyncio.SelectorEventLoop):
    """A loop that cannot watch descriptors, like Windows' proactor loop."""

    def add_reader(self, *args: Any) -> None:
        raise NotImplementedError


def test_a_loop_without_add_reader_gets_its_answers_too(emu: Emulator) -> None:
    async def run() -> List[Answer]:
        async with AsyncRefold(API_KEY, base_url=emu.url) as client:
            return await asyncio.gather(*_calls(client, 90, "noreader"), return_exceptions=True)

    loop = NoReaderLoop()
    try:
        _check(loop.run_until_complete(run()), "noreader")
    finally:
        loop.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors in /proc")
def test_loop_after_loop_leaks_no_descriptors(emu: Emulator) -> None:
    client = AsyncRefold(API_KEY, base_url=emu.url)

    async def one() -> SessionToken:
        return await client.get_token_for_linked_account("acct-1")

    def descriptors() -> int:
        gc.collect()
        return len(os.listdir("/proc/self/fd"))

    asyncio.run(one())
    before = descriptors()
    for _ in range(40):
        asyncio.run(one())
    assert descriptors() - before <= 4


def test_an_answer_for_a_closed_loop_is_dropped(emu: Emulator) -> None:
    emu.faults([{"kind": "delay", "ms": 300}])
    client = AsyncRefold(API_KEY, base_url=emu.url)

    async def start() -> "asyncio.Future[Any]":
        # The native awaitable, left pending when its loop closes.
        return client._native.token_async("acct-1", {})  # type: ignore[return-value]

    loop = asyncio.new_event_loop()
    pending = loop.run_until_complete(start())
    loop.close()
    time.sleep(0.6)  # the answer arrives for a loop that is gone
    assert not pending.done()

    async def again() -> SessionToken:
        return await client.get_token_for_linked_account("acct-1")

    assert asyncio.run(again()).linked_account_id == "acct-1"
    assert emu.count() == 2
