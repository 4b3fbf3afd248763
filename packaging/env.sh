# Sourced by every packaging/ script: one pinned toolchain for every Linux platform, paths, helpers.
# Rust: Debian's rustc-web/cargo-web (rustup's download server is not reachable, so `rustup
# target add` cannot fetch another target's standard library; Debian ships the arm64 one as a
# multiarch package and the std source for -Zbuild-std). Pinned in scripts/debian-pins.txt.
DIST_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST_TARGET_DIR="${DIST_TARGET_DIR:-$DIST_ROOT/target-dist}"   # never the shared target/
DIST_OUT="${DIST_OUT:-$DIST_ROOT/dist/out}"
DIST_TOOLS="$DIST_TARGET_DIR/tools"                            # venv (maturin, zig), sysroots
export CARGO_TARGET_DIR="$DIST_TARGET_DIR"
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc  # rustdoc too: doctests of the aarch64 run
DIST_CARGO=/usr/bin/cargo
export CARGO_TERM_COLOR=never
# Builds are heavy: never starve the other users of a 2-core machine.
DIST_NICE=(nice -n 19)
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# Debian's cargo/rustc first on PATH for tools that call `cargo` themselves (maturin).
DIST_BIN="$DIST_TOOLS/bin"
export PATH="$DIST_BIN:$DIST_TOOLS/venv/bin:$PATH"

# platform name (napi-rs spelling) -> Rust target triple
dist_triple() {
  case "$1" in
    linux-x64-gnu) echo x86_64-unknown-linux-gnu ;;
    linux-arm64-gnu) echo aarch64-unknown-linux-gnu ;;
    linux-x64-musl) echo x86_64-unknown-linux-musl ;;
    linux-arm64-musl) echo aarch64-unknown-linux-musl ;;
    *) echo "dist: unknown platform $1" >&2; return 1 ;;
  esac
}

dist_log() { printf 'dist: %s\n' "$*" >&2; }

# Copies a built ELF without its debug info (the release profile keeps line tables in
# target-dist/). The host objcopy reads x86-64 only: arm64 files go through the cross binutils.
dist_strip() { # src dst
  local objcopy=objcopy
  if file -L "$1" | grep -q 'ARM aarch64'; then objcopy=aarch64-linux-gnu-objcopy; fi
  "$objcopy" --strip-debug "$1" "$2.tmp" && mv -f "$2.tmp" "$2"
}

# Where a platform's release cdylibs are. The musl addons build in their own dir: their builds
# set RUSTC_BOOTSTRAP=1 (for -Zbuild-std), which build scripts such as proc-macro2's watch, so
# sharing the host build dependencies with the glibc builds would rebuild them on every switch.
dist_libdir() { # platform
  local triple; triple="$(dist_triple "$1")" || return 1
  case "$1" in
    *-musl) echo "$DIST_TARGET_DIR/musl/$triple/release" ;;
    *) echo "$DIST_TARGET_DIR/$triple/release" ;;
  esac
}
