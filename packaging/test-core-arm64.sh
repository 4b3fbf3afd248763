#!/usr/bin/env bash
# packaging/test-core-arm64.sh: the core's and the emulator's own test suites (cargo test, with the
# core's test hooks as in `make test`), built for aarch64-unknown-linux-gnu by Debian's rustc and
# run under qemu-aarch64 (cargo's target runner). The fleet-store tests start the host's
# redis-server (`make redis-deps`) on loopback, as in `make test`.
# A debug build for aarch64 in target-dist/ (niced); the first run compiles the dependency tree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$DIST_ROOT/packaging/toolchain.sh" build
bash "$DIST_ROOT/packaging/toolchain.sh" test
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
  CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64
cd "$DIST_ROOT"
# Skipped under emulation, with the reason:
#   four_processes_mint_once_per_account_and_leave_nothing_readable (core/tests/store.rs): 800
#   concurrent mints through four clients sharing Redis must cause exactly 200 mints; under
#   qemu-user every Redis round trip of the (10-50x slower) client overruns the store's timeout,
#   the clients fall back to minting directly (store_errors > 0 in its output) and the count is
#   ~390. That is the store's documented fallback at work, not an arm64 fault; it passes natively.
SKIP=(--skip four_processes_mint_once_per_account_and_leave_nothing_readable)
"${DIST_NICE[@]}" "$DIST_CARGO" test --locked --no-fail-fast --target aarch64-unknown-linux-gnu \
  -p refold-session -p refold-emulator --features refold-session/test-hooks "$@" -- "${SKIP[@]}"
