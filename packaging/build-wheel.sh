#!/usr/bin/env bash
# packaging/build-wheel.sh PLATFORM: the release cp39-abi3 wheel of bindings-python for one Linux
# platform, into dist/out/python/, by the pinned maturin (packaging/toolchain.sh) with Debian's cargo.
#   linux-*-gnu:  --compatibility manylinux2014 (glibc 2.17) through zig (maturin --zig links
#                 against glibc 2.17 stubs; with Debian's gcc and glibc 2.36 the library needs
#                 stat64@GLIBC_2.33 and the tag would be manylinux_2_34). maturin's own
#                 auditwheel check refuses the tag if any symbol needs a newer glibc.
#   linux-*-musl: musllinux_1_2 through zig (maturin --zig) with -Zbuild-std.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
PLATFORM="$1"; TRIPLE="$(dist_triple "$PLATFORM")"
DEST="$DIST_OUT/python"; mkdir -p "$DEST"
# Its own target dir: maturin's cargo invocation differs from cargo-zigbuild's in ways that
# change every unit's fingerprint (even host build dependencies), so sharing target-dist/ would
# rebuild the whole tree twice per run.
# musl wheels apart again (their RUSTC_BOOTSTRAP=1 dirties the host build dependencies).
export CARGO_TARGET_DIR="$DIST_TARGET_DIR/wheel"
[[ "$PLATFORM" == *-musl ]] && CARGO_TARGET_DIR="$DIST_TARGET_DIR/wheel-musl"
ARGS=(build --release --locked --target "$TRIPLE" --out "$DEST" -m "$DIST_ROOT/bindings-python/Cargo.toml")
case "$PLATFORM" in
  *-gnu)
    ARGS+=(--compatibility manylinux2014 --zig) ;;
  *-musl)
    export RUSTC_BOOTSTRAP=1
    ARGS+=(--compatibility musllinux_1_2 --zig -Zbuild-std=std,panic_abort) ;;
esac
dist_log "$PLATFORM: maturin ${ARGS[*]}"
"${DIST_NICE[@]}" maturin "${ARGS[@]}"
