#!/usr/bin/env bash
# Builds and installs everything `make bench` runs, all from pinned versions:
#   - wrk (Debian's package, pinned in scripts/debian-pins.txt) — the loopback limit;
#   - release builds: the emulator (refold), the Rust bench client, the Node and Kotlin addons;
#   - bench/.venv from bench/python/requirements.txt, plus our release wheel (maturin);
#   - bench/node/node_modules from package-lock.json (npm ci);
#   - bench/jvm (Maven; with ours compiled in when the binding's jar could be made, and the store
#     clients when that jar has StoreOptions).
# redis-server (for the fleet-store clients) comes from `make redis-deps`, which `make bench`
# runs first.
# A binding that is missing or fails to build is skipped, not fatal: its reason is written to
# bench/.build/skip-<lang>.txt and shows up in the results.
# Outputs (all git-ignored) go to bench/.build/.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
BUILD="$BENCH/.build"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
REL="$CARGO_TARGET_DIR/release"
PYTHON="${PYTHON:-python3}"

mkdir -p "$BUILD"
rm -f "$BUILD"/skip-*.txt
say() { echo "bench/prepare: $*"; }
skip() { # skip LANG REASON
  echo "$2" >"$BUILD/skip-$1.txt"
  say "SKIP $1: $2"
}

# --- the load generator --------------------------------------------------------------------
bash "$ROOT/scripts/debian-packages.sh" install wrk || skip limit "wrk could not be installed (above)"

# --- Rust: release builds -------------------------------------------------------------------
# The emulator and the Rust client are required; a binding whose addon does not build (e.g. it
# is being edited) is skipped below, not fatal.
say "cargo build --release -p refold-cli -p refold-bench"
(cd "$ROOT" && cargo build --release --locked -p refold-cli -p refold-bench)
for lang in node kotlin; do
  crate="refold-session-$lang"
  [[ -f "$ROOT/bindings-$lang/Cargo.toml" ]] || continue
  say "cargo build --release -p $crate"
  if ! (cd "$ROOT" && cargo build --release --locked -p "$crate" >"$BUILD/cargo-$crate.log" 2>&1); then
    skip "${lang/kotlin/jvm}" "cargo build --release -p $crate failed: $(grep -m1 -E '^error' "$BUILD/cargo-$crate.log" | head -c 200)"
  fi
done

# --- Node -----------------------------------------------------------------------------------
say "npm ci (bench/node)"
(cd "$BENCH/node" && npm ci --no-audit --no-fund --loglevel=error)
NODE_PKG="$BUILD/node-pkg"
rm -rf "$NODE_PKG"
if [[ -f "$BUILD/skip-node.txt" ]]; then
  :
elif [[ -f "$ROOT/bindings-node/index.js" && -f "$REL/librefold_session_node.so" ]]; then
  # The npm package as it ships (its JS files) around the release addon.
  mkdir -p "$NODE_PKG"
  for f in package.json index.js index.mjs index.d.ts index.d.mts telemetry.js api.generated.js \
      api.generated.d.ts models.generated.d.ts options.generated.d.ts; do
    [[ -f "$ROOT/bindings-node/$f" ]] && cp "$ROOT/bindings-node/$f" "$NODE_PKG/"
  done
  objcopy --strip-debug "$REL/librefold_session_node.so" "$NODE_PKG/refold-session.linux-x64-gnu.node"
  if ! node -e "require('$NODE_PKG')" 2>"$BUILD/node-load.err"; then
    skip node "the staged addon does not load: $(head -c 300 "$BUILD/node-load.err")"
    rm -rf "$NODE_PKG"
  fi
else
  skip node "bindings-node has no index.js or the release addon did not build"
fi

# --- Python ---------------------------------------------------------------------------------
VENV="$BENCH/.venv"
STAMP="$VENV/.requirements.stamp"
if [[ ! -f "$STAMP" || "$BENCH/python/requirements.txt" -nt "$STAMP" ]]; then
  say "bench/.venv from bench/python/requirements.txt"
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$BENCH/python/requirements.txt"
  touch "$STAMP"
fi
"$VENV/bin/pip" uninstall -q -y refold-session >/dev/null 2>&1 || true
rm -rf "$BUILD/wheels"
if [[ -f "$ROOT/bindings-python/pyproject.toml" ]]; then
  say "maturin build --release (bindings-python)"
  if (cd "$ROOT/bindings-python" &&
    "$VENV/bin/maturin" build --release --locked --out "$BUILD/wheels" >"$BUILD/maturin.log" 2>&1); then
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$BUILD"/wheels/refold_session-*.whl
  else
    skip python "maturin build failed: $(tail -n 3 "$BUILD/maturin.log" | tr '\n' ' ')"
  fi
