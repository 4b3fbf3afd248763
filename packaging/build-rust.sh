#!/usr/bin/env bash
# packaging/build-rust.sh PLATFORM: the release native pieces of one Linux platform, in target-dist/:
#   the `refold` CLI, the Node addon (cdylib) and the Kotlin/JNA library (cdylib).
# (The Python extension is built by maturin in packaging/build-wheel.sh.)
#   gnu:  Debian's rustc with the target's std from libstd-rust-web-dev:<arch>; zig (through
#         cargo-zigbuild) as C compiler (aws-lc-sys) and linker, against glibc 2.17.
#   musl: no musl std is packaged: -Zbuild-std from rust-web-src (RUSTC_BOOTSTRAP), zig as C
#         compiler and linker through cargo-zigbuild (zig ships musl libc and libunwind for both
#         arches). The CLI is linked fully static (+crt-static); the addons are cdylibs, which
#         need -crt-static (a dynamic musl libc, as on Alpine), so the CLI builds in a second
#         dir (target-dist/static) to keep both trees' fingerprints, and the addons in
#         target-dist/musl (RUSTC_BOOTSTRAP would otherwise dirty the glibc builds' host deps).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
PLATFORM="$1"; TRIPLE="$(dist_triple "$PLATFORM")"
T_UP="$(echo "$TRIPLE" | tr 'a-z-' 'A-Z_')"; T_LOW="${TRIPLE//-/_}"
cd "$DIST_ROOT"

case "$PLATFORM" in
  *-gnu)
    # glibc 2.17 floor (manylinux2014, what napi-rs and PyPI packages target): zig links against
    # glibc 2.17 stubs (the `.2.17` suffix); Debian's gcc would link against its glibc 2.36 and
    # the result would need GLIBC_2.34 (stat64@2.33, ...). Same route as the wheels.
    dist_log "$PLATFORM: cargo-zigbuild --release --target $TRIPLE.2.17 (cli, node, kotlin)"
    "${DIST_NICE[@]}" cargo-zigbuild zigbuild --release --locked --target "$TRIPLE.2.17" \
      -p refold-cli -p refold-session-node -p refold-session-kotlin
    ;;
  *-musl)
    export RUSTC_BOOTSTRAP=1
    BUILD_STD=(-Zbuild-std=std,panic_abort)
    # The std built here has no self-contained crt objects (rustup's musl std ships them): the
    # final link gets -C link-self-contained=no (only that crate, via `cargo rustc`, so the
    # dependency tree is not rebuilt) and zig supplies crt1/rcrt1, musl libc and libunwind.
    zig_rustc() { # target-dir, crt-static sign, cargo rustc selection...
      local dir="$1" crt="$2"; shift 2
      env CARGO_TARGET_DIR="$dir" "CARGO_TARGET_${T_UP}_RUSTFLAGS=-C target-feature=${crt}crt-static" \
        "${DIST_NICE[@]}" cargo-zigbuild rustc "${BUILD_STD[@]}" --release --locked --target "$TRIPLE" \
        "$@" -- -C link-self-contained=no
    }
    dist_log "$PLATFORM: static CLI (cargo-zigbuild rustc -Zbuild-std, +crt-static)"
    zig_rustc "$DIST_TARGET_DIR/static" + -p refold-cli --bin refold
    dist_log "$PLATFORM: addons (cargo-zigbuild rustc -Zbuild-std, -crt-static: dynamic musl libc)"
    zig_rustc "$DIST_TARGET_DIR/musl" - -p refold-session-node --lib
    zig_rustc "$DIST_TARGET_DIR/musl" - -p refold-session-kotlin --lib
    ;;
esac

# The CLI, without debug info, as dist/out/cli/refold-<platform>.
CLI_DIR="$DIST_TARGET_DIR"; [[ "$PLATFORM" == *-musl ]] && CLI_DIR="$DIST_TARGET_DIR/static"
mkdir -p "$DIST_OUT/cli"
dist_strip "$CLI_DIR/$TRIPLE/release/refold" "$DIST_OUT/cli/refold-$PLATFORM"
dist_log "cli: $DIST_OUT/cli/refold-$PLATFORM"
