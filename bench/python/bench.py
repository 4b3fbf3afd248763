"""One Python client of the refold-session benchmark (bench/README.md).

    python bench.py --client NAME --url URL --key KEY --n N --concurrency C [--warmup W] [--prefix P]

NAME: ours-sync, ours-async, requests, httpx-sync, httpx-async, aiohttp.
Each call POSTs the session-token request with a distinct linked_account_id, parses the JSON and
returns the token. Sync clients run C threads (a thread pool), async clients C tasks on one
asyncio loop. Prints one line: BENCH_JSON {...} (read by bench/run.py).
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

SYNC = {"ours-sync", "requests", "httpx-sync"}
ASYNC = {"ours-async", "httpx-async", "aiohttp"}


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


async def make_async(name: str, url: str, key: str, concurrency: int):
    endpoint = url + SESSION_PATH
    headers = {"x-api-key": key, "accept": "application/json"}
    if name == "ours-async":
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


def run_sync(call, prefix: str, count: int, concurrency: int, latencies):
    counter = itertools.count()
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        while True:
            i = next(counter)
            if i >= count:
                return
            t0 = time.perf_counter()
            try:
                token = call(f"{prefix}-{i}")
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


async def run_async(call, prefix: str, count: int, concurrency: int, latencies):
    counter = itertools.count()
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while True:
            i = next(counter)
            if i >= count:
                return
            t0 = time.perf_counter()
            try:
                token = await call(f"{prefix}-{i}")
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
    args = parser.parse_args()

    latencies = [0.0] * args.n
    if args.client in SYNC:
        call = make_sync(args.client, args.url, args.key, args.concurrency)
        if args.warmup:
            run_sync(call, args.prefix + "-w", args.warmup, args.concurrency, None)
        t0 = time.perf_counter()
        errors = run_sync(call, args.prefix, args.n, args.concurrency, latencies)
        seconds = time.perf_counter() - t0
    elif args.client in ASYNC:

        async def go():
            call, close = await make_async(args.client, args.url, args.key, args.concurrency)
            if args.warmup:
                await run_async(call, args.prefix + "-w", args.warmup, args.concurrency, None)
            t0 = time.perf_counter()
            errors = await run_async(call, args.prefix, args.n, args.concurrency, latencies)
            seconds = time.perf_counter() - t0
            if close is not None:
                await close()
            return errors, seconds

        errors, seconds = asyncio.run(go())
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
        "runtime": f"{platform.python_implementation()} {platform.python_version()}",
    }
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
