"""Many threads on one client, and the GIL released while a call waits on the network."""

from __future__ import annotations

import threading
import time
from typing import List

from refold_session import Refold

from conftest import API_KEY, Emulator

THREADS = 32
CALLS_PER_THREAD = 100


class Counter(threading.Thread):
    """Pure-Python busy loop: it can only count while it holds the GIL."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.value = 0
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            self.value += 1


def test_32_threads_share_one_client_while_python_keeps_running(emu: Emulator) -> None:
    client = Refold(API_KEY, base_url=emu.url)
    results: List[int] = [0] * THREADS
    failures: List[BaseException] = []
    start = threading.Barrier(THREADS + 1)

    def worker(index: int) -> None:
        try:
            start.wait()
            for _ in range(CALLS_PER_THREAD):
                token = client.get_token_for_linked_account("acct-1")
                assert token.linked_account_id == "acct-1"
                results[index] += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    counter = Counter()
    counter.start()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    start.wait()
    samples = []
    while any(thread.is_alive() for thread in threads):
        samples.append(counter.value)
        time.sleep(0.05)
        for thread in threads:
            thread.join(timeout=0)
        assert len(samples) < 20 * 120, "3,200 calls did not finish within 2 minutes"
    counter.stop = True
    counter.join(timeout=5)

    assert not failures, failures[:3]
    assert sum(results) == THREADS * CALLS_PER_THREAD
    assert emu.count() == THREADS * CALLS_PER_THREAD
    # The counter advanced between (almost) every pair of samples while the calls ran.
    steps = [later - earlier for earlier, later in zip(samples, samples[1:])]
    if steps:
        stalled = sum(1 for step in steps if step == 0)
        assert stalled <= max(1, len(steps) // 10), steps


def test_the_gil_is_released_while_a_call_waits(emu: Emulator) -> None:
    # The emulator holds the answer for 1.5 s; a pure-Python thread must run meanwhile.
    emu.faults([{"kind": "delay", "ms": 1500}])
    client = Refold(API_KEY, base_url=emu.url)
    counter = Counter()
    done = threading.Event()

    def call() -> None:
        client.get_token_for_linked_account("acct-1")
        done.set()

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    time.sleep(0.3)  # the call is now waiting on the emulator
    counter.start()
    time.sleep(0.5)
    progressed_during_call = counter.value
    still_waiting = not done.is_set()
    counter.stop = True
    caller.join(timeout=30)
    counter.join(timeout=5)
    assert done.is_set()
    assert still_waiting, "the delayed call finished too early for the check to mean anything"
    # Holding the GIL would freeze the counter at (nearly) zero for the whole half second.
    assert progressed_during_call > 100_000, progressed_during_call
