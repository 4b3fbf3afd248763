#!/usr/bin/env bash
# packaging/toolchain.sh: installs every pinned tool `make dist` / `make dist-test` use, when missing.
#   Debian (exact versions, bookworm): Debian's Rust 1.96 with the arm64 std, the arm64 gcc,
#   the std source for musl (-Zbuild-std), qemu-user, and the arm64 runtime libraries the
#   emulated smoke tests load (multiarch).
#   PyPI (a venv in target-dist/tools/venv): maturin, ziglang, cargo-zigbuild.
# Idempotent and quick when everything is there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

RUST_DEB=1.96.0+dfsg1-1~deb12u2
DEBS_BUILD=(
  rustc-web=$RUST_DEB cargo-web=$RUST_DEB libstd-rust-web-dev:amd64=$RUST_DEB
  libstd-rust-web-dev:arm64=$RUST_DEB rust-web-src=$RUST_DEB
  gcc-aarch64-linux-gnu=4:12.2.0-3 libc6-dev-arm64-cross=2.36-8cross1
)
# The emulated tests: qemu-user and the arm64 shared libraries that node, python3.11 and
# openjdk-17 need (the programs themselves are unpacked by packaging/sysroot-arm64.sh, since they
# are not co-installable with the amd64 ones).
DEBS_TEST=(
  qemu-user=1:7.2+dfsg-7+deb12u18+b3
  libc6:arm64=2.36-9+deb12u14 libstdc++6:arm64=12.2.0-14+deb12u1 libgcc-s1:arm64=12.2.0-14+deb12u1
  zlib1g:arm64=1:1.2.13.dfsg-1 libexpat1:arm64=2.5.0-1+deb12u5 libffi8:arm64=3.4.4-1
  libssl3:arm64=3.0.22-1~deb12u2 libatomic1:arm64=12.2.0-14+deb12u1 musl:arm64=1.2.3-1
)
PIP_PINS=(maturin==1.16.0 ziglang==0.17.0 cargo-zigbuild==0.24.0)

case "${1:-build}" in
  build) DEBS=("${DEBS_BUILD[@]}") ;;
  test) DEBS=("${DEBS_TEST[@]}") ;;
esac

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dist_log "dpkg --add-architecture arm64"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
fi
bash "$DIST_ROOT/scripts/ensure-debian-packages.sh" "${DEBS[@]}"

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
