#!/usr/bin/env bash
# dist/test-core-arm64.sh: the core's and the emulator's own test suites (cargo test, with the
# core's test hooks as in `make test`), built for aarch64-unknown-linux-gnu by Debian's rustc and
# run under qemu-aarch64 (cargo's target runner). The fleet-store tests start the host's
# redis-server (`make redis-deps`) on loopback, as in `make test`.
# A debug build for aarch64 in target-dist/ (niced); the first run compiles the dependency tree.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$DIST_ROOT/dist/toolchain.sh" build
bash "$DIST_ROOT/dist/toolchain.sh" test
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
  CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64
cd "$DIST_ROOT"
"${DIST_NICE[@]}" "$DIST_CARGO" test --locked --target aarch64-unknown-linux-gnu \
  -p refold-session -p refold-emulator --features refold-session/test-hooks "$@"
