"""The scaling run of the refold-session benchmark (bench/README.md, "How cost grows with the
work"). Run by `make bench-scale` after prepare.sh; reuses bench/run.py's emulator, client
commands, wait4 measurement and machine record.

    bench/.venv/bin/python bench/scale.py [--n 20000] [--levels 1,16,64,256,1024]
                                          [--inflight 10000] [--warmup W] [--only NAME,...]
                                          [--out bench/results] [--tag scale]

For each client (ours and the best peer of its language) and each concurrency level: N calls,
C at a time, after a warm-up (one process per client and level, as in run.py). Then the
"in flight" level: one process makes exactly --inflight calls, all started at once (the
client's loop with concurrency = n: N workers, one call each), no warm-up. While each process
runs, its open file descriptors (/proc/PID/fd) and the emulator's open client connections
(GET /__emulator/connections) are sampled. Writes <out>/<tag>.json, .md and .png.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as R  # noqa: E402  (bench/run.py: the harness this extends)

# (language, client, kind, what) — kind as in run.py: "limit", "ours" or "peer".
SCALE_CLIENTS = [
    ("limit", "wrk", "limit", "wrk -t min(2,C) -c C, duration-based; no N-at-once mode"),
    ("rust", "refold-session", "ours", "refold_session::Client (defaults), C tokio tasks"),
    ("rust", "raw-tcp", "peer", "hand-written HTTP/1.1 on tokio TcpStream, one keep-alive connection per task"),
    ("node", "ours", "ours", "require('refold-session') (defaults), C concurrent async loops"),
    ("node", "undici", "peer", "undici.request() on its default global Agent (no per-origin connection limit, keep-alive)"),
    ("python", "ours-async", "ours", "AsyncRefold (defaults), C asyncio tasks"),
    ("python", "ours-sync", "ours", "Refold (defaults) in C threads, at most 256 threads"),
    ("python", "aiohttp", "peer", "aiohttp.ClientSession(TCPConnector(limit=C)), C asyncio tasks"),
    ("jvm", "ours-coroutines", "ours", "suspend getTokenForLinkedAccount (defaults), C coroutines on Dispatchers.Default"),
    ("jvm", "okhttp-async", "peer", "OkHttp enqueue() awaited by C coroutines; Dispatcher maxRequests = maxRequestsPerHost = C, pool of C idle"),
]
# The best peer each client is compared with (the fastest native client of the language that
# can also start N calls at once; for Rust wrk is shown beside it at the concurrency levels).
BEST_PEER = {"rust": "raw-tcp", "node": "undici", "python": "aiohttp", "jvm": "okhttp-async"}
# Thread-per-call clients: beyond this many threads the level is skipped (not how a sync
# service scales; the async client of the language covers it).
THREAD_CAP = {("python", "ours-sync"): 256}
INFLIGHT = "inflight"
RSS_TARGET = 2.0          # RSS at N in flight ≤ 2× the best peer's
FLAT_TOLERANCE = 0.9      # "flat or rising from 64 to 1,024": req/s at 1,024 ≥ 0.9× req/s at 64
SAMPLE_S = 0.05
BACKGROUND_S = 0.5


def active_opens() -> int:
    """TCP connections opened so far (connect() calls) in this network namespace:
    /proc/net/snmp's Tcp ActiveOpens."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines() if line.startswith("Tcp:")]
    return int(lines[1][lines[0].index("ActiveOpens")])


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Watch:
    """While a client process runs (run.measure starts and stops it), samples every SAMPLE_S
    its open file descriptors, the emulator's open client connections and the emulator's RSS."""

    def __init__(self, url: str, emulator_pid: int) -> None:
        self.host = url.removeprefix("http://").rstrip("/")
        self.emulator_pid = emulator_pid
        self.result: dict = {}
        self.connects = 0  # the sampler's own connections to the emulator (one, kept alive)
        self.stale = 0  # connections still open on the emulator from before this run (settle)
        self._conn = None

    def emulator_connections(self) -> int:
        """The emulator's open client connections (its control plane), not counting the sampler's."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, timeout=30)
            self.connects += 1
        try:
            self._conn.request("GET", "/__emulator/connections")
            return max(0, int(json.load(self._conn.getresponse())["open"]) - 1)
        except (OSError, http.client.HTTPException, ValueError):
            self._conn.close()
            self._conn = None
            raise OSError("control request failed")

    def start(self, pid: int) -> None:
        self.pid = pid
        self.result = {"max_fds": 0, "baseline_fds": None, "max_emulator_connections": 0,
                       "max_emulator_rss_mib": 0.0, "samples": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        r = self.result
        while True:
            try:
                fds = len(os.listdir(f"/proc/{self.pid}/fd"))
                if r["baseline_fds"] is None:
                    r["baseline_fds"] = fds
                r["max_fds"] = max(r["max_fds"], fds)
            except OSError:
                pass  # not started yet, or exited
            try:
                r["max_emulator_connections"] = max(r["max_emulator_connections"],
                                                    self.emulator_connections() - self.stale)
            except OSError:
                pass
            r["max_emulator_rss_mib"] = max(r["max_emulator_rss_mib"], rss_mib(self.emulator_pid) or 0.0)
            r["samples"] += 1
            if self._stop.wait(SAMPLE_S):
                return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def artifacts() -> dict:
    """Which builds of ours this run measured (bench/.venv's installed package can be replaced by
    anyone running prepare.sh or pip on a shared machine): path, modification time, size."""
    import datetime as dt
    import glob

    out = {}
    for label, pattern in [("rust client", str(R.REL / "refold-bench-rust")),
                           ("emulator", str(R.REL / "refold")),
                           ("node addon", str(R.NODE_PKG / "*.node")),
                           ("python native module", str(R.VENV_PY.parent.parent / "lib" / "python3*" /
                                                        "site-packages" / "refold_session" / "_native*.so")),
                           ("jvm jar", str(R.KT_JAR))]:
        for path in glob.glob(pattern)[:1]:
            st = Path(path).stat()
            out[label] = {"path": path, "size": st.st_size, "mtime_utc": dt.datetime.fromtimestamp(
                st.st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}
    return out


def settle(watch: Watch, timeout_s: float = 60.0, steady_s: float = 1.0) -> None:
    """Waits until the emulator has closed the previous client's connections (after 10,000 in
    flight it takes a moment), so that they are not counted as this client's: until none is
    open, or the count has not moved for `steady_s` (a connection whose client vanished without
    a FIN — seen after a burst overflowed the listen queue — stays open on the server for good,
    and would otherwise cost every later run the whole timeout)."""
    deadline = time.monotonic() + timeout_s
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        try:
            open_now = watch.emulator_connections()
        except OSError:
            open_now = None
        if open_now == 0:
            last = 0
            break
        if open_now != last:
            last, since = open_now, time.monotonic()
        elif time.monotonic() - since >= steady_s:
            break
        time.sleep(0.1)
    watch.stale = last or 0
    if watch._conn is not None:
        watch._conn.close()
        watch._conn = None
    watch.connects = 0


def run_level(lang, cl, kind, url, emulator, n, c, warmup):
    cap = THREAD_CAP.get((lang, cl))
    if cap is not None and c > cap:
        return {"skipped": f"thread per call: {c} threads is beyond this client's cap of {cap}"}
    if lang == "limit" and n == c and warmup == 0:
        return {"skipped": "wrk keeps C connections busy for a duration; it cannot start exactly N calls "
                           "at once (the Rust raw-tcp client is the raw peer of this level)"}
    watch = Watch(url, emulator.pid)
    settle(watch)
    # Other processes' connections in the same namespace (a shared machine): the rate just before.
    a0 = active_opens()
    time.sleep(BACKGROUND_S)
    background_per_s = (active_opens() - a0) / BACKGROUND_S
    before = active_opens()
    r = R.run_client(lang, cl, url, n, c, warmup, emulator.pid, kind, watch=watch)
    r["background_opens_per_s"] = background_per_s
    r["stale_emulator_connections"] = watch.stale
    # Connections the client opened (warm-up included): the namespace's count, less the
    # harness's own (the sampler's, and run_client's control requests before and after).
    harness = watch.connects + (2 if "rps" in r else 1)
    r["connections_opened"] = max(0, active_opens() - before - harness)
    r.update(watch.result)
    return r


def get(results, lang, cl, level):
    r = results.get(f"{lang}/{cl}", {}).get(str(level), {})
    return r if "rps" in r else None


def analyse(doc):
    """Ratios to the best peer, and the issue's three targets for each of ours."""
    results, levels = doc["results"], doc["levels"]
    targets = []
    for (lang, cl, kind, _) in SCALE_CLIENTS:
        if kind != "ours" or f"{lang}/{cl}" not in results:
            continue
        name = f"{R.LANG_TITLES[lang]} {cl}"
        peer = BEST_PEER[lang]
        for level in [*levels, INFLIGHT]:
            r, p = get(results, lang, cl, level), get(results, lang, peer, level)
            if r and p:
                r["best_peer"] = peer
                r["ratio_best_peer"] = r["rps"] / p["rps"]
                if r.get("rss_mib") and p.get("rss_mib"):
                    r["ratio_best_peer_rss"] = r["rss_mib"] / p["rss_mib"]
        per = results[f"{lang}/{cl}"]
        ran = {k: v for k, v in per.items() if "rps" in v}
        errors = sum(v.get("errors", 0) for v in ran.values())
        failed = [k for k, v in per.items() if "error" in v]
        detail = f"{errors} failed calls over {len(ran)} levels"
        if failed:
            detail += f"; the process failed at {', '.join(failed)}"
        targets.append({"client": name, "target": "no errors at any level",
                        "met": errors == 0 and not failed, "detail": detail})
        r, p = get(results, lang, cl, INFLIGHT), get(results, lang, peer, INFLIGHT)
        if r and p and r.get("rss_mib") and p.get("rss_mib"):
            ratio = r["rss_mib"] / p["rss_mib"]
            targets.append({"client": name, "target": f"RSS at {doc['inflight']:,} in flight ≤ {RSS_TARGET:g}× {peer}'s",
                            "met": ratio <= RSS_TARGET,
                            "detail": f"{ratio:.2f}× ({r['rss_mib']:.0f} vs {p['rss_mib']:.0f} MiB)"})
        else:
            why = (per.get(INFLIGHT, {}).get("skipped") or per.get(INFLIGHT, {}).get("error")
                   or results.get(f"{lang}/{peer}", {}).get(INFLIGHT, {}).get("error") or "not run")
            targets.append({"client": name, "target": f"RSS at {doc['inflight']:,} in flight ≤ {RSS_TARGET:g}× {peer}'s",
                            "met": None, "detail": why[:160]})
        lo, hi = get(results, lang, cl, 64), get(results, lang, cl, 1024)
        if lo and hi:
            ratio = hi["rps"] / lo["rps"]
            # The peers' own ratios say how much of a fall is the machine's (client and emulator
            # share its cores) rather than ours.
            context = []
            for other in (peer, "wrk" if lang == "rust" else None):
                if other is None:
                    continue
                olang = "limit" if other == "wrk" else lang
                plo, phi = get(results, olang, other, 64), get(results, olang, other, 1024)
                if plo and phi:
                    context.append(f"{other}: {phi['rps'] / plo['rps']:.2f}×")
            targets.append({"client": name, "target": f"req/s flat or rising from 64 to 1,024 (≥ {FLAT_TOLERANCE:g}×)",
                            "met": ratio >= FLAT_TOLERANCE,
                            "detail": f"{ratio:.2f}× ({lo['rps']:,.0f} → {hi['rps']:,.0f} req/s)"
                                      + (f"; {', '.join(context)}" if context else "")})
        elif 64 in levels and 1024 in levels:
            why = per.get("1024", {}).get("skipped") or per.get("1024", {}).get("error") or "not run"
            targets.append({"client": name, "target": "req/s flat or rising from 64 to 1,024",
                            "met": None, "detail": why[:160]})
    return targets


