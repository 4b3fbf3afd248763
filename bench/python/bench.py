"""One Python client of the refold-session benchmark (bench/README.md).

    python bench.py --client NAME --url URL --key KEY --n N --concurrency C [--warmup W] [--prefix P]
                    [--accounts K] [--redis-url R --encryption-key B64 --key-prefix KP]
                    [--value-bytes V]

NAME:
- ours-sync, ours-async, requests, httpx-sync, httpx-async, aiohttp: each call POSTs the
  session-token request with a distinct linked_account_id, parses the JSON and returns the token
  (ours: no cache, every call mints);
- cache-hit-sync, cache-hit-async: ours with ``cache=True``; K accounts are minted first, then
  every call is a hit (the ids cycle over the K);
- store-hit-sync, store-hit-async: ours with ``cache={"store": ...}``; a separate client first
  mints W + N accounts (Redis warm), then a fresh client (empty in-process cache) asks for each
  once, so every timed call is an in-process miss answered by Redis;
- redis-py-sync, redis-py-async: the raw-GET peers (redis-py, with hiredis's parser): GET of a
  V-byte value per call (W + N values SET first), one client with a connection pool;
- ours-async-otel-api, ours-async-otel-sdk: ours-async with OpenTelemetry: the API importable
  but no SDK registered (the bridge is installed and records nothing), and the SDK registered
  with exporters that drop everything (a BatchSpanProcessor and a metric reader: the whole
  recording cost, no I/O). Every other client of ours runs with ``opentelemetry`` made
  unimportable, as without the extra;
- fleet: ours-sync with the store, N calls over K accounts; prints READY and waits for a line on
  stdin before calling (bench/run.py releases every language's fleet process together).
Sync clients run C threads (a thread pool), async clients C tasks on one asyncio loop. Prints
one line: BENCH_JSON {...} (read by bench/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import platform
import sys
import threading
import time

SESSION_PATH = "/api/v2/public/session-token"

SYNC = {"ours-sync", "requests", "httpx-sync", "cache-hit-sync", "store-hit-sync", "redis-py-sync", "fleet"}
ASYNC = {"ours-async", "ours-async-otel-api", "ours-async-otel-sdk", "httpx-async", "aiohttp", "cache-hit-async", "store-hit-async", "redis-py-async"}


def ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{i}" for i in range(count)]


def store_option(args) -> dict:
    return {"store": {"redis_url": args.redis_url, "encryption_key": args.encryption_key,
                      "key_prefix": args.key_prefix}}


def stats_delta(before, after):
    """The timed phase's counters (after - before); None without a cache."""
    if before is None or after is None:
        return None
    return {k: getattr(after, k, 0) - getattr(before, k, 0)
            for k in ("hits", "misses", "coalesced", "store_hits", "store_errors")}


class Bench:
    """One client kind: the call, the ids of the warm-up and timed phases, its counters."""

    def __init__(self, call, warm_ids, timed_ids, stats=None, close=None):
        self.call, self.warm_ids, self.timed_ids = call, warm_ids, timed_ids
        self.stats, self.close = stats, close


def cached_sync(args, cache):
    """Ours with ``cache``; checks this build really has the session cache."""
    from refold_session import Refold

    client = Refold(args.key, base_url=args.url, cache=cache)
    if client.cache_stats() is None:
        raise SystemExit("this build of refold-session has no session cache (cache_stats() is None)")
    return client


async def cached_async(args, cache):
    from refold_session import AsyncRefold

    client = AsyncRefold(args.key, base_url=args.url, cache=cache)
    if await client.cache_stats() is None:
        raise SystemExit("this build of refold-session has no session cache (cache_stats() is None)")
    return client


def random_value(n: int) -> bytes:
    import os

    return os.urandom(n)


