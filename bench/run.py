"""The refold-session benchmark driver (bench/README.md). Run by `make bench` after prepare.sh.

    bench/.venv/bin/python bench/run.py [--n 20000] [--concurrency 1,64] [--warmup W]
                                        [--only NAME,...] [--out bench/results] [--tag latest]
                                        [--hit-n H] [--hit-accounts K] [--fleet-accounts F]

Starts the release emulator on a free loopback port (and, for the fleet-store clients, a
redis-server), runs every client (one process per client and concurrency, so peak RSS is the
client's own), and writes <out>/<tag>.json, .md and .png.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = BENCH / ".build"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
REL = TARGET / "release"
VENV_PY = BENCH / ".venv" / "bin" / "python"
NODE_PKG = BUILD / "node-pkg"
KT_JAR = BUILD / "refold-session-release.jar"
API_KEY = "bench-key"
RUN_TIMEOUT_S = 900
# The fleet store's key (bench only: 32 fixed bytes) and the prefix of its Redis keys.
ENCRYPTION_KEY = base64.b64encode(bytes(range(100, 132))).decode()
KEY_PREFIX = "bench:"
# Store value = version byte + 12-byte nonce + AES-GCM(8-byte expiry + token) + 16-byte tag.
STORE_VALUE_OVERHEAD = 1 + 12 + 8 + 16
FLEET_ROUNDS = 2
FLEET_CONCURRENCY = 64

# (language, client, kind, description); kind: "limit", "ours" or "peer" (the session-token
# request, the main tables), "hit" (a session-cache hit), "store" (a fleet-store hit: in-process
# miss, Redis hit), "redis" (a raw Redis GET: the store's peers).
CLIENTS = [
    ("limit", "wrk", "limit", "wrk (Debian) + Lua script: the same POST, no JSON parsing"),
    ("rust", "refold-session", "ours", "the core's Client directly, C tasks on tokio multi-thread"),
    ("node", "ours", "ours", "require('refold-session'), await getTokenForLinkedAccount"),
    ("node", "undici", "peer", "undici request() + body.json()"),
    ("node", "fetch", "peer", "built-in fetch + res.json()"),
    ("node", "axios", "peer", "axios.post(url, body, {headers}) as @cobaltio/cobalt does"),
    ("node", "ours-otel-api", "ours", "ours with @opentelemetry/api installed, no SDK registered"),
    ("node", "ours-otel-sdk", "ours", "ours + OpenTelemetry SDK (tracer and meter providers), no-op exporters"),
    ("python", "ours-sync", "ours", "Refold().get_token_for_linked_account in C threads"),
    ("python", "ours-async", "ours", "AsyncRefold, C asyncio tasks"),
    ("python", "ours-async-otel-api", "ours", "ours-async with opentelemetry-api installed, no SDK"),
    ("python", "ours-async-otel-sdk", "ours", "ours-async + OpenTelemetry SDK, exporters that drop all"),
    ("python", "requests", "peer", "requests.Session (pool_maxsize=C) in C threads"),
    ("python", "httpx-sync", "peer", "httpx.Client (keep-alive C) in C threads"),
    ("python", "httpx-async", "peer", "httpx.AsyncClient (keep-alive C), C tasks"),
    ("python", "aiohttp", "peer", "aiohttp.ClientSession (limit C), C tasks"),
    ("jvm", "ours-coroutines", "ours", "suspend getTokenForLinkedAccount, C coroutines"),
    ("jvm", "ours-blocking", "ours", "getTokenForLinkedAccountBlocking in C threads"),
    ("jvm", "ours-otel-api-coroutines", "ours", "ours-coroutines, OpenTelemetry API on the classpath, no SDK"),
    ("jvm", "ours-otel-sdk-coroutines", "ours", "ours-coroutines, OpenTelemetry SDK registered, no-op exporters"),
    ("jvm", "okhttp", "peer", "OkHttp 5 execute() + Jackson, C threads, pool of C"),
    ("jvm", "jdk-httpclient", "peer", "java.net.http.HttpClient (HTTP/1.1) send() + Jackson, C threads"),
    # Session cache: every timed call is a hit (K accounts minted first).
    ("rust", "cache-hit", "hit", "Client with cache on, C tokio tasks"),
    ("node", "cache-hit", "hit", "new Refold({cache: true}), C async loops"),
    ("python", "cache-hit-sync", "hit", "Refold(cache=True) in C threads"),
    ("python", "cache-hit-async", "hit", "AsyncRefold(cache=True), C asyncio tasks"),
    ("jvm", "cache-hit-blocking", "hit", "RefoldClient(cache = CacheOptions()), blocking, C threads"),
    ("jvm", "cache-hit-coroutines", "hit", "RefoldClient(cache = CacheOptions()), suspend, C coroutines"),
    # Fleet store: every timed call is an in-process miss answered by Redis, beside a raw GET.
    ("rust", "store-hit", "store", "cache + store, fresh client, Redis warm; C tokio tasks"),
    ("rust", "redis-rs", "redis", "redis-rs 1.2.2 MultiplexedConnection GET, C tokio tasks"),
    ("node", "store-hit", "store", "cache: {store}, fresh client, Redis warm; C async loops"),
    ("node", "ioredis", "redis", "ioredis getBuffer (one auto-pipelined connection), C async loops"),
    ("node", "node-redis", "redis", "redis (node-redis) GET as Buffer (one connection), C async loops"),
    ("python", "store-hit-sync", "store", "Refold(cache={store}), fresh client, Redis warm; C threads"),
    ("python", "store-hit-async", "store", "AsyncRefold(cache={store}), fresh client, Redis warm; C tasks"),
    ("python", "redis-py-sync", "redis", "redis.Redis (hiredis parser, pool) GET, C threads"),
    ("python", "redis-py-async", "redis", "redis.asyncio.Redis (hiredis parser, pool) GET, C tasks"),
    ("jvm", "store-hit-blocking", "store", "CacheOptions(store = StoreOptions(...)), fresh client; C threads"),
    ("jvm", "store-hit-coroutines", "store", "CacheOptions(store = StoreOptions(...)), fresh client; C coroutines"),
    ("jvm", "lettuce-sync", "redis", "Lettuce sync GET on one shared connection, C threads"),
    ("jvm", "lettuce-async", "redis", "Lettuce async GET awaited, one shared connection, C coroutines"),
]
MAIN_KINDS = ("limit", "ours", "peer")
# The miss path of each cache-hit client: the same binding and calling style, cache off.
MISS_PATH = {
    ("rust", "cache-hit"): "refold-session",
    ("node", "cache-hit"): "ours",
    ("python", "cache-hit-sync"): "ours-sync",
    ("python", "cache-hit-async"): "ours-async",
    ("jvm", "cache-hit-blocking"): "ours-blocking",
    ("jvm", "cache-hit-coroutines"): "ours-coroutines",
}
# The raw GET a store hit is compared with: the fastest of the language's Redis clients, in the
# same calling style where the language has two (a thread-pool service would use redis-py's sync
# client, an asyncio one redis.asyncio).
RAW_GET_PEERS = {
    ("python", "store-hit-sync"): ["redis-py-sync"],
    ("python", "store-hit-async"): ["redis-py-async"],
    ("jvm", "store-hit-blocking"): ["lettuce-sync"],
    ("jvm", "store-hit-coroutines"): ["lettuce-async"],
}
# The issue's targets for a hit: p50 at concurrency 1 (µs); rate ≥ 20× the miss path's for
# Node and Python. A store hit: p50 ≤ 1.5× the language's best raw GET.
HIT_P50_TARGET_US = {"rust": 1.0, "node": 1.0, "python": 1.0, "jvm": 1.0}
HIT_RATE_TARGET = {"node": 20.0, "python": 20.0}
STORE_P50_TARGET = 1.5
# Clients that need our binding (skipped with its reason when it was not built).
OURS_PREFIXES = ("ours", "cache-hit", "store-hit", "fleet", "refold-session")
LANG_TITLES = {"limit": "load generator", "rust": "Rust", "node": "Node", "python": "Python", "jvm": "JVM"}


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def skip_reason(lang: str) -> str | None:
    f = BUILD / f"skip-{lang}.txt"
    return f.read_text().strip() if f.exists() else None


def command_for(lang: str, client: str, url: str, n: int, c: int, warmup: int, prefix: str,
                extra=()):
    common = ["--url", url, "--key", API_KEY, "--n", str(n), "--concurrency", str(c),
              "--warmup", str(warmup), "--prefix", prefix, *extra]
    env = dict(os.environ)
    ours = client.startswith(OURS_PREFIXES)
    # Our clients pace themselves under Refold's 20 requests/s by default (contract §16): the
    # benchmark measures the clients, so the budget is off as the emulator's limit is.
    env["REFOLD_RATE_LIMIT"] = "off"
    if lang == "rust":
        exe = REL / "refold-bench-rust"
        if not exe.exists():
            return None, f"{exe} is missing (prepare.sh builds it)", env
        kind = "ours" if client == "refold-session" else client
        return [str(exe), "--client", kind, *common], None, env
    if lang == "node":
        if ours:
            if not NODE_PKG.exists():
                return None, skip_reason("node") or "bindings-node was not staged", env
            env["REFOLD_BINDINGS_NODE"] = str(NODE_PKG)
        if client.startswith("ours-otel"):
            # Where the staged package finds @opentelemetry/api (its optional peer dependency).
            env["NODE_PATH"] = str(BENCH / "node" / "node_modules")
        return ["node", str(BENCH / "node" / "bench.js"), "--client", client, *common], None, env
    if lang == "python":
        if ours:
            reason = skip_reason("python")
            if reason:
                return None, reason, env
        return [str(VENV_PY), str(BENCH / "python" / "bench.py"), "--client", client, *common], None, env
    if lang == "jvm":
        cp = [str(BENCH / "jvm" / "target" / "classes"), str(BENCH / "jvm" / "target" / "lib" / "*")]
        if ours:
            reason = skip_reason("jvm")
            if reason or not KT_JAR.exists():
                return None, reason or f"{KT_JAR} is missing", env
            if client.startswith(("store-hit", "fleet")) and not (
                    BENCH / "jvm" / "target" / "classes" / "bench" / "OursStore.class").exists():
                return None, (skip_reason("jvm-store") or
                              "the binding's jar has no StoreOptions (bench/jvm compiled without src/store)"), env
            cp.append(str(KT_JAR))
            if client.startswith("ours-otel"):
                cp.append(str(BENCH / "jvm" / "target" / "otel-lib" / "*"))
        return ["java", "-cp", ":".join(cp), "bench.MainKt", "--client", client, *common], None, env
    raise ValueError(lang)


class Measured(subprocess.Popen):
    """Popen that keeps the child's rusage (os.wait4) when it is reaped."""

    rusage = None

    def _try_wait(self, wait_flags):
        try:
            pid, sts, ru = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            pid, sts = self.pid, 0
            ru = None
        if pid == self.pid and ru is not None:
            self.rusage = ru
        return pid, sts


