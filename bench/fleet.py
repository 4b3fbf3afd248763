#!/usr/bin/env python3
"""`make bench-fleet`: a cold fleet against Refold's rate limit (issue #24). Standard library only.

For each fleet size (processes of the Rust fleet worker, core/examples/fleet_worker.rs, sharing
one Redis) and each number of accounts N, every process asks for its share of N tokens at the
same instant against an emulator enforcing the limit; the clients' budgets are configured with
the same limit (REFOLD_RATE_LIMIT). Refold's 20/s with bursts of 5 is scaled up with the ratio
kept (--scale 10: 200/s with bursts of 50), so N = 10,000 takes 50 s instead of 500 s.

Reports, per run: time to all tokens against the theoretical N / limit, 429s on the wire,
errors, and the median and 99th percentile of the callers' waits (each call's time to its
token). Writes bench/results/<tag>.{json,md,svg}.

    fleet.py --refold target/debug/refold --worker target/debug/examples/fleet_worker \
        [--sizes 1,4,16] [--accounts 1000,10000] [--scale 10] [--tag fleet]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

API_KEY = "sk_bench_fleet"
ENCRYPTION_KEY = base64.b64encode(bytes(range(32))).decode()
REFOLD_RATE, REFOLD_BURST = 20, 5
RESULTS = Path(__file__).resolve().parent / "results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tempfile.mkdtemp(prefix="refold-bench-fleet-")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"redis://127.0.0.1:{port}"
        except OSError:
            if time.time() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)


def flush_redis(url: str) -> None:
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), 5) as conn:
        conn.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
        conn.recv(64)


class Emulator:
    def __init__(self, refold: str, limit: str) -> None:
        self.proc = subprocess.Popen(
            [refold, "emulator", "--addr", "127.0.0.1:0", "--api-key", API_KEY,
             "--any-linked-account", "--rate-limit", limit], stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        assert line.startswith("listening on "), line
        self.url = line.removeprefix("listening on ")

    def call(self, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def percentile(sorted_values: list[float], p: int) -> float:
    if not sorted_values:
        return 0.0
    rank = max(0, -(-p * len(sorted_values) // 100) - 1)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def run(worker: str, emulator: Emulator, redis: str, processes: int, accounts: int,
        rate: int, limit: str, tag: str) -> dict[str, Any]:
    flush_redis(redis)
    emulator.call("/__emulator/reset", {})
    ideal = accounts / rate
    env = dict(os.environ)
    for name in ["REFOLD_ENVIRONMENT", "COBALT_API_KEY"]:
        env.pop(name, None)
    env.update(REFOLD_API_KEY=API_KEY, REFOLD_BASE_URL=emulator.url,
               REFOLD_CACHE_REDIS_URL=redis, REFOLD_CACHE_ENCRYPTION_KEY=ENCRYPTION_KEY,
               REFOLD_RATE_LIMIT=limit)
    # Every process starts its calls at the same instant, once all have started.
    start_at_ms = int((time.time() + 2 + 0.1 * processes) * 1000)
    share = [accounts // processes + (1 if i < accounts % processes else 0)
             for i in range(processes)]
    procs = []
    for index, count in enumerate(share):
        plan = {"accounts": [f"{tag}-{processes}-{index}-{n}" for n in range(count)],
                "rounds": 1, "timeout_s": 2 * ideal + 30, "start_at_unix_ms": start_at_ms,
                "report_latencies": True}
        proc = subprocess.Popen([worker], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(plan).encode())
        proc.stdin.close()
        proc.stdin = None
        procs.append(proc)
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=4 * ideal + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"a worker exited {proc.returncode}: {err.decode()[-2000:]}")
        line = [text for text in out.decode().splitlines() if text.startswith("{")][-1]
        results.append(json.loads(line))
    log = emulator.call("/__emulator/requests")
    latencies = sorted(ms for result in results for ms in result["latencies_ms"])
    finished = max(result["finished_unix_ms"] for result in results)
    took = (finished - start_at_ms) / 1000
    errors = sum(len(result["errors"]) for result in results)
    tokens = sum(len(result["tokens"]) for result in results)
    return {
        "processes": processes,
        "accounts": accounts,
        "limit": limit,
        "ideal_s": round(ideal, 3),
        "took_s": round(took, 3),
        "ratio": round(took / ideal, 3),
        "tokens": tokens,
        "errors": errors,
        "wire_429s": log["rate_limited"],
        "wire_admitted": log["admitted"],
        "wait_p50_ms": percentile(latencies, 50),
        "wait_p99_ms": percentile(latencies, 99),
        "client_429s": sum(result["stats"]["rate_limit_429s"] for result in results),
        "refused_locally": sum(result["stats"]["rate_limit_refused"] for result in results),
    }


def markdown(rows: list[dict[str, Any]], limit: str, scale: int) -> str:
    lines = [
        f"# Fleet against the rate limit ({limit}: Refold's {REFOLD_RATE}/s with bursts of "
        f"{REFOLD_BURST}, x{scale})",
        "",
        "Time to all tokens from the instant every process starts its calls, against N / limit;",
        "429s as the emulator counted them; waits are each call's time to its token.",
        "",
        "| processes | N | N / limit | time to all tokens | ratio | 429s on the wire | errors "
        "| wait p50 | wait p99 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['processes']} | {row['accounts']:,} | {row['ideal_s']:.2f} s "
            f"| {row['took_s']:.2f} s | {row['ratio']:.3f} | {row['wire_429s']} "
            f"| {row['errors']} | {row['wait_p50_ms'] / 1000:.2f} s "
            f"| {row['wait_p99_ms'] / 1000:.2f} s |")
    return "\n".join(lines) + "\n"


def svg(rows: list[dict[str, Any]], limit: str) -> str:
    """Grouped bars: time to all tokens / (N / limit) per fleet size, one group per N."""
    width, height, left, bottom, top = 640, 360, 60, 50, 40
    plot_h = height - bottom - top
    top_ratio = max(1.3, max(row["ratio"] for row in rows) * 1.1)
    groups: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["accounts"], []).append(row)
    group_w = (width - left - 20) / max(1, len(groups))
    colours = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"]

    def y(ratio: float) -> float:
        return top + plot_h * (1 - ratio / top_ratio)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">Time to all tokens '
        f'/ (N / limit), {limit}; labels: 429s on the wire</text>',
    ]
    for mark, dash in [(1.0, ""), (1.1, ' stroke-dasharray="4 3"')]:
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(mark):.1f}" '
                     f'y2="{y(mark):.1f}" stroke="#888"{dash}/>')
        parts.append(f'<text x="{left - 6}" y="{y(mark) + 4:.1f}" text-anchor="end">'
                     f'{mark:.1f}</text>')
    for g, (accounts, members) in enumerate(sorted(groups.items())):
        x0 = left + g * group_w + group_w * 0.1
        bar_w = group_w * 0.8 / max(1, len(members))
        for i, row in enumerate(members):
            x = x0 + i * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{y(row["ratio"]):.1f}" width="{bar_w - 4:.1f}" '
                         f'height="{y(0) - y(row["ratio"]):.1f}" '
                         f'fill="{colours[i % len(colours)]}"/>')
            parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{y(row["ratio"]) - 4:.1f}" '
                         f'text-anchor="middle">{row["ratio"]:.3f} ({row["wire_429s"]})</text>')
            parts.append(f'<text x="{x + (bar_w - 4) / 2:.1f}" y="{y(0) + 14:.1f}" '
                         f'text-anchor="middle">{row["processes"]} proc</text>')
        parts.append(f'<text x="{x0 + group_w * 0.4:.1f}" y="{y(0) + 32:.1f}" '
                     f'text-anchor="middle">N = {accounts:,}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 f'stroke="black"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refold", required=True)
    parser.add_argument("--worker", required=True)
    parser.add_argument("--sizes", default="1,4,16")
    parser.add_argument("--accounts", default="1000,10000")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--tag", default="fleet")
    args = parser.parse_args()
    rate, burst = REFOLD_RATE * args.scale, REFOLD_BURST * args.scale
    limit = f"{rate}/s,{burst}"
    redis_proc, redis = start_redis()
    emulator = Emulator(args.refold, limit)
    rows = []
    try:
        for accounts in [int(n) for n in args.accounts.split(",")]:
            for processes in [int(n) for n in args.sizes.split(",")]:
                row = run(args.worker, emulator, redis, processes, accounts, rate, limit,
                          args.tag)
                rows.append(row)
                print(f"{processes:>3} processes, N = {accounts:>6}: {row['took_s']:.2f} s "
                      f"(N/limit {row['ideal_s']:.2f} s, ratio {row['ratio']:.3f}), "
                      f"{row['wire_429s']} 429s, {row['errors']} errors, wait p50 "
                      f"{row['wait_p50_ms']:.0f} ms p99 {row['wait_p99_ms']:.0f} ms", flush=True)
    finally:
        emulator.stop()
        redis_proc.kill()
        redis_proc.wait()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.tag}.json").write_text(json.dumps(
        {"limit": limit, "scale": args.scale, "rows": rows}, indent=2) + "\n")
    (RESULTS / f"{args.tag}.md").write_text(markdown(rows, limit, args.scale))
    (RESULTS / f"{args.tag}.svg").write_text(svg(rows, limit))
    print(f"wrote bench/results/{args.tag}.{{json,md,svg}}")
    bad = [row for row in rows if row["wire_429s"] or row["errors"] or row["ratio"] > 1.1]
    for row in bad:
        print(f"over the target: {row['processes']} processes, N = {row['accounts']}: ratio "
              f"{row['ratio']}, {row['wire_429s']} 429s, {row['errors']} errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
