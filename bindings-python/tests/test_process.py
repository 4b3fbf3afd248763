"""Process-level behaviour: fork (gunicorn --preload), and prompt exit after one call."""

from __future__ import annotations

import os

from conftest import API_KEY, Emulator, run_python

FORK_SCRIPT = """
import os, sys, time
from refold_session import Refold
client = Refold({key!r}, base_url={url!r})
client.get_token_for_linked_account("acct-1")  # the parent's runtime and pool are live
children = []
for n in range(4):
    pid = os.fork()
    if pid == 0 and n == 3:
        # Closing what it inherited must not touch the parent's pooled connection.
        client.close()
        os._exit(0)
    if pid == 0:
        try:
            token = client.get_token_for_linked_account("acct-1")
            ok = token.linked_account_id == "acct-1"
            # A second call in the child reuses the child's own pool.
            ok = ok and client.get_token_for_linked_account("acct-1").linked_account_id == "acct-1"
            os._exit(0 if ok else 3)
        except BaseException as error:
            print("child failed:", repr(error), file=sys.stderr, flush=True)
            os._exit(4)
    children.append(pid)
deadline = time.monotonic() + 20
for pid in children:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
            break
        assert time.monotonic() < deadline, "a forked child hung"
        time.sleep(0.02)
# The parent is unaffected: its pooled connection still answers (a lost registration in the
# epoll instance it shares with the children would leave this call waiting for its timeout).
started = time.monotonic()
client.get_token_for_linked_account("acct-1")
assert time.monotonic() - started < 10, "the parent's call waited for its timeout"
print("fork ok")
"""