def make_sync_bench(args) -> Bench:
    name = args.client
    warm_ids, timed_ids = ids(args.prefix + "-w", args.warmup), ids(args.prefix, args.n)
    if name == "cache-hit-sync":
        client = cached_sync(args, True)
        call = lambda i: client.get_token_for_linked_account(i).token  # noqa: E731
        accounts = ids(args.prefix, args.accounts)
        if run_sync(call, accounts, len(accounts), 64, None):
            raise SystemExit("minting the accounts to hit failed")
        return Bench(call, accounts, accounts, client.cache_stats)
    if name in ("store-hit-sync", "fleet"):
        if name == "store-hit-sync":
            warmer = cached_sync(args, store_option(args))
            warm_call = lambda i: warmer.get_token_for_linked_account(i).token  # noqa: E731
            for group in (warm_ids, timed_ids):
                if run_sync(warm_call, group, len(group), 64, None):
                    raise SystemExit("warming the store failed")
            warmer.close()
        client = cached_sync(args, store_option(args))
        call = lambda i: client.get_token_for_linked_account(i).token  # noqa: E731
        if name == "fleet":
            print("READY", flush=True)
            sys.stdin.readline()
            return Bench(call, [], ids(args.prefix, args.accounts), client.cache_stats)
        return Bench(call, warm_ids, timed_ids, client.cache_stats)
    if name == "redis-py-sync":
        import redis

        # One client; its pool opens a connection per thread that needs one (up to C).
        r = redis.Redis.from_url(args.redis_url, max_connections=max(args.concurrency, 2))
        value = random_value(args.value_bytes)
        for group in (warm_ids, timed_ids):
            for start in range(0, len(group), 1000):
                pipe = r.pipeline(transaction=False)
                for i in group[start:start + 1000]:
                    pipe.set(i, value)
                pipe.execute()
        expected = args.value_bytes

        def get(i: str) -> str:
            got = r.get(i)
            if got is None or len(got) != expected:
                raise RuntimeError(f"GET returned {None if got is None else len(got)} bytes")
            return "ok"

        return Bench(get, warm_ids, timed_ids, close=r.close)
    return Bench(make_sync(name, args.url, args.key, args.concurrency), warm_ids, timed_ids)


async def make_async_bench(args) -> Bench:
    name = args.client
    warm_ids, timed_ids = ids(args.prefix + "-w", args.warmup), ids(args.prefix, args.n)
    if name in ("cache-hit-async", "store-hit-async"):
        if name == "cache-hit-async":
            client = await cached_async(args, True)
        else:
            warmer = await cached_async(args, store_option(args))

            async def warm_call(i: str) -> str:
                return (await warmer.get_token_for_linked_account(i)).token

            for group in (warm_ids, timed_ids):
                if await run_async(warm_call, group, len(group), 64, None):
                    raise SystemExit("warming the store failed")
            await warmer.close()
            client = await cached_async(args, store_option(args))

        async def call(i: str) -> str:
            return (await client.get_token_for_linked_account(i)).token

        if name == "cache-hit-async":
            accounts = ids(args.prefix, args.accounts)
            if await run_async(call, accounts, len(accounts), 64, None):
                raise SystemExit("minting the accounts to hit failed")
            return Bench(call, accounts, accounts, client.cache_stats, client.close)
        return Bench(call, warm_ids, timed_ids, client.cache_stats, client.close)
    if name == "redis-py-async":
        import redis.asyncio

        r = redis.asyncio.Redis.from_url(args.redis_url, max_connections=max(args.concurrency, 2))
        value = random_value(args.value_bytes)
        for group in (warm_ids, timed_ids):
            for start in range(0, len(group), 1000):
                pipe = r.pipeline(transaction=False)
                for i in group[start:start + 1000]:
                    pipe.set(i, value)
                await pipe.execute()
        expected = args.value_bytes

        async def get(i: str) -> str:
            got = await r.get(i)
            if got is None or len(got) != expected:
                raise RuntimeError(f"GET returned {None if got is None else len(got)} bytes")
            return "ok"

        return Bench(get, warm_ids, timed_ids, close=r.aclose)
    call, close = await make_async(name, args.url, args.key, args.concurrency)
    return Bench(call, warm_ids, timed_ids, close=close)


def make_sync(name: str, url: str, key: str, concurrency: int):
    endpoint = url + SESSION_PATH
    headers = {"x-api-key": key, "accept": "application/json"}
    if name == "ours-sync":
        from refold_session import Refold

        client = Refold(key, base_url=url)
        return lambda i: client.get_token_for_linked_account(i).token
    if name == "requests":
        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        # One pooled connection per thread, as a tuned service would configure it.
        session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=concurrency))

        def call(i: str) -> str:
            r = session.post(endpoint, json={"linked_account_id": i}, headers=headers)
            r.raise_for_status()
            return r.json()["token"]

        return call
    if name == "httpx-sync":
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = httpx.Client(limits=limits)

        def call(i: str) -> str:
            r = client.post(endpoint, json={"linked_account_id": i}, headers=headers)
            r.raise_for_status()
            return r.json()["token"]

        return call
    raise SystemExit(f"unknown sync client {name}")


def register_noop_sdk() -> None:
    """The OpenTelemetry SDK as an application registers it, with exporters that drop all."""
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Drop(SpanExporter):
        def export(self, spans):
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    trace.set_tracer_provider(provider)
    # Aggregates every point; never collected.
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


