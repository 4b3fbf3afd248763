#!/usr/bin/env bash
# packaging/toolchain.sh: installs every pinned tool `make dist` / `make dist-test` use, when missing.
#   Debian (bookworm; versions in scripts/debian-pins.txt, installed by scripts/debian-packages.sh,
#   which falls back with a warning when Debian no longer serves a pin): Debian's Rust 1.96 with
#   the arm64 std, the arm64 gcc, the std source for musl (-Zbuild-std), qemu-user, and the arm64
#   runtime libraries the emulated smoke tests load (multiarch, at the native copies' versions).
#   PyPI (a venv in target-dist/tools/venv): maturin, ziglang, cargo-zigbuild.
# Idempotent and quick when everything is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

DEBS_BUILD=(
  rustc-web cargo-web libstd-rust-web-dev:amd64 libstd-rust-web-dev:arm64 rust-web-src
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
)
# The emulated tests: qemu-user and the arm64 shared libraries that node, python3.11 and
# openjdk-17 need (the programs themselves are unpacked by packaging/sysroot-arm64.sh, since they
# are not co-installable with the amd64 ones).
DEBS_TEST=(
  qemu-user libc6:arm64 libstdc++6:arm64 libgcc-s1:arm64 libatomic1:arm64 zlib1g:arm64
  libexpat1:arm64 libffi8:arm64 libssl3:arm64 musl:arm64
)
PIP_PINS=(maturin==1.16.0 ziglang==0.17.0 cargo-zigbuild==0.24.0)

case "${1:-build}" in
  build) DEBS=("${DEBS_BUILD[@]}") ;;
  test) DEBS=("${DEBS_TEST[@]}") ;;
esac

# (scripts/debian-packages.sh refreshes apt's lists when the arm64 ones are missing.)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dist_log "dpkg --add-architecture arm64"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO dpkg --add-architecture arm64
fi
bash "$DIST_ROOT/scripts/debian-packages.sh" install "${DEBS[@]}" >&2

# maturin (and cargo-zigbuild) call plain `cargo`: give them Debian's, not rustup's.
mkdir -p "$DIST_BIN"
ln -sf /usr/bin/cargo "$DIST_BIN/cargo"
ln -sf /usr/bin/rustc "$DIST_BIN/rustc"
ln -sf /usr/bin/rustdoc "$DIST_BIN/rustdoc"

VENV="$DIST_TOOLS/venv"
STAMP="$VENV/.pins-$(printf '%s ' "${PIP_PINS[@]}" | md5sum | cut -c1-12)"
if [[ ! -f "$STAMP" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q "${PIP_PINS[@]}"
  touch "$STAMP"
fi