def test_client_created_before_fork_works_in_children(emu: Emulator) -> None:
    result = run_python(FORK_SCRIPT.format(key=API_KEY, url=emu.url), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "fork ok" in result.stdout
    assert emu.count() == 1 + 3 * 2 + 1


ASYNC_FORK_SCRIPT = """
import asyncio, os, sys
from refold_session import AsyncRefold
client = AsyncRefold({key!r}, base_url={url!r})
asyncio.run(client.get_token_for_linked_account("acct-1"))
pid = os.fork()
if pid == 0:
    try:
        token = asyncio.run(client.get_token_for_linked_account("acct-1"))
        os._exit(0 if token.linked_account_id == "acct-1" else 3)
    except BaseException as error:
        print("child failed:", repr(error), file=sys.stderr, flush=True)
        os._exit(4)
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
print("async fork ok")
"""


def test_async_client_created_before_fork_works_in_the_child(emu: Emulator) -> None:
    result = run_python(ASYNC_FORK_SCRIPT.format(key=API_KEY, url=emu.url), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "async fork ok" in result.stdout
    assert emu.count() == 2


CACHE_FORK_SCRIPT = """
import os, sys
from refold_session import Refold
client = Refold({key!r}, base_url={url!r}, cache=True)
parent_token = client.get_token_for_linked_account("acct-1").token
assert client.get_token_for_linked_account("acct-1").token == parent_token  # cached
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    try:
        os.close(read)
        # The child starts with an empty cache: it mints its own token.
        stats = client.cache_stats()
        child_token = client.get_token_for_linked_account("acct-1").token
        again = client.get_token_for_linked_account("acct-1").token
        after = client.cache_stats()
        ok = (stats.entries, stats.hits, stats.misses) == (0, 0, 0)
        # The child's cache missed; Refold answered the account's current token again.
        ok = ok and child_token == parent_token and again == child_token
        ok = ok and (after.hits, after.misses, after.entries) == (1, 1, 1)
        os.write(write, child_token.encode())
        os._exit(0 if ok else 3)
    except BaseException as error:
        print("child failed:", repr(error), file=sys.stderr, flush=True)
        os._exit(4)
os.close(write)
child_token = os.read(read, 4096).decode()
_, status = os.waitpid(pid, 0)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
# The parent's cache is intact: its own token, from the cache, without a request.
assert client.get_token_for_linked_account("acct-1").token == parent_token
stats = client.cache_stats()
assert (stats.hits, stats.misses, stats.entries) == (2, 1, 1), stats
assert child_token and child_token == parent_token
print("cache fork ok")
"""


def test_a_forked_child_starts_with_an_empty_cache_and_the_parents_is_intact(emu: Emulator) -> None:
    result = run_python(CACHE_FORK_SCRIPT.format(key=API_KEY, url=emu.url), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "cache fork ok" in result.stdout
    assert emu.count() == 2  # one mint in the parent, one in the child


EXIT_SYNC = """
import sys, time
from refold_session import Refold
token = Refold({key!r}, base_url={url!r}).get_token_for_linked_account("acct-1")
assert token.linked_account_id == "acct-1"
print(repr(time.time()), flush=True)
"""

EXIT_ASYNC = """
import asyncio, time
from refold_session import AsyncRefold
async def main():
    client = AsyncRefold({key!r}, base_url={url!r})
    return await client.get_token_for_linked_account("acct-1")
assert asyncio.run(main()).linked_account_id == "acct-1"
print(repr(time.time()), flush=True)
"""


def check_exits_promptly(script: str, emu: Emulator) -> None:
    import subprocess
    import sys
    import time

    process = subprocess.Popen(
        [sys.executable, "-c", script.format(key=API_KEY, url=emu.url)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("the script did not exit within 30 s")
    exited = time.time()
    assert process.returncode == 0, err
    last_call_returned = float(out.strip().splitlines()[-1])
    assert exited - last_call_returned < 2.0, exited - last_call_returned
    assert emu.count() == 1


def test_sync_script_exits_on_its_own_within_2s(emu: Emulator) -> None:
    check_exits_promptly(EXIT_SYNC, emu)


def test_asyncio_run_script_exits_on_its_own_within_2s(emu: Emulator) -> None:
    check_exits_promptly(EXIT_ASYNC, emu)


GATHER_AND_EXIT = """
import asyncio
from refold_session import AsyncRefold
async def main():
    async with AsyncRefold({key!r}, base_url={url!r}) as client:
        await asyncio.gather(*(client.get_token_for_linked_account("acct-1") for _ in range(4)))
asyncio.run(main())
"""


def test_exit_right_after_concurrent_asyncio_calls_is_clean(emu: Emulator) -> None:
    # Regression: results delivered from our I/O threads raced interpreter finalization and
    # aborted the process (SIGABRT) in about 1 run of 10.
    script = GATHER_AND_EXIT.format(key=API_KEY, url=emu.url)
    for _ in range(25):
        result = run_python(script, timeout=30)
        assert result.returncode == 0, (result.returncode, result.stderr)


DAEMON_THREAD_AT_EXIT = """
import threading, time
from refold_session import Refold
client = Refold({key!r}, base_url={url!r}, max_retries=0)
started = threading.Event()
def call():
    started.set()
    client.get_token_for_linked_account("acct-1")  # held by the emulator for 1 s
threading.Thread(target=call, daemon=True).start()
started.wait()
time.sleep(0.2)
print(repr(time.time()), flush=True)
"""


def test_exit_while_a_daemon_thread_waits_on_a_call_is_clean(emu: Emulator) -> None:
    # The call returns while the interpreter is shutting down: it must not abort the process.
    emu.faults([{"kind": "delay", "ms": 1000}])
    check_exits_promptly(DAEMON_THREAD_AT_EXIT, emu)


CTRL_C = """
import signal, time
# A process started in the background by a non-interactive shell inherits SIGINT ignored, and
# Python then installs no KeyboardInterrupt handler: put the standard one back.
signal.signal(signal.SIGINT, signal.default_int_handler)
from refold_session import Refold
client = Refold({key!r}, base_url={url!r}, max_retries=0)
print("calling", flush=True)
started = time.monotonic()
try:
    client.get_token_for_linked_account("acct-1")  # held by the emulator for 5 s
except KeyboardInterrupt:
    print("interrupted after", time.monotonic() - started, flush=True)
else:
    print("returned without an interrupt after", time.monotonic() - started, flush=True)
"""


def test_ctrl_c_interrupts_a_blocking_call(emu: Emulator) -> None:
    import signal
    import subprocess
    import sys
    import time

    # Several: a request of an earlier test's process that reaches the emulator late (a loaded
    # machine) must not take the only delay and leave this call undelayed.
    emu.faults([{"kind": "delay", "ms": 5000}] * 4)
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C.format(key=API_KEY, url=emu.url)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "calling"
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "interrupted after" in out, out
    waited = float(out.split("interrupted after")[1])
    assert waited < 3.0, waited


LAZY_IMPORT_SCRIPT = """
import sys
before = set(sys.modules)
import refold_session
heavy = {{"typing", "logging", "datetime"}}
print("loaded by import:", sorted((set(sys.modules) - before) & heavy))
import logging
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.name)
logger = logging.getLogger("refold_session")
logger.addHandler(Keep(logging.DEBUG))
logger.setLevel(logging.DEBUG)
client = refold_session.Refold({key!r}, base_url={url!r})  # installs the log bridge
token = client.get_token_for_linked_account("acct-1")
print("token ok:", token.linked_account_id == "acct-1", token.expires_at.tzinfo is not None)
print("records:", any(name.startswith("refold_session") for name in records))
"""


def test_import_is_light_and_the_log_bridge_comes_with_the_first_client(emu: Emulator) -> None:
    # `typing`, `logging` and `datetime` cost tens of ms at import (bench/README.md); the
    # log bridge is installed by the first client and still forwards the core's records.
    emu.faults([{"kind": "status", "status": 502, "headers": {"retry-after-ms": "10"}}])
    done = run_python(LAZY_IMPORT_SCRIPT.format(key=API_KEY, url=emu.url))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "loaded by import: []",
        "token ok: True True",
        "records: True",
    ], done.stdout + done.stderr