async def make_async(name: str, url: str, key: str, concurrency: int):
    endpoint = url + SESSION_PATH
    headers = {"x-api-key": key, "accept": "application/json"}
    if name.startswith("ours-async"):
        if name == "ours-async-otel-sdk":
            register_noop_sdk()
        from refold_session import AsyncRefold

        client = AsyncRefold(key, base_url=url)

        async def call(i: str) -> str:
            return (await client.get_token_for_linked_account(i)).token

        return call, None
    if name == "httpx-async":
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = httpx.AsyncClient(limits=limits)

        async def call(i: str) -> str:
            r = await client.post(endpoint, json={"linked_account_id": i}, headers=headers)
            r.raise_for_status()
            return r.json()["token"]

        return call, client.aclose
    if name == "aiohttp":
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

        async def call(i: str) -> str:
            async with session.post(endpoint, json={"linked_account_id": i}, headers=headers) as r:
                r.raise_for_status()
                return (await r.json())["token"]

        return call, session.close
    raise SystemExit(f"unknown async client {name}")


def run_sync(call, id_list, count: int, concurrency: int, latencies):
    """``count`` calls by ``concurrency`` threads; call i uses ``id_list[i % len(id_list)]``."""
    counter = itertools.count()
    n_ids = len(id_list)
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            i = next(counter)
            if i >= count:
                return
            t0 = time.perf_counter()
            try:
                token = call(id_list[i % n_ids])
                ok = isinstance(token, str) and token != ""
            except Exception as exc:  # noqa: BLE001 - counted and reported
                ok = False
                if errors[0] < 3:
                    print(f"request failed: {exc!r}", file=sys.stderr)
            if latencies is not None:
                latencies[i] = time.perf_counter() - t0
            if not ok:
                with lock:
                    errors[0] += 1

    if concurrency <= 1:
        worker()
    else:
        threads = [threading.Thread(target=worker) for _ in range(min(concurrency, count))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return errors[0]


async def run_async(call, id_list, count: int, concurrency: int, latencies):
    counter = itertools.count()
    n_ids = len(id_list)
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while True:
            i = next(counter)
            if i >= count:
                return
            t0 = time.perf_counter()
            try:
                token = await call(id_list[i % n_ids])
                ok = isinstance(token, str) and token != ""
            except Exception as exc:  # noqa: BLE001 - counted and reported
                ok = False
                if errors < 3:
                    print(f"request failed: {exc!r}", file=sys.stderr)
            if latencies is not None:
                latencies[i] = time.perf_counter() - t0
            if not ok:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    return errors


def percentile(sorted_values, p: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(0, -(-int(p * len(sorted_values)) // 100) - 1)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--prefix", default="py")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--encryption-key", default="")
    parser.add_argument("--key-prefix", default="bench:")
    parser.add_argument("--value-bytes", type=int, default=0)
    args = parser.parse_args()
    if "otel" not in args.client:
        # Our clients without the extra: `import opentelemetry` fails (ImportError).
        sys.modules["opentelemetry"] = None  # type: ignore[assignment]

    latencies = [0.0] * args.n
    setup = time.perf_counter()
    if args.client in SYNC:
        bench = make_sync_bench(args)
        setup_s = time.perf_counter() - setup
        if args.warmup and bench.warm_ids:
            run_sync(bench.call, bench.warm_ids, args.warmup, args.concurrency, None)
        before = bench.stats() if bench.stats else None
        t0 = time.perf_counter()
        errors = run_sync(bench.call, bench.timed_ids, args.n, args.concurrency, latencies)
        seconds = time.perf_counter() - t0
        after = bench.stats() if bench.stats else None
        if bench.close is not None:
            bench.close()
    elif args.client in ASYNC:

        async def go():
            bench = await make_async_bench(args)
            setup_s = time.perf_counter() - setup
            if args.warmup and bench.warm_ids:
                await run_async(bench.call, bench.warm_ids, args.warmup, args.concurrency, None)
            before = await bench.stats() if bench.stats else None
            t0 = time.perf_counter()
            errors = await run_async(bench.call, bench.timed_ids, args.n, args.concurrency, latencies)
            seconds = time.perf_counter() - t0
            after = await bench.stats() if bench.stats else None
            if bench.close is not None:
                await bench.close()
            return errors, seconds, setup_s, before, after

        errors, seconds, setup_s, before, after = asyncio.run(go())
    else:
        raise SystemExit(f"unknown client {args.client}")

    latencies.sort()
    result = {
        "client": args.client,
        "n": args.n,
        "concurrency": args.concurrency,
        "seconds": seconds,
        "rps": args.n / seconds,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": errors,
        "setup_s": setup_s,
        "stats": stats_delta(before, after),
        "runtime": f"{platform.python_implementation()} {platform.python_version()}",
    }
    if args.client.startswith("redis-py"):
        import redis.utils

        result["runtime"] += f", redis-py {redis.__version__}, hiredis {redis.utils.HIREDIS_AVAILABLE}"
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