def measure(cmd, env, timeout=RUN_TIMEOUT_S, watch=None):
    """Runs cmd to completion; `watch` (bench/scale.py's samplers) is started with the child's
    pid and stopped when it has exited."""
    t0 = time.perf_counter()
    proc = Measured(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                    start_new_session=True)
    if watch is not None:
        watch.start(proc.pid)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        err += f"\n(killed after {timeout} s)"
    finally:
        if watch is not None:
            watch.stop()
    wall = time.perf_counter() - t0
    ru = proc.rusage
    rss_mib = ru.ru_maxrss / 1024 if ru else None
    cpu_s = (ru.ru_utime + ru.ru_stime) if ru else None
    return out, err, proc.returncode, rss_mib, cpu_s, wall


def parse_bench_json(out: str):
    for line in out.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON "):])
    return None


def run_wrk(url: str, n: int, c: int, warmup: int, watch=None):
    """wrk runs for a duration, not a count: a short run at the same concurrency warms up and
    measures the rate, then the main run lasts about N requests' worth (2 s at least)."""
    if not shutil.which("wrk"):
        return {"skipped": skip_reason("limit") or "wrk is not installed"}
    threads = str(min(2, c))
    base = ["wrk", "-t", threads, "-c", str(c), "-s", str(BENCH / "wrk" / "session.lua"),
            "-H", f"x-api-key: {API_KEY}", "--timeout", "10s"]
    env = dict(os.environ, BENCH_PREFIX=f"wrk-c{c}-w")
    out, err, rc, _, _, _ = measure([*base, "-d", "1s", url], env)
    probe = parse_bench_json(out)
    warmup_requests = probe["requests"] if probe else 0
    rate = probe["requests"] / (probe["duration_us"] / 1e6) if probe and probe["requests"] else 1000
    seconds = max(2, min(120, round(n / rate)))
    env["BENCH_PREFIX"] = f"wrk-c{c}"
    out, err, rc, rss, cpu, wall = measure([*base, "-d", f"{seconds}s", url], env, watch=watch)
    data = parse_bench_json(out)
    if rc != 0 or not data:
        return {"error": f"wrk exited {rc}: {err.strip()[-300:]}"}
    dur = data["duration_us"] / 1e6
    errors = sum(data[k] for k in data if k.startswith("errors_")) + data["non2xx"]
    return {
        "n": data["requests"], "seconds": dur, "rps": data["requests"] / dur,
        "p50_ms": data["p50_us"] / 1000, "p99_ms": data["p99_us"] / 1000, "errors": errors,
        "rss_mib": rss, "cpu_s": cpu, "runtime": "wrk " + wrk_version(),
        "note": f"duration-based: {seconds} s after a 1 s warm-up", "warmup_requests": warmup_requests,
    }


