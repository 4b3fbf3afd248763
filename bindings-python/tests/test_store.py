"""The fleet store (docs/contract.md §Fleet store) from Python, against a real redis-server
started here on a free loopback port: clients that share the store mint once between them,
the stats count the store's hits and errors, the options (StoreOptions, nested dicts, the
environment) reach the core, bad ones fail the constructor, and no secret is ever shown."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List

import pytest

from refold_session import (
    AsyncRefold,
    CacheOptions,
    ConfigurationError,
    InvalidLinkedAccountError,
    Refold,
    StoreOptions,
)

from conftest import API_KEY, BINDING, Emulator

KEY = base64.b64encode(os.urandom(32)).decode()
OTHER_KEY = base64.b64encode(os.urandom(32)).decode()
PASSWORD = "pw-DISTINCTIVE-9f3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A redis-server of its own (installed by `make redis-deps`), stopped at the end."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: run `make redis-deps`")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="refold-py-redis-")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", workdir],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def prefix() -> str:
    """A key prefix of each test's own, so tests never see each other's entries."""
    return f"py-{uuid.uuid4().hex[:12]}:"


def test_two_clients_sharing_the_store_mint_once(emu: Emulator, redis_url: str) -> None:
    store = StoreOptions(redis_url=redis_url, encryption_key=KEY, key_prefix=prefix())
    writer = Refold(API_KEY, base_url=emu.url, cache=CacheOptions(store=store))
    minted = writer.get_token_for_linked_account("acct-1")
    assert emu.count() == 1

    async def read() -> None:
        # The same store as nested dicts, on the asyncio client.
        cache: Dict[str, Any] = {"store": {"redis_url": redis_url, "encryption_keys": [KEY],
                                           "key_prefix": store.key_prefix}}
        async with AsyncRefold(API_KEY, base_url=emu.url, cache=cache) as reader:
            token = await reader.get_token_for_linked_account("acct-1")
            assert token == minted
            again = await reader.get_token_for_linked_account("acct-1")  # in-process now
            assert again == minted
            stats = await reader.cache_stats()
            assert stats is not None
            assert (stats.store_hits, stats.store_errors, stats.hits) == (1, 0, 1), stats
            assert stats.to_dict()["store_hits"] == 1

    asyncio.run(read())
    assert emu.count() == 1, "the second client minted"
    stats = writer.cache_stats()
    assert stats is not None and (stats.store_hits, stats.store_errors, stats.misses) == (0, 0, 1)


def test_concurrent_callers_on_two_clients_share_one_mint(emu: Emulator, redis_url: str) -> None:
    # The mint is held 500 ms: both clients ask while it is in flight; the Redis lock makes
    # the second client wait for the first one's token instead of minting its own.
    emu.faults([{"kind": "delay", "ms": 500}])
    cache = {"store": {"redis_url": redis_url, "encryption_key": KEY, "key_prefix": prefix()}}
    clients = [Refold(API_KEY, base_url=emu.url, cache=cache, timeout=5) for _ in range(2)]

    def call(n: int) -> str:
        return clients[n % 2].get_token_for_linked_account("acct-1").token

    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(call, range(64)))
    assert len(set(tokens)) == 1
    assert emu.count() == 1
    hits = [stats.store_hits for stats in (client.cache_stats() for client in clients) if stats]
    assert sorted(hits) == [0, 1], hits


def test_invalidate_and_delete_reach_the_store(emu: Emulator, redis_url: str) -> None:
    store = StoreOptions(redis_url=redis_url, encryption_key=KEY, key_prefix=prefix())
    one = Refold(API_KEY, base_url=emu.url, cache=CacheOptions(store=store))
    other = Refold(API_KEY, base_url=emu.url, cache=CacheOptions(store=store))
    first = one.get_token_for_linked_account("acct-1")
    one.invalidate("acct-1")
    second = other.get_token_for_linked_account("acct-1")
    # The other process missed the store and asked Refold (which answers its current token).
    assert second == first and emu.count() == 2, "the store entry outlived invalidate()"

    one.upsert_linked_account("py-store-gone")
    one.get_token_for_linked_account("py-store-gone")
    one.delete_linked_account("py-store-gone")
    with pytest.raises(InvalidLinkedAccountError):
        other.get_token_for_linked_account("py-store-gone")


def test_a_store_that_is_down_never_fails_a_call(emu: Emulator) -> None:
    down = f"redis://127.0.0.1:{free_port()}"
    refold = Refold(API_KEY, base_url=emu.url,
                    cache={"store": {"redis_url": down, "encryption_key": KEY, "timeout": 0.2}})
    tokens = [refold.get_token_for_linked_account("acct-1", fresh=n > 0) for n in range(2)]
    assert len({token.token for token in tokens}) == 2
    stats = refold.cache_stats()
    assert stats is not None and stats.store_errors >= 1 and stats.store_hits == 0, stats


def run_worker(emu: Emulator, redis_url: str, accounts: List[str], key: str = KEY) -> Any:
    """tests/fleet_worker.py (the fleet conformance worker), configured from the environment."""
    env = dict(os.environ, REFOLD_API_KEY=API_KEY, REFOLD_BASE_URL=emu.url,
               REFOLD_CACHE_REDIS_URL=redis_url, REFOLD_CACHE_ENCRYPTION_KEY=key)
    done = subprocess.run(
        [sys.executable, str(BINDING / "tests" / "fleet_worker.py")],
        input=json.dumps({"accounts": accounts, "rounds": 2}), capture_output=True,
        text=True, timeout=120, env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_fleet_worker_takes_the_store_from_the_environment(
    emu: Emulator, redis_url: str
) -> None:
    accounts = sorted(["acct-1", "日本語-ü-🙂"])  # known to the emulator
    # Its own entries: the worker writes under the default prefix with a fresh key.
    key = base64.b64encode(os.urandom(32)).decode()
    first = run_worker(emu, redis_url, accounts, key)
    assert first["errors"] == {} and sorted(first["tokens"]) == accounts
    assert first["stats"]["misses"] == 2 and first["stats"]["store_hits"] == 0, first["stats"]
    assert emu.count() == 2
    second = run_worker(emu, redis_url, accounts, key)
    assert second["tokens"] == first["tokens"]
    assert second["stats"]["store_hits"] == 2 and second["stats"]["store_errors"] == 0
    assert emu.count() == 2, "the second process minted"
    # Another key reads nothing of the first one's: a mint per account.
    other = run_worker(emu, redis_url, accounts, OTHER_KEY)
    assert other["stats"]["store_hits"] == 0 and emu.count() == 4


@pytest.mark.parametrize(
    "store, error",
    [
        ({}, ConfigurationError),  # no URL (none in the environment either)
        ({"redis_url": "redis://127.0.0.1:1"}, ConfigurationError),  # no key
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": "c2hvcnQ="}, ConfigurationError),
        ({"redis_url": "http://127.0.0.1:1", "encryption_key": KEY}, ConfigurationError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": KEY, "key_prefix": "a b"},
         ConfigurationError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": KEY, "timeout": -1},
         ConfigurationError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": "\ud800"}, ConfigurationError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_keys": [KEY, "\udfff"]},
         ConfigurationError),
        ({"redis_url": 6379, "encryption_key": KEY}, TypeError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_keys": KEY}, TypeError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_keys": [KEY, 1]}, TypeError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_keys": [None]}, TypeError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": KEY, "encryption_keys": [KEY]},
         TypeError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": KEY, "timeout": "1"}, TypeError),
        ({"redis_url": "redis://127.0.0.1:1", "encryption_key": KEY, "key_prefix": b"x"},
         TypeError),
        ({"redis_uri": "redis://127.0.0.1:1"}, TypeError),
        ("redis://127.0.0.1:1", TypeError),
        (True, ConfigurationError),  # the store from the environment: no URL there
    ],
)
def test_bad_store_options_fail_the_constructor(store: Any, error: type, emu: Emulator) -> None:
    for cls in (Refold, AsyncRefold):
        with pytest.raises(error) as caught:
            cls(API_KEY, base_url=emu.url, cache={"store": store})
        text = str(caught.value)
        assert "store" in text or "Redis" in text or "StoreOptions" in text, text
        assert KEY not in text
    assert emu.count() == 0


def test_no_secret_in_printed_forms_or_messages(emu: Emulator, redis_url: str) -> None:
    with_password = redis_url.replace("redis://", f"redis://user:{PASSWORD}@")
    store = StoreOptions(redis_url=with_password, encryption_keys=[KEY, OTHER_KEY],
                         key_prefix="refold-py:", timeout=0.2)
    assert store.encryption_keys == (KEY, OTHER_KEY)
    cache = CacheOptions(store=store)
    assert cache.store == store and CacheOptions(store={"encryption_keys": [KEY]}).store == \
        StoreOptions(encryption_keys=(KEY,))
    refold = Refold(API_KEY, base_url=emu.url, cache=cache)
    # The server has no password: every store call fails, falls back, and is counted.
    token = refold.get_token_for_linked_account("acct-1")
    stats = refold.cache_stats()
    assert stats is not None and stats.store_errors >= 1
    for text in (repr(store), str(store), repr(cache), repr(refold), repr(stats), repr(token)):
        for secret in (PASSWORD, KEY, OTHER_KEY, API_KEY, token.token):
            assert secret not in text, text
    assert "[2 redacted]" in repr(store)
    bad_url = with_password.replace("redis://", "redis:/")
    with pytest.raises(ConfigurationError) as caught:
        Refold(API_KEY, base_url=emu.url,
               cache=CacheOptions(store=StoreOptions(redis_url=bad_url, encryption_key=KEY)))
    assert PASSWORD not in str(caught.value) and KEY not in str(caught.value)