def write_markdown(doc, path: Path) -> None:
    m, results, levels = doc["machine"], doc["results"], doc["levels"]
    rows = [x for x in SCALE_CLIENTS if f"{x[0]}/{x[1]}" in results]
    repeat = doc.get("repeat", 1)
    median_of = "" if repeat == 1 else f", the median of {repeat} runs each (by req/s)"
    lines = [
        f"# refold-session scaling run — {m['date_utc']}", "",
        f"{m['cores']} cores ({m['cpu']}), Linux {m['kernel']}, commit {m['git_commit']}; "
        f"N = {doc['n']:,} calls per client per concurrency after {doc['warmup']:,} warm-up calls"
        f"{median_of}; "
        + (f"then {doc['inflight']:,} calls started at once (no warm-up); " if doc["inflight"] else "")
        + f"open files limit (ulimit -n) "
        f"{doc['nofile_limit'][0]} for the harness, every client and the emulator alike. Emulator "
        "(release) on loopback, sharing the machine with the client: compare ratios, not absolute numbers.", ""]
    busy = m["other_builds_running_at_start"] or m.get("other_builds_running_at_end")
    if busy or m["loadavg_at_start"][0] > 1.0:
        lines += [f"**Busy machine:** load average {m['loadavg_at_start'][0]:.1f} at the start; other builds "
                  f"running at the start: {', '.join(m['other_builds_running_at_start']) or 'none seen'}, at the "
                  f"end: {', '.join(m.get('other_builds_running_at_end') or []) or 'none seen'}. "
                  "Numbers are inflated and noisy; rerun on a quiet machine before quoting them.", ""]
    lines += R.paused_note(m)

    def cell(lang, cl, level, fn):
        r = results[f"{lang}/{cl}"].get(str(level), {})
        if "rps" in r:
            return fn(r)
        if "skipped" in r:
            return "skipped"
        return "**failed**" if "error" in r else "–"

    def label(kind, cl):
        return f"**{cl}**" if kind == "ours" else cl

    def table(title, fn, note=""):
        out = [f"## {title}", ""] + ([note, ""] if note else [])
        out.append("| language | client | " + " | ".join(f"c={c:,}" for c in levels) + " |")
        out.append("| --- | --- |" + " ---: |" * len(levels))
        for (lang, cl, kind, _) in rows:
            out.append(f"| {R.LANG_TITLES[lang]} | {label(kind, cl)} | "
                       + " | ".join(cell(lang, cl, c, fn) for c in levels) + " |")
        return out + [""]

    def rps(r):
        ratio = f" ({r['ratio_best_peer']:.2f}×)" if "ratio_best_peer" in r else ""
        return f"{r['rps']:,.0f}{ratio}"

    lines += table("Requests/s", rps, "(× the best peer of the language at the same level: "
                   + ", ".join(f"{R.LANG_TITLES[k]} {v}" for k, v in BEST_PEER.items()) + ")")
    lines += table("p99 latency, ms", lambda r: f"{r['p99_ms']:.2f}")
    lines += table("Peak RSS, MiB (wait4)", lambda r: f"{r['rss_mib']:.0f}" if r.get("rss_mib") else "–")
    lines += table("File descriptors (max sampled) / emulator connections (max sampled)",
                   lambda r: f"{r.get('max_fds', '–')} / {r.get('max_emulator_connections', '–')}",
                   f"Sampled every {SAMPLE_S * 1000:.0f} ms while the process ran: the client's open file "
                   "descriptors (all kinds: sockets, its own files, epoll) and the emulator's open client "
                   "connections (the client's open sockets to it).")
    def opened(r):
        if "connections_opened" not in r:
            return "–"
        bg = r.get("background_opens_per_s", 0) * (r.get("wall_s") or 0)
        return f"{r['connections_opened']:,}" + (f" (bg ≈ {bg:,.0f})" if bg >= 1 else "")

    lines += table("Connections opened", opened,
                   "TCP connections opened while the client ran (warm-up included): the growth of "
                   "`ActiveOpens` in /proc/net/snmp, less the harness's own control connections. A client "
                   "that keeps its connections opens about C; many more means it closes idle connections and "
                   "reopens them (pool churn). The counter is the network namespace's: on a shared machine "
                   "other processes' connections in the same seconds are included: \"bg\" estimates them from "
                   f"the counter's growth in the {BACKGROUND_S:g} s before the run, times the run's wall time.")
    lines += table("Errors (failed calls)", lambda r: str(r.get("errors", 0)))
    failures = [(f"{lang}/{cl}", lv, r) for (lang, cl, _, _) in rows
                for lv, r in results[f"{lang}/{cl}"].items() if "error" in r]
    n = doc["inflight"]
    lines += [f"## {n:,} calls in flight at once", "",
              f"One fresh process per client starts {n:,} calls at once (Rust: {n:,} tokio tasks; Node: {n:,} "
              f"promises awaited by Promise.all; Python: asyncio.gather of {n:,} coroutines; JVM: {n:,} "
              "coroutines) and waits for all of them; nothing is warmed up. Time to complete: from the "
              "first call started to the last completed (the process's wall time, with start-up, beside it).", "",
              "| language | client | time to complete s | process wall s | calls/s | p50 ms | p99 ms | peak RSS MiB | × best peer RSS | max fds | max emulator connections | connections opened | errors |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (lang, cl, kind, _) in rows:
        r = results[f"{lang}/{cl}"].get(INFLIGHT, {})
        if "rps" not in r:
            why = r.get("skipped") or r.get("error") or "not run"
            lines.append(f"| {R.LANG_TITLES[lang]} | {label(kind, cl)} | {'skipped' if 'skipped' in r else '**failed**'}: "
                         f"{why[:160]} | | | | | | | | | | | |")
            continue
        lines.append(
            f"| {R.LANG_TITLES[lang]} | {label(kind, cl)} | {r['seconds']:.2f} | {R.fmt(r.get('wall_s'), '.2f')} | "
            f"{r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {R.fmt(r.get('rss_mib'), '.0f')} | "
            f"{R.fmt(r.get('ratio_best_peer_rss'), '.2f')} | {r.get('max_fds', '–')} | "
            f"{r.get('max_emulator_connections', '–')} | {opened(r)} | {r.get('errors', 0)} |")
    lines.append("")
    # Ours retry: a call that failed and then succeeded is not an error but is a second request.
    extra = []
    for (lang, cl, _, _) in rows:
        if lang == "limit":
            continue
        for lv, r in results[f"{lang}/{cl}"].items():
            if "rps" in r and r.get("refold_requests") is not None:
                sent = r["n"] + (0 if lv == INFLIGHT else doc["warmup"])
                if r["refold_requests"] != sent:
                    extra.append(f"{lang}/{cl} at {lv}: {r['refold_requests']:,} requests for {sent:,} calls")
    lines += ["Requests the emulator answered per run: " + ("exactly one per call in every run (no retries)."
              if not extra else "not one per call in " + "; ".join(extra) + "."), ""]
    for e in doc.get("emulator_exits", []):
        lines += [f"**The emulator exited** (code {e['returncode']}) during {e['client']} at {e['level']}; "
                  "a fresh one served the runs after it.", ""]
    if failures:
        lines += ["### Failed processes", ""]
        for name, lv, r in failures:
            lines.append(f"- {name} at {lv}: `{r['error'][-300:]}`")
        lines.append("")
    samples = [(f"{lang}/{cl}", lv, r["error_sample"]) for (lang, cl, _, _) in rows
               for lv, r in results[f"{lang}/{cl}"].items() if r.get("error_sample")]
    if samples:
        lines += ["### The first failures each client reported", ""]
        for name, lv, text in samples:
            lines.append(f"- {name} at {lv}: `{' / '.join(text.splitlines()[-3:])[:300]}`")
        lines.append("")
    lines += ["## Targets", "", "| client | target | met | measured |", "| --- | --- | --- | --- |"]
    for t in doc["targets"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['client']} | {t['target']} | {met} | {t['detail']} |")
    lines += ["", "## Builds measured", "", "| what | built (mtime, UTC) | path |", "| --- | --- | --- |"]
    for what, a in doc.get("artifacts", {}).items():
        lines.append(f"| {what} | {a['mtime_utc']} | `{a['path']}` |")
    lines += ["", "## Clients", "", "| language | client | configuration |", "| --- | --- | --- |"]
    for (lang, cl, kind, what) in rows:
        lines.append(f"| {R.LANG_TITLES[lang]} | {label(kind, cl)} | {what} |")
    path.write_text("\n".join(lines) + "\n")


def write_chart(doc, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    colors = {"limit": "#7f7f7f", "rust": "#b7410e", "node": "#3c873a", "python": "#3776ab", "jvm": "#e76f00"}
    langs = ["rust", "node", "python", "jvm"]
    levels, n = doc["levels"], doc["inflight"]
    xs = [*levels, n]
    fig, axes = plt.subplots(2, len(langs), figsize=(16, 7.5), squeeze=False)
    for col, lang in enumerate(langs):
        members = [x for x in SCALE_CLIENTS if x[0] in (lang, "limit" if lang == "rust" else lang)
                   and f"{x[0]}/{x[1]}" in doc["results"]]
        for row, (key, ylabel) in enumerate([("rps", "requests/s"), ("rss_mib", "peak RSS MiB")]):
            ax = axes[row, col]
            ours_seen = 0
            for (lg, cl, kind, _) in members:
                pts = [(x, (get(doc["results"], lg, cl, lv) or {}).get(key))
                       for x, lv in zip(xs, [*levels, INFLIGHT])]
                pts = [(x, y) for x, y in pts if y]
                if not pts:
                    continue
                style = "-" if kind == "ours" else "--" if kind == "peer" else ":"
                color = colors[lg] if kind == "ours" else "#444444" if kind == "peer" else colors["limit"]
                marker = "o"
                if kind == "ours":
                    marker = "os^"[ours_seen % 3]  # a second binding style of the same language
                    style = ["-", "-."][min(ours_seen, 1)]
                    ours_seen += 1
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker=marker, color=color,
                        label=("ours: " if kind == "ours" else "") + cl, linewidth=2 if kind == "ours" else 1.2)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(xs)
            ax.set_xticklabels([f"{x:,}" for x in levels] + [f"{n:,}\nat once"], fontsize=7)
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
            ax.grid(alpha=0.3)
            ax.set_ylabel(ylabel, fontsize=8)
            if row == 0:
                ax.set_title(R.LANG_TITLES[lang], fontsize=10)
            else:
                ax.set_xlabel("concurrency (calls in flight)", fontsize=8)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
    m = doc["machine"]
    busy = " — BUSY MACHINE" if (m["other_builds_running_at_start"] or m["loadavg_at_start"][0] > 1.0) else ""
    fig.suptitle(f"refold-session scaling: req/s and peak RSS against concurrency (log scales) — "
                 f"{m['cores']} cores, {m['date_utc']}, N={doc['n']:,}{busy}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=int(os.environ.get("N", 20000)))
    ap.add_argument("--levels", default="1,16,64,256,1024")
    ap.add_argument("--inflight", type=int, default=10000, help="calls started at once (0: skip)")
    ap.add_argument("--warmup", type=int, default=None, help="default: N/5, at most 5000")
    ap.add_argument("--only", default="", help="comma-separated lang/client or lang names")
    ap.add_argument("--out", default=str(R.BENCH / "results"))
    ap.add_argument("--tag", default="scale")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per client and level; the run with the median req/s is reported")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",") if x]
    warmup = args.warmup if args.warmup is not None else max(50, min(5000, args.n // 5))
    only = {x for x in args.only.split(",") if x}
    selected = [x for x in SCALE_CLIENTS if not only or x[0] in only or f"{x[0]}/{x[1]}" in only]
    doc = {"n": args.n, "warmup": warmup, "repeat": max(1, args.repeat), "levels": levels, "inflight": args.inflight,
           "machine": R.machine(), "artifacts": artifacts(), "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE),
           "clients": [{"language": lg, "client": cl, "kind": k, "what": w} for (lg, cl, k, w) in selected],
           "results": {}}
    if doc["machine"]["other_builds_running_at_start"]:
        R.log(f"warning: other builds are running ({doc['machine']['other_builds_running_at_start']}); "
              "numbers will be noisy")
    emulator, url = R.start_emulator()
    R.log(f"emulator at {url}; ulimit -n {doc['nofile_limit']}")
    try:
        for (lang, cl, kind, _) in selected:
            per = doc["results"].setdefault(f"{lang}/{cl}", {})
            runs = [(c, args.n, c, warmup) for c in levels]
            if args.inflight:
                runs.append((INFLIGHT, args.inflight, args.inflight, 0))
            for (level, n, c, w) in runs:
                tries = []
                for _ in range(doc["repeat"]):
                    try:
                        r = run_level(lang, cl, kind, url, emulator, n, c, w)
                    except Exception as exc:  # noqa: BLE001 - recorded; the other runs go on
                        r = {"error": f"harness: {exc!r}"[:400]}
                    if emulator.poll() is not None:
                        # Recorded, then a fresh emulator for the remaining runs.
                        r.setdefault("error", "")
                        r["error"] += f" (the emulator exited with {emulator.returncode} during this run)"
                        doc.setdefault("emulator_exits", []).append(
                            {"client": f"{lang}/{cl}", "level": str(level), "returncode": emulator.returncode})
                        emulator, url = R.start_emulator()
                        R.log(f"the emulator had exited; restarted at {url}")
                    tries.append(r)
                    if "skipped" in r:
                        break
                ok = [x for x in tries if "rps" in x]
                # The median run of R, as in run.py: one lucky or unlucky run moves nothing.
                r = sorted(ok, key=lambda x: x["rps"])[len(ok) // 2] if ok else tries[0]
                if len(ok) > 1:
                    r["runs_rps"] = [round(x["rps"], 1) for x in ok]
                per[str(level)] = r
                if "rps" in r:
                    R.log(f"{lang:6} {cl:16} {level!s:>8} {r['rps']:>9,.0f} /s  p99 {r['p99_ms']:,.1f} ms  "
                          f"rss {R.fmt(r.get('rss_mib'), '.0f')} MiB  fds {r.get('max_fds')}  "
                          f"emulator conns {r.get('max_emulator_connections')}  opened {r.get('connections_opened')}  errors {r.get('errors')}  "
                          f"seconds {r.get('seconds', 0):.2f}")
                else:
                    R.log(f"{lang:6} {cl:16} {level!s:>8} {r}")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    doc["targets"] = analyse(doc)
    doc["machine"]["other_builds_running_at_end"] = R.busy_processes()
    doc["machine"]["loadavg_at_end"] = os.getloadavg()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.tag}.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
    write_markdown(doc, out / f"{args.tag}.md")
    write_chart(doc, out / f"{args.tag}.png")
    R.log(f"wrote {out / args.tag}.json, .md, .png")
    print((out / f"{args.tag}.md").read_text())


if __name__ == "__main__":
    main()
