"""A/B of ours on the JVM: the current binding jar against a prototype build (see
kotlin-one-record.patch), with OkHttp for scale. Needs a running release emulator.

    URL=http://127.0.0.1:PORT PROTO_CP='/path/classes:/path/lib/*' \
        bench/.venv/bin/python bench/profile/jvm_ab.py [N]
"""

import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))
import run  # noqa: E402

url = os.environ["URL"]
current = ["java", "-cp", f"{BENCH}/jvm/target/classes:{BENCH}/jvm/target/lib/*:{BENCH}/.build/refold-session-release.jar",
           "bench.MainKt"]
proto = ["java", "-cp", os.environ["PROTO_CP"], "bench.MainKt"]
n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
warmup = 4000
for rep in range(2):
    for c in (1, 64):
        for client in ("ours-coroutines", "ours-blocking", "okhttp"):
            for name, base in (("current", current), ("proto", proto)):
                if client == "okhttp" and name == "proto":
                    continue
                cmd = base + ["--client", client, "--url", url, "--key", "bench-key", "--n", str(n),
                              "--concurrency", str(c), "--warmup", str(warmup), "--prefix", f"ab-{name}-{client}-{c}-{rep}"]
                out, err, rc, rss, cpu, wall = run.measure(cmd, None)
                d = run.parse_bench_json(out)
                if not d:
                    print(name, client, c, "FAILED", err[-300:])
                    continue
                print(f"rep{rep} c={c:<3} {client:16} {name:8} {d['rps']:8.0f} req/s  p50 {d['p50_ms']:6.2f}  "
                      f"p99 {d['p99_ms']:7.2f} ms  cpu {cpu / (n + warmup) * 1e6:6.0f} us/req  rss {rss:5.0f} MiB", flush=True)
