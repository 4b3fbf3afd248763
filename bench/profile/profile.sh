#!/usr/bin/env bash
# The profiles behind bench/README.md's "Causes" section, against a release emulator.
# Run after bench/prepare.sh (make bench-prepare). Outputs go to bench/.build/profile/.
#   bench/profile/profile.sh rust|jvm|python-import|all
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
REL="${CARGO_TARGET_DIR:-$ROOT/target}/release"
OUT="$BENCH/.build/profile"
mkdir -p "$OUT"
N="${N:-20000}"

log="$(mktemp)"
# Profiles measure the clients, not Refold's rate limit (on by default in the emulator).
"$REL/refold" emulator --addr 127.0.0.1:0 --any-linked-account --api-key bench-key --rate-limit off >"$log" 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do grep -q listening "$log" && break; sleep 0.05; done
URL="$(sed -n 's/^listening on //p' "$log")"
common=(--url "$URL" --key bench-key --n "$N" --concurrency 64 --warmup 5000)

what="${1:-all}"
if [[ "$what" == rust || "$what" == all ]]; then
  # CPU profile of the core at c=64 (DWARF unwinding; the release profile keeps line tables).
  perf record -F 1000 --call-graph dwarf,16384 -o "$OUT/rust.perf.data" \
    "$REL/refold-bench-rust" "${common[@]}" >/dev/null 2>&1
  perf report -i "$OUT/rust.perf.data" --children --sort sym -g none 2>/dev/null |
    grep -v '^#' | head -80 >"$OUT/rust.children.txt"
  echo "rust: $OUT/rust.children.txt"
fi
if [[ "$what" == jvm || "$what" == all ]]; then
  CP="$BENCH/jvm/target/classes:$BENCH/jvm/target/lib/*:$BENCH/.build/refold-session-release.jar"
  for client in ours-coroutines ours-blocking okhttp; do
    java -XX:StartFlightRecording=filename="$OUT/$client.jfr",settings=profile -cp "$CP" \
      bench.MainKt --client "$client" "${common[@]}" | grep BENCH_JSON
    jfr print --events jdk.ExecutionSample "$OUT/$client.jfr" >"$OUT/$client.samples.txt"
    python3 "$BENCH/profile/jfr_top.py" "$OUT/$client.samples.txt" 30 >"$OUT/$client.top.txt"
    echo "jvm: $OUT/$client.top.txt"
  done
fi
if [[ "$what" == python-import || "$what" == all ]]; then
  "$BENCH/.venv/bin/python" -X importtime -c 'import refold_session' 2>"$OUT/python-importtime.txt"
  sort -t'|' -k2 -n "$OUT/python-importtime.txt" | tail -20
fi
