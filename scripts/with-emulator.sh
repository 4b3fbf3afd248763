#!/usr/bin/env bash
# Runs a command against a fresh emulator on a free loopback port, then stops the emulator.
#   scripts/with-emulator.sh [emulator flags…] -- command [args…]
# The command sees REFOLD_EMULATOR_URL and REFOLD_BASE_URL (the emulator's http://127.0.0.1:PORT)
# and REFOLD_API_KEY (the first --api-key given, else "emulator-key"). Without a --rate-limit flag
# the emulator runs without Refold's rate limit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REFOLD_BIN="${REFOLD_BIN:-$ROOT/target/debug/refold}"

flags=()
api_key="emulator-key"
# Refold's rate limit is off unless a --rate-limit flag is given: tests and smoke checks run here.
rate_limit=(--rate-limit off)
while [[ $# -gt 0 && "$1" != "--" ]]; do
  if [[ "$1" == "--api-key" && $# -ge 2 && "$api_key" == "emulator-key" ]]; then api_key="$2"; fi
  [[ "$1" == --rate-limit* ]] && rate_limit=()
  flags+=("$1"); shift
done
[[ "${1:-}" == "--" ]] && shift
[[ $# -gt 0 ]] || { echo "usage: $0 [emulator flags…] -- command [args…]" >&2; exit 64; }

log="$(mktemp)"
"$REFOLD_BIN" emulator --addr 127.0.0.1:0 "${rate_limit[@]}" "${flags[@]}" >"$log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 200); do
  url="$(sed -n 's/^listening on //p' "$log" | head -n1)"
  [[ -n "$url" ]] && break
  kill -0 "$emulator_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.05
done
[[ -n "${url:-}" ]] || { echo "emulator did not start" >&2; cat "$log" >&2; exit 1; }

export REFOLD_EMULATOR_URL="$url" REFOLD_BASE_URL="$url" REFOLD_API_KEY="$api_key"
"$@"