def proc_cpu_s(pid: int) -> float:
    """User+system CPU seconds a process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_client(lang, client, url, n, c, warmup, emulator_pid, kind="ours", extra=(), watch=None):
    before = proc_cpu_s(emulator_pid)
    requests_before = emulator_requests(url)
    r = _run_client(lang, client, url, n, c, warmup, extra, watch)
    if "rps" in r:
        r["refold_requests"] = emulator_requests(url) - requests_before
        if kind in MAIN_KINDS:
            total = r["n"] + (warmup if lang != "limit" else r.get("warmup_requests", 0))
            r["server_cpu_us_per_req"] = (proc_cpu_s(emulator_pid) - before) / total * 1e6
    return r


def _run_client(lang, client, url, n, c, warmup, extra=(), watch=None):
    if lang == "limit":
        return run_wrk(url, n, c, warmup, watch)
    prefix = f"{lang}-{client}-c{c}"
    cmd, reason, env = command_for(lang, client, url, n, c, warmup, prefix, extra)
    if cmd is None:
        return {"skipped": reason}
    out, err, rc, rss, cpu, wall = measure(cmd, env, watch=watch)
    data = parse_bench_json(out)
    if rc != 0 or not data:
        return {"error": f"exit {rc}: {err.strip()[-400:]}"}
    data.pop("client", None)
    data.update(rss_mib=rss, cpu_s=cpu, wall_s=wall)
    if data.get("errors"):
        data["error_sample"] = err.strip()[-300:]
    return data


# --- start-up costs and sizes ------------------------------------------------------------------

def median_ms(cmd, env=None, repeat=9):
    samples = []
    for _ in range(repeat):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        if r.returncode != 0:
            return None, r.stderr.strip()[-300:]
        samples.append(float(r.stdout.strip().splitlines()[-1]))
    return statistics.median(samples), None


def startup_costs():
    res = {}
    node_snippet = ("const t=process.hrtime.bigint();require(process.argv[1]);"
                    "console.log(Number(process.hrtime.bigint()-t)/1e6)")
    node_mods = {"refold-session (ours)": str(NODE_PKG) if NODE_PKG.exists() else None,
                 "undici": str(BENCH / "node" / "node_modules" / "undici"),
                 "axios": str(BENCH / "node" / "node_modules" / "axios")}
    res["node_require_ms"] = {}
    for name, path in node_mods.items():
        if path is None:
            res["node_require_ms"][name] = {"skipped": skip_reason("node") or "not staged"}
            continue
        ms, err = median_ms(["node", "-e", node_snippet, path])
        res["node_require_ms"][name] = {"median_ms": ms} if err is None else {"error": err}
    py_snippet = ("import time,importlib,sys;t=time.perf_counter();importlib.import_module(sys.argv[1]);"
                  "print((time.perf_counter()-t)*1000)")
    res["python_import_ms"] = {}
    for mod in ["refold_session", "requests", "httpx", "aiohttp"]:
        if mod == "refold_session" and skip_reason("python"):
            res["python_import_ms"][mod] = {"skipped": skip_reason("python")}
            continue
        ms, err = median_ms([str(VENV_PY), "-c", py_snippet, mod])
        res["python_import_ms"][mod] = {"median_ms": ms} if err is None else {"error": err}
    sizes = {}
    node_file = NODE_PKG / "refold-session.linux-x64-gnu.node"
    if node_file.exists():
        sizes["node addon (.node, release, debug info stripped)"] = node_file.stat().st_size
    wheels = sorted((BUILD / "wheels").glob("refold_session-*.whl"))
    if wheels:
        sizes[f"python wheel ({wheels[-1].name})"] = wheels[-1].stat().st_size
    if KT_JAR.exists():
        sizes["jvm jar (with release native library)"] = KT_JAR.stat().st_size
    res["artifact_bytes"] = sizes
    return res


# --- machine and versions ------------------------------------------------------------------------

def debian_version(package: str) -> str:
    """The installed version of a Debian package the run uses (scripts/debian-packages.sh may have
    installed another than the pin, when Debian no longer served it)."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                             text=True).stdout.strip()
        return out or "?"
    except OSError:
        return "?"


def wrk_version() -> str:
    return debian_version("wrk")


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return None

    busy = busy_processes()
    commit = version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
        "loadavg_at_start": os.getloadavg(),
        "other_builds_running_at_start": busy,
        "builds_paused_at_start": busy_processes(stopped=True),
        "git_commit": commit,
        "versions": {
            "node": version(["node", "--version"]),
            "python": platform.python_version(),
            "java": version(["java", "-version"]),
            "rustc": version(["rustc", "--version"]),
            "wrk": wrk_version(),
            "redis-server": debian_version("redis-server"),
        },
    }


def busy_processes(stopped=False):
    """Build tools running on the machine (or, with stopped=True, paused ones: a build stopped
    with SIGSTOP for the length of a run takes no CPU and is recorded apart)."""
    names = re.compile(r"\b(cargo|rustc|mvn|maturin|napi|javac|kotlinc|cc1|ld)\b")
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if names.search(comm) and (state in "Tt") == stopped:
            found.append(comm)
    return sorted(set(found))


# --- emulator -------------------------------------------------------------------------------------

