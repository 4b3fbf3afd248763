#!/usr/bin/env bash
# Maven's generate-sources step (see pom.xml): make sure the workspace's cargo build is there,
# generate the Kotlin bindings from the built library with the workspace's own uniffi-bindgen,
# and stage the library as a JNA classpath resource (linux-x86-64/librefold_session_kotlin.so).
#
# The build is the root Makefile's `build` target itself (the workspace's debug build with the
# test features), so after `make build` it is a no-op and Maven never compiles the workspace a
# second time with other features or profile. REFOLD_SKIP_CARGO=1 skips it (the Makefile sets
# it, having just built).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$HERE/target"

if [[ "${REFOLD_SKIP_CARGO:-0}" != "1" ]]; then
  make -C "$ROOT" --no-print-directory build CARGO_TARGET_DIR="$TARGET_DIR"
fi

LIB="$TARGET_DIR/debug/librefold_session_kotlin.so"
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"
for file in "$LIB" "$BINDGEN"; do
  [[ -f "$file" ]] || { echo "generate.sh: $file is missing; run 'make build' first" >&2; exit 1; }
done

case "$(uname -m)" in
  x86_64 | amd64) JNA_PREFIX=linux-x86-64 ;;
  aarch64 | arm64) JNA_PREFIX=linux-aarch64 ;;
  *) echo "generate.sh: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac

GENERATED="$OUT/generated-sources/uniffi"
rm -rf "$GENERATED"
"$BINDGEN" generate "$LIB" --language kotlin --no-format \
  --config "$HERE/uniffi-bindgen.toml" --out-dir "$GENERATED"

# The jar carries the library without its debug info (the uniffi metadata was read above).
NATIVE="$OUT/native/$JNA_PREFIX"
mkdir -p "$NATIVE"
if command -v objcopy >/dev/null; then
  objcopy --strip-debug "$LIB" "$NATIVE/librefold_session_kotlin.so.tmp"
else
  cp "$LIB" "$NATIVE/librefold_session_kotlin.so.tmp"
fi
mv -f "$NATIVE/librefold_session_kotlin.so.tmp" "$NATIVE/librefold_session_kotlin.so"
echo "generate.sh: Kotlin bindings in ${GENERATED#"$HERE"/}, native library in ${NATIVE#"$HERE"/}"
