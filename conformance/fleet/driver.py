#!/usr/bin/env python3
"""Fleet conformance driver (conformance/fleet/README.md): one redis-server, one emulator, a
worker process per language sharing the store. Standard library only.

    driver.py --refold target/debug/refold \
        --worker rust='target/debug/examples/fleet_worker' \
        --worker node='node bindings-node/test/fleet-worker.js' ...

Prints one line per check and ends with "N passed, N failed"; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

API_KEY = "sk_fleet_DISTINCTIVE_c0de"
ENCRYPTION_KEY = base64.b64encode(bytes(range(32))).decode()
OTHER_KEY = base64.b64encode(bytes(range(32, 64))).decode()
# Per worker: a cold process, the store, 400 calls on a 2-core machine (debug builds).
WORKER_DEADLINE_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="refold-fleet-redis-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def command(self, *args: str | bytes) -> Any:
        """One command over RESP (binary safe): bytes, int, None or a list."""
        with socket.create_connection(("127.0.0.1", self.port), 5) as conn:
            parts = [a.encode() if isinstance(a, str) else a for a in args]
            conn.sendall(b"*%d\r\n" % len(parts)
                         + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            reader = conn.makefile("rb")
            return self._reply(reader)

    def _reply(self, reader: Any) -> Any:
        line = reader.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data: bytes = reader.read(size + 2)[:-2]
            return data
        if kind == b"*":
            return [self._reply(reader) for _ in range(int(rest))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def dump(self) -> dict[str, bytes]:
        keys = [k.decode() for k in self.command("KEYS", "*")]
        return {key: self.command("GET", key) or b"" for key in keys}

    def flush(self) -> None:
        self.command("FLUSHALL")


class Emulator:
    def __init__(self, refold: str) -> None:
        self.proc = subprocess.Popen(
            # The rate limit (on by default) is off until a fleet case tests it.
            [refold, "emulator", "--addr", "127.0.0.1:0", "--api-key", API_KEY,
             "--any-linked-account", "--rate-limit", "off"], stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        assert line.startswith("listening on "), line
        self.url = line.removeprefix("listening on ")

    def post(self, path: str, body: Any) -> None:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"content-type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()

    def requests(self) -> int:
        return int(self.request_log()["count"])

    def request_log(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/__emulator/requests", timeout=10) as response:
            log: dict[str, Any] = json.load(response)
            return log

    def reset(self) -> None:
        self.post("/__emulator/reset", {})

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Fleet:
    def __init__(self, workers: dict[str, list[str]], emulator: Emulator, redis: Redis) -> None:
        self.workers = workers
        self.emulator = emulator
        self.redis = redis

    def env(self, key: str = ENCRYPTION_KEY) -> dict[str, str]:
        env = dict(os.environ)
        for name in ["REFOLD_ENVIRONMENT", "COBALT_API_KEY"]:
            env.pop(name, None)
        env.update(REFOLD_API_KEY=API_KEY, REFOLD_BASE_URL=self.emulator.url,
                   REFOLD_CACHE_REDIS_URL=self.redis.url, REFOLD_CACHE_ENCRYPTION_KEY=key)
        return env

    def start(self, language: str, accounts: list[str], rounds: int = 1,
              key: str = ENCRYPTION_KEY, rate_limit: str | None = None) -> subprocess.Popen[bytes]:
        env = self.env(key)
        if rate_limit is not None:
            env["REFOLD_RATE_LIMIT"] = rate_limit
        proc = subprocess.Popen(self.workers[language], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps({"accounts": accounts, "rounds": rounds}).encode())
        proc.stdin.close()
        proc.stdin = None  # already sent: communicate() only reads
        return proc

    @staticmethod
    def finish(language: str, proc: subprocess.Popen[bytes]) -> dict[str, Any]:
        try:
            out, err = proc.communicate(timeout=WORKER_DEADLINE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"{language} worker did not finish in {WORKER_DEADLINE_S} s")
        if proc.returncode != 0:
            raise AssertionError(f"{language} worker exited {proc.returncode}: {err.decode()[-2000:]}")
        lines = [line for line in out.decode().splitlines() if line.startswith("{")]
        assert lines, f"{language} worker printed no JSON: {out.decode()[-500:]}"
        result: dict[str, Any] = json.loads(lines[-1])
        return result

    def run(self, language: str, accounts: list[str], rounds: int = 1,
            key: str = ENCRYPTION_KEY) -> dict[str, Any]:
        return self.finish(language, self.start(language, accounts, rounds, key))


def check_fleet(fleet: Fleet, state: dict[str, Any]) -> None:
    accounts = [f"fleet-user-{i}" for i in range(200)]
    procs = {language: fleet.start(language, accounts, rounds=2) for language in fleet.workers}
    results = {language: fleet.finish(language, proc) for language, proc in procs.items()}
    for language, result in results.items():
        assert not result["errors"], f"{language}: {result['errors']}"
        assert sorted(result["tokens"]) == sorted(accounts), f"{language} missed accounts"
    requests = fleet.emulator.requests()
    stats = {language: result["stats"] for language, result in results.items()}
    print(f"  {len(fleet.workers)} workers x 200 accounts x 2 rounds: {requests} requests at the "
          f"emulator; store hits {({k: v['store_hits'] for k, v in stats.items()})}")
    assert requests == 200, f"{requests} requests, expected exactly 200"
    for account in accounts:
        seen = {results[language]["tokens"][account] for language in results}
        assert len(seen) == 1, f"{account}: {len(seen)} different tokens"
    state["tokens"] = {token for result in results.values() for token in result["tokens"].values()}


def check_nothing_readable(fleet: Fleet, state: dict[str, Any]) -> None:
    dump = fleet.redis.dump()
    assert len(dump) >= 200, f"only {len(dump)} keys"
    for name, value in dump.items():
        text = value.decode("latin-1")
        for secret in ["fleet-user", API_KEY, "eyJ"]:
            assert secret not in name and secret not in text, f"{secret!r} readable in Redis"
        for token in state.get("tokens", ()):
            assert token not in text
    print(f"  {len(dump)} keys scanned: no token, account id or API key in any name or value")


def check_shared_hit(fleet: Fleet, state: dict[str, Any]) -> None:
    for writer in fleet.workers:
        account = f"shared-by-{writer}"
        minted = fleet.run(writer, [account])["tokens"][account]
        before = fleet.emulator.requests()
        for reader in fleet.workers:
            if reader == writer:
                continue
            result = fleet.run(reader, [account])
            assert result["tokens"][account] == minted, f"{reader} read another token"
            assert result["stats"]["store_hits"] == 1, f"{reader}: {result['stats']}"
        assert fleet.emulator.requests() == before, "a reader minted"


def check_tampered(fleet: Fleet, state: dict[str, Any]) -> None:
    fleet.redis.flush()
    victim, source = "tamper-victim", "tamper-source"
    first = next(iter(fleet.workers))
    fleet.run(first, [victim, source])
    names = [k for k in fleet.redis.dump() if ":t:" in k]
    assert len(names) == 2, names
    # Copy one value over the other's key: now exactly one of the two decrypts.
    def spoil() -> None:
        fleet.redis.command("SET", names[1], fleet.redis.command("GET", names[0]))

    spoil()
    for language in fleet.workers:
        before = fleet.emulator.requests()
        result = fleet.run(language, [victim, source])
        assert not result["errors"], result["errors"]
        minted = fleet.emulator.requests() - before
        assert minted == 1, f"{language}: {minted} mints for one tampered value"
        spoil()  # the mint rewrote the spoiled key: spoil it again for the next language


def check_foreign_key(fleet: Fleet, state: dict[str, Any]) -> None:
    first = next(iter(fleet.workers))
    for language in fleet.workers:
        account = f"foreign-{language}"
        fleet.run(first, [account])
        before = fleet.emulator.requests()
        result = fleet.run(language, [account], key=OTHER_KEY)
        assert result["stats"]["store_hits"] == 0, f"{language}: {result['stats']}"
        after = fleet.emulator.requests()
        assert after == before + 1, f"{language}: {after - before} mints, expected 1"


def check_redis_down(fleet: Fleet, state: dict[str, Any]) -> None:
    fleet.redis.stop()
    try:
        for language in fleet.workers:
            accounts = [f"down-{language}-{i}" for i in range(5)]
            result = fleet.run(language, accounts)
            assert not result["errors"], f"{language}: {result['errors']}"
            assert len(result["tokens"]) == 5
            assert result["stats"]["store_errors"] >= 1, f"{language}: {result['stats']}"
    finally:
        fleet.redis.start()


def check_holder_killed(fleet: Fleet, state: dict[str, Any]) -> None:
    languages = list(fleet.workers)
    for index, holder in enumerate(languages):
        waiter = languages[(index + 1) % len(languages)]
        account = f"killed-{holder}"
        fleet.emulator.post("/__emulator/faults", [{"kind": "delay", "ms": 60000}])
        sent_before = fleet.emulator.requests()
        proc = fleet.start(holder, [account])
        # Wait until it holds the lock (a lock key appears) and its mint has reached the
        # emulator (which took the delay then: killed earlier, the delay would be the waiter's),
        # then kill it.
        deadline = time.time() + 30
        while not (any(":l:" in k for k in fleet.redis.dump())
                   and fleet.emulator.requests() > sent_before):
            assert time.time() < deadline, f"{holder} never took the lock and sent its mint"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        started = time.time()
        result = fleet.run(waiter, [account])
        waited = time.time() - started
        assert account in result["tokens"], result
        # Lock time = the 5 s timeout; plus one mint and a cold process.
        assert waited < 5 + 10, f"{waiter} waited {waited:.1f} s"
        print(f"  {holder} killed holding the lock: {waiter} got the token after {waited:.1f} s")
        fleet.emulator.reset()


# Refold's 20/s with bursts of 5, scaled up with the ratio kept so the check stays short.
SCALED_RATE_LIMIT = "100/s,25"


def check_rate_limit(fleet: Fleet, state: dict[str, Any]) -> None:
    """A cold fleet, one process per language, shares one budget through Redis: every token,
    and not one 429 on the wire."""
    fleet.redis.flush()
    fleet.emulator.post("/__emulator/config", {"rate_limit": SCALED_RATE_LIMIT})
    try:
        each = 400 // len(fleet.workers)
        started = time.time()
        procs = {language: fleet.start(language, [f"rl-{language}-{i}" for i in range(each)],
                                       rate_limit=SCALED_RATE_LIMIT)
                 for language in fleet.workers}
        results = {language: fleet.finish(language, proc) for language, proc in procs.items()}
        took = time.time() - started
        log = fleet.emulator.request_log()
    finally:
        fleet.emulator.post("/__emulator/config", {"rate_limit": None})
    for language, result in results.items():
        assert not result["errors"], (f"{language}: {len(result['errors'])} errors "
                                      f"{sorted(set(result['errors'].values()))}, "
                                      f"{log['rate_limited']} 429s on the wire; {result['stats']}")
        assert len(result["tokens"]) == each, f"{language} missed accounts"
    total = each * len(fleet.workers)
    print(f"  {len(fleet.workers)} processes x {each} accounts at {SCALED_RATE_LIMIT}: "
          f"{log['admitted']} admitted, {log['rate_limited']} answered 429, {took:.1f} s "
          f"(the limit's pace: {total / 100:.1f} s, plus each process's start)")
    assert log["rate_limited"] == 0, f"{log['rate_limited']} 429s on the wire"
    assert log["admitted"] == total, f"{log['admitted']} requests, expected {total}"


CHECKS = [check_fleet, check_nothing_readable, check_shared_hit, check_tampered,
          check_foreign_key, check_redis_down, check_holder_killed, check_rate_limit]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refold", required=True)
    parser.add_argument("--worker", action="append", default=[],
                        help="LANGUAGE=COMMAND (the command is split like a shell would)")
    args = parser.parse_args()
    workers = {}
    for spec in args.worker:
        language, _, command = spec.partition("=")
        workers[language] = shlex.split(command)
    redis = Redis()
    emulator = Emulator(args.refold)
    fleet = Fleet(workers, emulator, redis)
    state: dict[str, Any] = {}
    passed = failed = 0
    try:
        for check in CHECKS:
            name = check.__name__.removeprefix("check_")
            started = time.time()
            try:
                check(fleet, state)
                passed += 1
                print(f"ok   {name} ({time.time() - started:.1f} s)")
            except AssertionError as error:
                failed += 1
                print(f"FAIL {name}: {error}")
            emulator.reset()
    finally:
        emulator.stop()
        redis.stop()
    print(f"fleet: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
