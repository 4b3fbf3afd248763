#!/usr/bin/env bash
# packaging/test-musl.sh: the musl packages of dist/out/. No musl Node or CPython can be had from the
# reachable registries (npm's node-linux-* and PyPI ship glibc builds only; Alpine's packages are
# not reachable), so the addons are checked by inspection and by loading them with musl's own
# dynamic loader (Debian's musl / musl:arm64):
#   cli      static (no PT_INTERP, no NEEDED); x86_64 runs natively, aarch64 under qemu-aarch64:
#            mints against the emulator, exit 4 for an unknown account
#   node     .node: NEEDED only libc.so (musl's soname), no GLIBC_* symbol versions; loaded by
#            ld-musl via dlopen (napi's dyn-symbols resolve N-API at run time, so no Node needed)
#            and napi_register_module_v1 found
#   python   wheel tag musllinux_1_2_<arch>, cp39-abi3; its .so: NEEDED only libc.so, no GLIBC_*
#   kotlin   the musl library: same checks + dlopen + a uniffi symbol (not in the jar: see README)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$DIST_ROOT/packaging/toolchain.sh" test
WORK="$DIST_TARGET_DIR/musl-test"; rm -rf "$WORK"; mkdir -p "$WORK"
HOST_CLI="${DIST_HOST_CLI:-$DIST_TARGET_DIR/x86_64-unknown-linux-gnu/release/refold}"
export REFOLD_BIN="$HOST_CLI"
EMULATOR=(bash "$DIST_ROOT/scripts/with-emulator.sh" --api-key demo-key --linked-account demo-user --)
VERSION="$(node -p "require('$DIST_ROOT/bindings-node/package.json').version")"
passed=0; failed=0
check() { # description, command...
  local what="$1"; shift
  if "$@" >"$WORK/last.log" 2>&1; then passed=$((passed + 1)); echo "ok - $what"
  else failed=$((failed + 1)); echo "not ok - $what"; sed 's/^/    /' "$WORK/last.log"; fi
}
only_musl_libc() { # library: NEEDED is libc.so at most, no glibc symbol versions
  local needed; needed="$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  echo "NEEDED: ${needed:-none}"
  [[ -z "$(echo "$needed" | tr ' ' '\n' | grep -v '^libc.so$' | grep .)" ]] || return 1
  ! readelf -V "$1" | grep -q 'GLIBC_'
}
is_static() { # executable: no interpreter, no NEEDED
  file -L "$1"; ! readelf -l "$1" | grep -q 'Requesting program interpreter' && ! readelf -d "$1" | grep -q NEEDED
}
mints() { # runner...: the CLI mints for demo-user and exits 4 for an unknown account
  local token code
  token="$("${EMULATOR[@]}" "$@" token demo-user)"; [[ "$(tr -cd . <<<"$token")" == ".." ]] || return 1
  set +e; "${EMULATOR[@]}" "$@" token no-such-user; code=$?; set -e
  echo "exit $code"; [[ $code -eq 4 ]]
}
musl_dlopen() { # arch, library, symbol
  local arch="$1" runner=(); [[ "$arch" == aarch64 ]] && runner=(qemu-aarch64)
  "${runner[@]}" "$WORK/dlopen-$arch" "$2" "$3"
}

for arch in x86_64 aarch64; do
  platform="linux-$([[ $arch == x86_64 ]] && echo x64 || echo arm64)-musl"
  triple="$(dist_triple "$platform")"
  [[ -f "$DIST_OUT/cli/refold-$platform" ]] || { echo "# $platform not built: skipped"; continue; }
  # The loader probe: a dynamic musl executable (interpreter /lib/ld-musl-$arch.so.1).
  python-zig cc -target "$arch-linux-musl" -dynamic -O1 -o "$WORK/dlopen-$arch" "$DIST_ROOT/packaging/smoke/dlopen.c"
  runner=(); [[ $arch == aarch64 ]] && runner=(qemu-aarch64)
  cli="$DIST_OUT/cli/refold-$platform"
  check "$platform cli: static executable" is_static "$cli"
  check "$platform cli: mints against the emulator, exit 4 for an unknown account" mints "${runner[@]}" "$cli"

  tgz="$DIST_OUT/npm/refold-session-$platform-$VERSION.tgz"
  mkdir -p "$WORK/$platform-npm"; tar -xzf "$tgz" -C "$WORK/$platform-npm"
  addon="$WORK/$platform-npm/package/refold-session.$platform.node"
  check "$platform npm: package.json os/cpu/libc" node -e "
    const p = require('$WORK/$platform-npm/package/package.json');
    if (p.libc[0] !== 'musl' || p.cpu[0] !== '${platform#linux-}'.split('-')[0]) process.exit(1);"
  check "$platform npm: addon needs musl libc only" only_musl_libc "$addon"
  check "$platform npm: ld-musl loads the addon (napi_register_module_v1)" musl_dlopen "$arch" "$addon" napi_register_module_v1

  wheel="$(ls "$DIST_OUT"/python/refold_session-*-cp39-abi3-musllinux_1_2_"$arch".whl 2>/dev/null | head -1 || true)"
  check "$platform wheel: tagged cp39-abi3-musllinux_1_2_$arch" test -n "$wheel"
  if [[ -n "$wheel" ]]; then
    mkdir -p "$WORK/$platform-wheel"; (cd "$WORK/$platform-wheel" && unzip -q "$wheel")
    check "$platform wheel: WHEEL says Tag: cp39-abi3-musllinux_1_2_$arch" \
      grep -qx "Tag: cp39-abi3-musllinux_1_2_$arch" "$WORK/$platform-wheel"/refold_session-*.dist-info/WHEEL
    check "$platform wheel: extension needs musl libc only" only_musl_libc "$(ls "$WORK/$platform-wheel"/refold_session/_native*.so)"
  fi

  kt="$(dist_libdir "$platform")/librefold_session_kotlin.so"
  check "$platform kotlin: library needs musl libc only" only_musl_libc "$kt"
  check "$platform kotlin: ld-musl loads the library" musl_dlopen "$arch" "$kt" \
    "$(nm -D --defined-only "$kt" | awk '/ uniffi_refold_session_kotlin_fn_/{print $3; exit}')"
done
echo "musl: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
