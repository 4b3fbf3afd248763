#!/usr/bin/env bash
# Runs the core's property tests (core/src/properties.rs) with many cases, in rounds with fresh
# random seeds, until FUZZ_SECONDS have passed; prints how many inputs were executed.
#   scripts/fuzz.sh [SECONDS]        (make fuzz FUZZ_SECONDS=600)
# A failure stops at once, prints proptest's minimal failing input and exits non-zero;
# proptest records its seed in core/proptest-regressions/ so `cargo test` replays it forever.
set -euo pipefail
seconds=${1:-300}
cases=${FUZZ_CASES_PER_ROUND:-20000}
cargo=${CARGO:-cargo}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Release: ~10x the executions per second of a debug build.
$cargo test -p refold-session --lib --release --locked --no-run -q 2>/dev/null
properties=$($cargo test -p refold-session --lib --release --locked -q -- --list properties:: 2>/dev/null | grep -c ': test$')
deadline=$(( $(date +%s) + seconds ))
rounds=0
while [ "$(date +%s)" -lt "$deadline" ]; do
  PROPTEST_CASES=$cases $cargo test -p refold-session --lib --release --locked -q properties:: >/tmp/refold-fuzz.log 2>&1 \
    || { cat /tmp/refold-fuzz.log; echo "fuzz: FAILED in round $((rounds + 1))"; exit 1; }
  rounds=$((rounds + 1))
done
echo "fuzz: $properties properties x $cases cases x $rounds rounds = $((properties * cases * rounds)) inputs in ${seconds}s, 0 failures"