def start_emulator():
    exe = REL / "refold"
    if not exe.exists():
        raise SystemExit(f"{exe} is missing: run bench/prepare.sh (make bench does)")
    # The benchmarks measure clients, not Refold's rate limit (on by default in the emulator).
    proc = subprocess.Popen([str(exe), "emulator", "--addr", "127.0.0.1:0", "--any-linked-account",
                             "--api-key", API_KEY, "--rate-limit", "off"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL,
                            text=True)
    line = proc.stdout.readline()
    m = re.search(r"listening on (http://\S+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, m.group(1)


def emulator_requests(url: str) -> int:
    """Public-API requests the emulator has answered so far (its control plane)."""
    with urllib.request.urlopen(url + "/__emulator/requests", timeout=30) as response:
        return int(json.load(response)["count"])


def token_length(url: str) -> int:
    """The length of one session token of this emulator (the store's values are sized by it)."""
    request = urllib.request.Request(
        url + "/api/v2/public/session-token", method="POST",
        data=json.dumps({"linked_account_id": "bench-probe"}).encode(),
        headers={"x-api-key": API_KEY, "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return len(json.load(response)["token"])


# --- redis-server (the fleet store's clients) -------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server of its own on a free loopback port, no persistence; stopped by stop()."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            raise RuntimeError("redis-server is not installed (make redis-deps installs it)")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="refold-bench-redis-")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                self.command("PING")
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.05)
        self.version = self.info("redis_version")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def command(self, *args: str) -> bytes:
        """One command over RESP; returns the raw reply."""
        with socket.create_connection(("127.0.0.1", self.port), 5) as conn:
            parts = [a.encode() for a in args]
            conn.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            reply = b""
            conn.settimeout(5)
            while True:
                chunk = conn.recv(65536)
                reply += chunk
                if not chunk or self._complete(reply):
                    return reply

    @staticmethod
    def _complete(reply: bytes) -> bool:
        if reply[:1] in (b"+", b"-", b":"):
            return reply.endswith(b"\r\n")
        if reply[:1] == b"$":
            head, _, rest = reply.partition(b"\r\n")
            size = int(head[1:])
            return size < 0 or len(rest) >= size + 2
        return False

    def info(self, field: str) -> str:
        text = self.command("INFO", "server").decode(errors="replace")
        m = re.search(rf"^{field}:(\S+)", text, re.M)
        return m.group(1) if m else "?"

    def flush(self) -> None:
        self.command("FLUSHALL")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def store_args(redis: RedisServer, value_bytes: int, accounts: int) -> list[str]:
    return ["--redis-url", redis.url, "--encryption-key", ENCRYPTION_KEY, "--key-prefix", KEY_PREFIX,
            "--value-bytes", str(value_bytes), "--accounts", str(accounts)]


def title(label: str) -> str:
    """A language's title; `node#2` (the second process of a language) → `Node #2`."""
    lang, _, number = label.partition("#")
    return LANG_TITLES[lang] + (f" #{number}" if number else "")


def run_fleet(langs, url, redis: RedisServer, accounts: int, stamp: str):
    """One fleet process per language (two when only one language runs), all with the store, released together; each asks for the
    same `accounts` accounts FLEET_ROUNDS times (FLEET_CONCURRENCY at a time), Redis cold. The
    emulator counts the requests that reach Refold: the target is exactly one per account."""
    redis.flush()
    prefix = f"fleet-{stamp}"
    n = accounts * FLEET_ROUNDS
    procs, skipped = {}, {}
    # A fleet is at least two processes: with one language, two of it.
    labels = list(langs) if len(langs) != 1 else [langs[0], f"{langs[0]}#2"]
    for label in labels:
        lang = label.split("#")[0]
        cmd, reason, env = command_for(lang, "fleet", url, n, FLEET_CONCURRENCY, 0, prefix,
                                       store_args(redis, 0, accounts))
        if cmd is None:
            skipped[label] = reason
            continue
        procs[label] = Measured(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, text=True, start_new_session=True)
    result = {"accounts": accounts, "rounds": FLEET_ROUNDS, "concurrency": FLEET_CONCURRENCY,
              "languages": sorted(procs), "skipped": skipped, "per_language": {}}
    if not procs:
        result["error"] = "no fleet process could run"
        return result
    failed = {}
    deadline = time.time() + 300
    for lang, proc in procs.items():  # every process built its client: release them together
        line = ""
        while time.time() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()
                if line.strip() == "READY" or not line:
                    break
            elif proc.poll() is not None:
                break
        if line.strip() != "READY":
            failed[lang] = f"not ready: {line.strip()[:200]!r}"
    requests_before = emulator_requests(url)
    t0 = time.perf_counter()
    for lang, proc in procs.items():
        try:
            proc.stdin.write("GO\n")
            proc.stdin.close()
        except BrokenPipeError:
            pass
        proc.stdin = None  # communicate() must not flush it again
    for lang, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        data = parse_bench_json(out)
        if proc.returncode != 0 or not data:
            failed.setdefault(lang, f"exit {proc.returncode}: {err.strip()[-300:]}")
            continue
        data.pop("client", None)
        result["per_language"][lang] = data
    result["seconds"] = time.perf_counter() - t0
    result["refold_requests"] = emulator_requests(url) - requests_before
    result["requests_per_account"] = result["refold_requests"] / accounts
    result["calls"] = n * len(procs)
    result["errors"] = sum(d.get("errors", 0) for d in result["per_language"].values())
    if failed:
        result["failed"] = failed
    return result


# --- ratios, targets, outputs ---------------------------------------------------------------------

def analyse(results, concurrencies):
    """Adds ratio_best_peer / ratio_limit to each result and evaluates the issue's targets."""
    def get(lang, client, c):
        r = results.get(f"{lang}/{client}", {}).get(str(c), {})
        return r if "rps" in r else None

    targets = []
    for c in concurrencies:
        limit = get("limit", "wrk", c)
        for lang in ["rust", "node", "python", "jvm"]:
            peers = [(cl, get(lang, cl, c)) for (lg, cl, kind, _) in CLIENTS if lg == lang and kind == "peer"]
            peers = [(cl, r) for cl, r in peers if r]
            best = max(peers, key=lambda p: p[1]["rps"]) if peers else None
            for (lg, cl, kind, _) in CLIENTS:
                if lg != lang or kind not in MAIN_KINDS:
                    continue
                r = get(lang, cl, c)
                if not r:
                    continue
                if best:
                    r["best_peer"] = best[0]
                    r["ratio_best_peer"] = r["rps"] / best[1]["rps"]
                if limit:
                    r["ratio_limit"] = r["rps"] / limit["rps"]
        # Targets.
        for (lang, cl, kind, _) in CLIENTS:
            if kind != "ours":
                continue
            r = get(lang, cl, c)
            name = f"{LANG_TITLES[lang]} {cl}"
            if r is None:
                if f"{lang}/{cl}" not in results:
                    continue  # not selected in this run
                reason = results.get(f"{lang}/{cl}", {}).get(str(c), {})
                targets.append({"c": c, "client": name, "target": "measured", "met": None,
                                "detail": reason.get("skipped") or reason.get("error") or "not run"})
                continue
            if lang == "rust":
                if c == 64 and limit:
                    ratio = r["rps"] / limit["rps"]
                    targets.append({"c": c, "client": name, "target": "≥ 0.8× load generator",
                                    "met": ratio >= 0.8, "detail": f"{ratio:.2f}×"})
                continue
            if "ratio_best_peer" not in r:
                continue
            best_name, best_r = r["best_peer"], get(lang, r["best_peer"], c)
            if c == 64:
                targets.append({"c": c, "client": name, "target": f"≥ 1.0× best peer ({best_name})",
                                "met": r["ratio_best_peer"] >= 1.0, "detail": f"{r['ratio_best_peer']:.2f}×"})
                targets.append({"c": c, "client": name, "target": f"p99 ≤ best peer's ({best_name})",
                                "met": r["p99_ms"] <= best_r["p99_ms"],
                                "detail": f"{r['p99_ms']:.2f} ms vs {best_r['p99_ms']:.2f} ms"})
                if lang == "node":
                    ax = get("node", "axios", c)
                    if ax:
                        ratio = r["rps"] / ax["rps"]
                        targets.append({"c": c, "client": name, "target": "≥ 2× axios",
                                        "met": ratio >= 2.0, "detail": f"{ratio:.2f}×"})
            if c == 1:
                overhead = best_r["rps"] / r["rps"] - 1
                targets.append({"c": c, "client": name, "target": f"per-call overhead ≤ 10% over {best_name}",
                                "met": overhead <= 0.10, "detail": f"{overhead * 100:+.1f}%"})
    return targets


def analyse_cache_store(results, concurrencies, fleet):
    """Ratios and the issues' targets for the cache-hit, store-hit and fleet rows."""
    def get(lang, client, c):
        r = results.get(f"{lang}/{client}", {}).get(str(c), {})
        return r if "rps" in r else None

    def not_run(lang, cl, c):
        r = results.get(f"{lang}/{cl}", {}).get(str(c), {})
        return r.get("skipped") or r.get("error") or "not run"

    targets = []
    for c in concurrencies:
        for (lang, cl, kind, _) in CLIENTS:
            if kind not in ("hit", "store") or f"{lang}/{cl}" not in results:
                continue
            name = f"{LANG_TITLES[lang]} {cl}"
            r = get(lang, cl, c)
            if r is None:
                targets.append({"c": c, "client": name, "target": "measured", "met": None,
                                "detail": not_run(lang, cl, c)})
                continue
            if kind == "hit":
                miss_name = MISS_PATH[(lang, cl)]
                miss = get(lang, miss_name, c)
                if miss:
                    r["miss_path"] = miss_name
                    r["ratio_miss_path"] = r["rps"] / miss["rps"]
                p50_us = r["p50_ms"] * 1000
                if c == 1:
                    limit = HIT_P50_TARGET_US[lang]
                    targets.append({"c": c, "client": name, "target": f"hit p50 ≤ {limit:g} µs",
                                    "met": p50_us <= limit, "detail": f"{p50_us:.2f} µs"})
                if lang in HIT_RATE_TARGET:
                    want = HIT_RATE_TARGET[lang]
                    if miss:
                        targets.append({"c": c, "client": name, "target": f"≥ {want:g}× the miss path ({miss_name})",
                                        "met": r["ratio_miss_path"] >= want,
                                        "detail": f"{r['ratio_miss_path']:.1f}×"})
                    else:
                        targets.append({"c": c, "client": name, "target": f"≥ {want:g}× the miss path ({miss_name})",
                                        "met": None, "detail": f"{miss_name}: {not_run(lang, miss_name, c)}"})
                stats = r.get("stats") or {}
                r["all_hits"] = stats.get("hits") == r["n"] and stats.get("misses") == 0
            else:
                raws = [(rc, get(lang, rc, c)) for rc in RAW_GET_PEERS.get((lang, cl)) or
                        [rc for (lg, rc, k, _) in CLIENTS if lg == lang and k == "redis"]]
                raws = [(rc, x) for rc, x in raws if x]
                stats = r.get("stats") or {}
                r["all_store_hits"] = (stats.get("hits") == 0 and stats.get("store_hits") == r["n"]
                                       and stats.get("store_errors") == 0)
                if not raws:
                    targets.append({"c": c, "client": name, "target": f"p50 ≤ {STORE_P50_TARGET:g}× raw GET",
                                    "met": None, "detail": "no raw-GET peer of this language ran"})
                    continue
                best_name, best = min(raws, key=lambda p: p[1]["p50_ms"])
                r["raw_get"] = best_name
                r["ratio_raw_get_p50"] = r["p50_ms"] / best["p50_ms"]
                r["ratio_raw_get_p99"] = r["p99_ms"] / best["p99_ms"]
                targets.append({"c": c, "client": name,
                                "target": f"p50 ≤ {STORE_P50_TARGET:g}× raw GET ({best_name})",
                                "met": r["ratio_raw_get_p50"] <= STORE_P50_TARGET and r["all_store_hits"],
                                "detail": f"{r['ratio_raw_get_p50']:.2f}× ({r['p50_ms'] * 1000:.0f} vs "
                                          f"{best['p50_ms'] * 1000:.0f} µs)"
                                          + ("" if r["all_store_hits"] else "; not every call was a store hit")})
    if fleet:
        langs = ", ".join(title(x) for x in fleet.get("languages", []))
        if "refold_requests" in fleet:
            ok = fleet["refold_requests"] == fleet["accounts"] and not fleet.get("failed") and not fleet["errors"]
            targets.append({"c": fleet["concurrency"], "client": f"fleet ({langs})",
                            "target": "exactly one request to Refold per account", "met": ok,
                            "detail": f"{fleet['refold_requests']} requests for {fleet['accounts']} accounts "
                                      f"({fleet['requests_per_account']:.2f} per account)"})
        else:
            targets.append({"c": None, "client": "fleet", "target": "exactly one request to Refold per account",
                            "met": None, "detail": fleet.get("error", "not run")})
    return targets


def startup_targets(startup):
    out = []
    node = startup["node_require_ms"].get("refold-session (ours)", {})
    if "median_ms" in node:
        out.append({"c": None, "client": "Node ours", "target": "require ≤ 20 ms",
                    "met": node["median_ms"] <= 20, "detail": f"{node['median_ms']:.1f} ms"})
    py = startup["python_import_ms"].get("refold_session", {})
    if "median_ms" in py:
        out.append({"c": None, "client": "Python ours", "target": "import ≤ 30 ms",
                    "met": py["median_ms"] <= 30, "detail": f"{py['median_ms']:.1f} ms"})
    return out


def fmt(v, spec):
    return "–" if v is None else format(v, spec)


def cache_store_markdown(doc) -> list[str]:
    """The session-cache and fleet-store sections (latencies in µs)."""
    lines = []
    results = doc["results"]

    def rows(kind):
        return [x for x in CLIENTS if x[2] == kind and f"{x[0]}/{x[1]}" in results]

    def us(ms):
        return "–" if ms is None else f"{ms * 1000:,.1f}"

    hits = rows("hit")
    if hits:
        h = doc.get("hit", {})
        lines += ["## Session cache: hits", "",
                  f"Every timed call is a hit: {h.get('accounts')} accounts are minted first (cache on, "
                  f"defaults), then {h.get('n')} calls after {h.get('warmup')} warm-up calls cycle over them. "
                  "× miss path: hits/s ÷ req/s of the same binding and calling style with the cache off "
                  "(every call mints), same concurrency, same run.", "",
                  "| c | language | client | hits/s | p50 µs | p99 µs | × miss path | timed calls that were hits | peak RSS MiB | errors |",
                  "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for c in doc["concurrency"]:
            for (lang, cl, _, _) in hits:
                r = results[f"{lang}/{cl}"].get(str(c), {})
                if "rps" not in r:
                    why = r.get("skipped") or r.get("error") or "not run"
                    lines.append(f"| {c} | {LANG_TITLES[lang]} | **{cl}** | skipped: {why[:120]} | | | | | | |")
                    continue
                ratio = (f"{r['ratio_miss_path']:.1f}× ({r['miss_path']})" if "ratio_miss_path" in r
                         else "– (miss path not run)")
                st = r.get("stats") or {}
                lines.append(f"| {c} | {LANG_TITLES[lang]} | **{cl}** | {r['rps']:,.0f} | {us(r['p50_ms'])} | "
                             f"{us(r['p99_ms'])} | {ratio} | {st.get('hits', '?')}/{r['n']} | "
                             f"{fmt(r.get('rss_mib'), '.0f')} | {r.get('errors', 0)} |")
        lines.append("")
    stores = rows("store") + rows("redis")
    if stores:
        lines += ["## Fleet store: store hits beside a raw Redis GET", "",
                  f"redis-server {doc.get('redis_version', '?')} on loopback. A store hit: a fresh client "
                  "(in-process cache empty) asks once for each of W + N accounts that another client minted "
                  "into Redis, so every call is an in-process miss answered by Redis (one GET, decryption, "
                  "insertion into the in-process cache). A raw GET: the language's Redis client GETs a value "
                  f"of the same size ({doc.get('store_value_bytes', '?')} bytes), without decrypting it. "
                  "× raw GET: store-hit p50 (p99) ÷ the p50 (p99) of the language's fastest raw GET at the "
                  "same concurrency (in the same calling style where the language has two: Python sync/async, "
                  "JVM blocking/coroutines).", "",
                  "| c | language | client | calls/s | p50 µs | p99 µs | × raw GET p50 | × raw GET p99 | in-process miss → Redis hit | requests to Refold | errors |",
                  "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for c in doc["concurrency"]:
            for (lang, cl, kind, _) in sorted(stores, key=lambda x: [l for l in LANG_TITLES].index(x[0])):
                r = results[f"{lang}/{cl}"].get(str(c), {})
                label = f"**{cl}**" if kind == "store" else cl
                if "rps" not in r:
                    why = r.get("skipped") or r.get("error") or "not run"
                    lines.append(f"| {c} | {LANG_TITLES[lang]} | {label} | skipped: {why[:120]} | | | | | | | |")
                    continue
                st = r.get("stats") or {}
                hit_col = f"{st.get('store_hits', '?')}/{r['n']}" if kind == "store" else "–"
                lines.append(
                    f"| {c} | {LANG_TITLES[lang]} | {label} | {r['rps']:,.0f} | {us(r['p50_ms'])} | {us(r['p99_ms'])} | "
                    f"{fmt(r.get('ratio_raw_get_p50'), '.2f')} | {fmt(r.get('ratio_raw_get_p99'), '.2f')} | "
                    f"{hit_col} | {r.get('refold_requests', '–') if kind == 'store' else '–'} | {r.get('errors', 0)} |")
        lines += ["", "Requests to Refold: what the emulator answered during the whole process (the warming "
                  "client's mints, one per account: W + N); the measured client sends none.", ""]
    fleet = doc.get("fleet")
    if fleet:
        lines += ["## Fleet: requests to Refold", "",
                  f"One process per language (two when one language runs), each with the cache and the "
                  f"store, released together against "
                  f"a cold Redis; each asks for the same {fleet['accounts']} accounts {fleet['rounds']} times "
                  f"({fleet['concurrency']} calls at a time). The emulator counts the requests that reach "
                  "Refold.", "",
                  "| processes | accounts | calls | requests to Refold | per account | errors | wall s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        if "refold_requests" in fleet:
            langs = ", ".join(title(x) for x in fleet["languages"])
            lines.append(f"| {langs} | {fleet['accounts']} | {fleet['calls']} | {fleet['refold_requests']} | "
                         f"{fleet['requests_per_account']:.2f} | {fleet['errors']} | {fleet['seconds']:.2f} |")
        else:
            lines.append(f"| – | {fleet['accounts']} | – | – | – | – | {fleet.get('error', '')} |")
        for lang, why in {**fleet.get("skipped", {}), **fleet.get("failed", {})}.items():
            lines.append(f"\n{title(lang)} did not take part: {why[:200]}")
        per = fleet.get("per_language", {})
        if per:
            lines += ["", "| language | calls | in-process hits | coalesced | misses | store hits | store errors |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for lang, d in per.items():
                st = d.get("stats") or {}
                lines.append(f"| {title(lang)} | {d['n']} | {st.get('hits', '?')} | {st.get('coalesced', '?')} | "
                             f"{st.get('misses', '?')} | {st.get('store_hits', '?')} | {st.get('store_errors', '?')} |")
        lines.append("")
    return lines


def paused_note(m):
    """A line naming the builds that were paused (SIGSTOP) for the whole run, if any."""
    if not m.get("builds_paused_at_start"):
        return []
    return [f"Builds paused (SIGSTOP, no CPU) for the whole run: "
            f"{', '.join(m['builds_paused_at_start'])}.", ""]


def debian_line(m) -> str:
    v = m.get("versions", {})
    return (f"Debian packages (pinned in scripts/debian-pins.txt): wrk {v.get('wrk', '?')}, "
            f"redis-server {v.get('redis-server', '?')}.")


def write_markdown(doc, path: Path):
    m = doc["machine"]
    repeat = doc.get("repeat", 1)
    best_of = "" if repeat == 1 else f", the median of {repeat} runs each (by req/s)"
    lines = [
        f"# refold-session benchmarks — {m['date_utc']}",
        "",
        f"{m['cores']} cores ({m['cpu']}), Linux {m['kernel']}, commit {m['git_commit']}; "
        f"N = {doc['n']} requests per client per concurrency after {doc['warmup']} warm-up requests"
        f"{best_of}; "
        "emulator (release) on loopback, sharing the machine with the client. "
        "Absolute numbers only mean something within one run on one machine: compare the ratios.",
        "",
        debian_line(m),
        "",
    ]
    if m["other_builds_running_at_start"]:
        lines += [f"**Warning:** other builds were running when this run started "
                  f"({', '.join(m['other_builds_running_at_start'])}); numbers are not reliable.", ""]
    elif m.get("other_builds_running_at_end"):
        lines += [f"**Warning:** other builds were running when this run ended "
                  f"({', '.join(m['other_builds_running_at_end'])}; load average "
                  f"{m['loadavg_at_start'][0]:.1f} at the start); numbers are not reliable.", ""]
    lines += paused_note(m)
    main_rows = [x for x in CLIENTS if x[2] in MAIN_KINDS and f"{x[0]}/{x[1]}" in doc["results"]]
    for c in doc["concurrency"] if main_rows else []:
        lines += [f"## Concurrency {c}", "",
                  "| language | client | req/s | p50 ms | p99 ms | peak RSS MiB | client CPU µs/req | emulator CPU µs/req | × best peer | × wrk | errors |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for (lang, cl, kind, _) in main_rows:
            r = doc["results"].get(f"{lang}/{cl}", {}).get(str(c), {})
            label = f"**{cl}**" if kind == "ours" else cl
            if "rps" not in r:
                why = r.get("skipped") or r.get("error") or "not run"
                lines.append(f"| {LANG_TITLES[lang]} | {label} | skipped: {why[:120]} | | | | | | | | |")
                continue
            done = r["n"] + (doc["warmup"] if lang != "limit" else 0)
            cpu_us = r["cpu_s"] / done * 1e6 if r.get("cpu_s") else None
            lines.append(
                f"| {LANG_TITLES[lang]} | {label} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                f"{fmt(r.get('rss_mib'), '.0f')} | {fmt(cpu_us, '.0f')} | {fmt(r.get('server_cpu_us_per_req'), '.0f')} | "
                f"{fmt(r.get('ratio_best_peer'), '.2f')} | {fmt(r.get('ratio_limit'), '.2f')} | {r.get('errors', 0)} |")
        lines.append("")
    lines += cache_store_markdown(doc)
    lines += ["## Targets", "", "| c | client | target | met | measured |", "| --- | --- | --- | --- | --- |"]
    for t in doc["targets"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['c'] or '–'} | {t['client']} | {t['target']} | {met} | {t['detail']} |")
    s = doc["startup"]
    if not (s["node_require_ms"] or s["python_import_ms"] or s["artifact_bytes"]):
        path.write_text("\n".join(lines + [""]))
        return
    lines += ["", "## Start-up and size", "", "| what | value |", "| --- | ---: |"]
    for name, r in s["node_require_ms"].items():
        lines.append(f"| Node `require` {name} (median of 9) | {fmt(r.get('median_ms'), '.1f')} ms {r.get('skipped', '')} |")
    for name, r in s["python_import_ms"].items():
        lines.append(f"| Python `import {name}` (median of 9) | {fmt(r.get('median_ms'), '.1f')} ms {r.get('skipped', '')} |")
    for name, size in s["artifact_bytes"].items():
        lines.append(f"| {name} | {size / 1e6:.2f} MB |")
    lines += ["", "Client CPU µs/req is the client process's own user+system time per request (warm-up "
              "included); emulator CPU µs/req is the emulator's over the same requests. On 2 cores the two "
              "share the machine, so a client's CPU cost is taken from the server's throughput.", ""]
    path.write_text("\n".join(lines))


def write_chart(doc, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"limit": "#7f7f7f", "rust": "#b7410e", "node": "#3c873a", "python": "#3776ab", "jvm": "#e76f00"}
    concs = doc["concurrency"]
    chart_clients = [x for x in CLIENTS if x[2] in MAIN_KINDS]
    fig, axes = plt.subplots(len(concs), 1, figsize=(13, 4.2 * len(concs)), squeeze=False)
    for ax, c in zip(axes[:, 0], concs):
        labels, values, cols, hatches, xs = [], [], [], [], []
        x = 0.0
        prev_lang = None
        for (lang, cl, kind, _) in chart_clients:
            if prev_lang is not None and lang != prev_lang:
                x += 0.8
            prev_lang = lang
            r = doc["results"].get(f"{lang}/{cl}", {}).get(str(c), {})
            labels.append(cl if kind != "limit" else "wrk (limit)")
            values.append(r.get("rps", 0.0))
            cols.append(colors[lang])
            hatches.append("//" if kind == "ours" else "")
            xs.append(x)
            x += 1
        bars = ax.bar(xs, values, color=cols, edgecolor="black", linewidth=0.6)
        for bar, h, v, (lang, cl, kind, _) in zip(bars, hatches, values, chart_clients):
            bar.set_hatch(h)
            r = doc["results"].get(f"{lang}/{cl}", {}).get(str(c), {})
            text = f"{v:,.0f}" if v else ("skipped" if "skipped" in r else "error" if r else "not run")
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom",
                        fontsize=7, rotation=90 if v else 0, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, fontsize=8, rotation=30, ha="right")
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(facecolor=col, edgecolor="black", label=LANG_TITLES[lang])
                           for lang, col in colors.items()], fontsize=8, loc="upper right", ncol=5)
        ax.set_ylabel("requests/s")
        ax.set_title(f"concurrency {c}  (hatched = ours)", fontsize=10)
        ax.margins(y=0.18)
        ax.grid(axis="y", alpha=0.3)
    m = doc["machine"]
    fig.suptitle(f"refold-session: session-token requests/s per client — {m['cores']} cores, "
                 f"{m['date_utc']}, N={doc['n']}, emulator on loopback", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def expand_only(only: set[str]) -> set[str]:
    """A selected cache-hit client brings its miss path, a store-hit client its language's
    raw-GET peers: their rows are the comparison the targets are defined against."""
    if not only:
        return only
    out = set(only)
    for (lang, cl, kind, _) in CLIENTS:
        if lang not in only and f"{lang}/{cl}" not in only:
            continue
        if kind == "hit":
            out.add(f"{lang}/{MISS_PATH[(lang, cl)]}")
        if kind == "store":
            out.update(f"{lang}/{rc}" for (lg, rc, k, _) in CLIENTS if lg == lang and k == "redis")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=int(os.environ.get("N", 20000)))
    ap.add_argument("--concurrency", default="1,64")
    ap.add_argument("--warmup", type=int, default=None, help="default: N/5, at most 5000")
    ap.add_argument("--only", default="", help="comma-separated lang/client or lang names")
    ap.add_argument("--out", default=str(BENCH / "results"))
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 1)),
                    help="runs per client and concurrency; the run with the median req/s is reported")
    ap.add_argument("--hit-n", type=int, default=None, help="timed cache hits per run (default: 20 × N)")
    ap.add_argument("--hit-warmup", type=int, default=None, help="default: hit-n/5, at most 100,000")
    ap.add_argument("--hit-accounts", type=int, default=1000, help="accounts the hits cycle over")
    ap.add_argument("--fleet-accounts", type=int, default=None, help="default: min(N, 1000)")
    args = ap.parse_args()
    concs = [int(x) for x in args.concurrency.split(",") if x]
    warmup = args.warmup if args.warmup is not None else max(50, min(5000, args.n // 5))
    hit_n = args.hit_n if args.hit_n is not None else 20 * args.n
    hit_warmup = args.hit_warmup if args.hit_warmup is not None else max(1000, min(100_000, hit_n // 5))
    fleet_accounts = args.fleet_accounts if args.fleet_accounts is not None else min(args.n, 1000)
    only = expand_only({x for x in args.only.split(",") if x})
    selected = [x for x in CLIENTS if not only or x[0] in only or f"{x[0]}/{x[1]}" in only]
    kinds = {x[2] for x in selected}

    doc = {"n": args.n, "warmup": warmup, "repeat": args.repeat, "concurrency": concs, "machine": machine(), "clients": [],
           "results": {}}
    if "hit" in kinds:
        doc["hit"] = {"n": hit_n, "warmup": hit_warmup, "accounts": args.hit_accounts}
    if doc["machine"]["other_builds_running_at_start"]:
        log(f"warning: other builds are running ({doc['machine']['other_builds_running_at_start']}); "
            "numbers will be noisy")
    emulator, url = start_emulator()
    log(f"emulator at {url}")
    redis = None
    try:
        if kinds & {"store", "redis"}:
            redis = RedisServer()
            doc["redis_version"] = redis.version
            doc["store_value_bytes"] = token_length(url) + STORE_VALUE_OVERHEAD
            log(f"redis-server {redis.version} at {redis.url}; store values of {doc['store_value_bytes']} bytes")
        for (lang, cl, kind, desc) in CLIENTS:
            doc["clients"].append({"language": lang, "client": cl, "kind": kind, "what": desc})
            if (lang, cl, kind, desc) not in selected:
                continue
            per = doc["results"].setdefault(f"{lang}/{cl}", {})
            n, w, extra = args.n, warmup, ()
            if kind == "hit":
                n, w, extra = hit_n, hit_warmup, ("--accounts", str(args.hit_accounts))
            elif kind in ("store", "redis"):
                extra = store_args(redis, doc["store_value_bytes"], 0)
            for c in concs:
                runs = []
                for _ in range(max(1, args.repeat)):
                    if redis is not None and kind in ("store", "redis"):
                        redis.flush()
                    runs.append(run_client(lang, cl, url, n, c, w, emulator.pid, kind, extra))
                ok = [x for x in runs if "rps" in x]
                # The median run of R (issue #15): one lucky or unlucky run moves nothing.
                r = sorted(ok, key=lambda x: x["rps"])[len(ok) // 2] if ok else runs[0]
                if len(runs) > 1 and ok:
                    r["runs_rps"] = [round(x["rps"], 1) for x in ok]
                per[str(c)] = r
                if "rps" in r:
                    log(f"{lang:6} {cl:20} c={c:<3} {r['rps']:>11,.0f} /s  p50 {r['p50_ms'] * 1000:,.1f} µs  "
                        f"p99 {r['p99_ms'] * 1000:,.1f} µs  rss {fmt(r.get('rss_mib'), '.0f')} MiB  "
                        f"errors {r.get('errors')}  stats {r.get('stats')}")
                else:
                    log(f"{lang:6} {cl:20} c={c:<3} {r}")
        if "store" in kinds:
            langs = [lg for lg in LANG_TITLES if any(x[0] == lg and x[2] == "store" for x in selected)]
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%H%M%S")
            doc["fleet"] = run_fleet(langs, url, redis, fleet_accounts, stamp)
            f = doc["fleet"]
            log(f"fleet {f.get('languages')}: {f.get('refold_requests')} requests to Refold for "
                f"{f['accounts']} accounts; errors {f.get('errors')}; skipped {f.get('skipped')}; "
                f"failed {f.get('failed')}")
    finally:
        if redis is not None:
            redis.stop()
        emulator.terminate()
        emulator.wait(timeout=10)
    main_selected = any(x[2] in MAIN_KINDS for x in selected)
    doc["startup"] = startup_costs() if main_selected else {
        "node_require_ms": {}, "python_import_ms": {}, "artifact_bytes": {}}
    doc["targets"] = (analyse(doc["results"], concs) + analyse_cache_store(doc["results"], concs, doc.get("fleet"))
                      + startup_targets(doc["startup"]))
    doc["machine"]["other_builds_running_at_end"] = busy_processes()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.tag}.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    write_markdown(doc, out / f"{args.tag}.md")
    written = ".json, .md"
    if main_selected:
        write_chart(doc, out / f"{args.tag}.png")
        written += ", .png"
    log(f"wrote {out / args.tag}{written}")
    print((out / f"{args.tag}.md").read_text())


if __name__ == "__main__":
    main()
