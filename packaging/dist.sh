#!/usr/bin/env bash
# packaging/dist.sh [PLATFORM...]: `make dist`: every package for every given Linux platform (default:
# linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl) into dist/out/:
#   cli/refold-<platform>                      the `refold` CLI (musl: static)
#   npm/refold-session-<platform>-<v>.tgz      napi-rs platform packages, + the main package
#   python/refold_session-<v>-cp39-abi3-*.whl  manylinux2014 / musllinux_1_2 wheels
#   maven/refold-session-<v>.jar (+ .pom)      one jar: linux-x86-64/ and linux-aarch64/
#   SHA256SUMS
# Builds go to target-dist/ (never the shared target/), niced.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
PLATFORMS=("$@"); [[ ${#PLATFORMS[@]} -gt 0 ]] || PLATFORMS=(linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl)
D="$DIST_ROOT/packaging"
bash "$D/toolchain.sh" build
# Per platform outputs are replaced; other platforms' outputs from an earlier run stay.
mkdir -p "$DIST_OUT"
for p in "${PLATFORMS[@]}"; do
  bash "$D/build-rust.sh" "$p"
  bash "$D/build-wheel.sh" "$p"
done
bash "$D/pack-node.sh" "${PLATFORMS[@]}"
# The jar: the Kotlin bindings are generated from the linux-x64-gnu library by uniffi-bindgen
# (host); every built glibc platform's library goes in.
if [[ " ${PLATFORMS[*]} " == *" linux-x64-gnu "* ]]; then
  # Its own target dir: a plain cargo build in the zig builds' dir reruns their build scripts.
  CARGO_TARGET_DIR="$DIST_TARGET_DIR/bindgen" "${DIST_NICE[@]}" "$DIST_CARGO" build --release --locked -p uniffi-bindgen-kotlin
  bash "$D/build-jar.sh"
else
  dist_log "jar skipped: it needs linux-x64-gnu (the library the Kotlin sources are generated from)"
fi
(cd "$DIST_OUT" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
cat "$DIST_OUT/SHA256SUMS"