else
  skip python "bindings-python has no pyproject.toml"
fi

# --- JVM ------------------------------------------------------------------------------------
# The binding's jar as the benchmark runs it (bench/jvm/binding/pom.xml): bindings-kotlin's own
# Kotlin sources with the uniffi bindings generated from the *release* library built above, and
# that library (debug info stripped) as its JNA resource — generated code and library match by
# construction. (bindings-kotlin/target's jar is generated from the debug library with the test
# features, whose test-only symbols the release library lacks.)
BINDGEN="$CARGO_TARGET_DIR/debug/uniffi-bindgen"
build_binding_jar() {
  rm -f "$BUILD/refold-session-release.jar"
  [[ -f "$REL/librefold_session_kotlin.so" ]] || {
    echo "the release library was not built" >"$BUILD/jvm.err"
    return 1
  }
  if [[ ! -x "$BINDGEN" ]]; then
    say "cargo build -p uniffi-bindgen-kotlin"
    (cd "$ROOT" && cargo build --locked -p uniffi-bindgen-kotlin) >"$BUILD/jvm.err" 2>&1 || return 1
  fi
  rm -rf "$BUILD/kotlin-generated" "$BUILD/kotlin-native" "$BUILD/binding-target"
  mkdir -p "$BUILD/kotlin-native/linux-x86-64"
  "$BINDGEN" generate "$REL/librefold_session_kotlin.so" --language kotlin --no-format \
    --config "$ROOT/bindings-kotlin/uniffi-bindgen.toml" --out-dir "$BUILD/kotlin-generated" >"$BUILD/jvm.err" 2>&1 ||
    return 1
  objcopy --strip-debug "$REL/librefold_session_kotlin.so" "$BUILD/kotlin-native/linux-x86-64/librefold_session_kotlin.so"
  say "mvn package (bench/jvm/binding: the binding's jar with the release library)"
  (cd "$BENCH/jvm/binding" && mvn -q -B -ntp -Drefold.generated="$BUILD/kotlin-generated" \
    -Drefold.native="$BUILD/kotlin-native" -Dbench.build.dir="$BUILD/binding-target" package) >"$BUILD/jvm.err" 2>&1 ||
    return 1
  cp "$BUILD"/binding-target/refold-session-bench-binding-*.jar "$BUILD/refold-session-release.jar"
}
build_bench_jvm() { # [extra maven flags]
  say "mvn package (bench/jvm)"
  (cd "$BENCH/jvm" && mvn -q -B -ntp "$@" package)
}
# The store clients (src/store) are compiled only for a jar that has the store's API.
jar_has_store() { # (not `unzip -l | grep -q`: under pipefail, grep's early exit fails the pipe)
  unzip -l "$BUILD/refold-session-release.jar" ai/refold/session/StoreOptions.class >/dev/null 2>&1
}
build_bench_jvm_ours() {
  local flags=(-Drefold.jar="$BUILD/refold-session-release.jar")
  if jar_has_store; then
    flags+=(-Drefold.store=1)
  else
    echo "the binding's jar has no StoreOptions yet (bench/jvm compiled without src/store)" >"$BUILD/skip-jvm-store.txt"
  fi
  rm -rf "$BENCH/jvm/target/classes/bench"
  build_bench_jvm "${flags[@]}" >"$BUILD/jvm.err" 2>&1
}
check_ours_jvm() { # builds the client (loads the library, uniffi checks its checksums), sends nothing
  java -cp "$BENCH/jvm/target/classes:$BENCH/jvm/target/lib/*:$BUILD/refold-session-release.jar" bench.MainKt \
    --client ours-blocking --url http://127.0.0.1:9 --key k --n 0 --concurrency 1 >/dev/null 2>"$BUILD/jvm.err"
}
if [[ -f "$BUILD/skip-jvm.txt" ]]; then
  rm -rf "$BENCH/jvm/target/classes/bench"
  build_bench_jvm
elif [[ -f "$ROOT/bindings-kotlin/pom.xml" ]]; then
  if build_binding_jar && build_bench_jvm_ours && check_ours_jvm; then
    :
  else
    rm -f "$BUILD/refold-session-release.jar"
    skip jvm "the Kotlin binding's jar could not be built or does not load: $(grep -v '^\s*at ' "$BUILD/jvm.err" | tail -c 300 | tr '\n' ' ')"
    rm -rf "$BENCH/jvm/target/classes/bench"
    build_bench_jvm
  fi
else
  skip jvm "bindings-kotlin has no pom.xml"
  build_bench_jvm
fi

say "ready"
