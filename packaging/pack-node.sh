#!/usr/bin/env bash
# packaging/pack-node.sh PLATFORM...: npm platform packages (napi-rs layout, bindings-node/npm/<platform>/)
# and the main package, packed into dist/out/npm/:
#   refold-session-<platform>-<version>.tgz   package.json + refold-session.<platform>.node
#   refold-session-<version>.tgz              JS layer and types, no addon; optionalDependencies
#                                             on every platform package (what `napi prepublish`
#                                             writes at release time), the loader picks one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NODE_DIR="$DIST_ROOT/bindings-node"
DEST="$DIST_OUT/npm"; STAGE="$DIST_TARGET_DIR/stage/npm"
mkdir -p "$DEST"
VERSION="$(node -p "require('$NODE_DIR/package.json').version")"
# The main package's optionalDependencies: the Linux platforms built here; the release workflow
# adds darwin-arm64 darwin-x64 win32-x64-msvc (DIST_NPM_PLATFORMS).
read -r -a ALL_PLATFORMS <<<"${DIST_NPM_PLATFORMS:-linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl}"

for PLATFORM in "$@"; do
  [[ "$PLATFORM" == linux-* ]] || continue  # the others are packed by the release workflow
  LIB="$(dist_libdir "$PLATFORM")/librefold_session_node.so"
  [[ -f "$LIB" ]] || { echo "pack-node: $LIB missing (packaging/build-rust.sh $PLATFORM)" >&2; exit 1; }
  rm -rf "$STAGE/$PLATFORM"; mkdir -p "$STAGE/$PLATFORM"
  cp "$NODE_DIR/npm/$PLATFORM/package.json" "$NODE_DIR/npm/$PLATFORM/README.md" "$STAGE/$PLATFORM/"
  # Debug info off (the line tables of the release profile stay in target-dist/).
  dist_strip "$LIB" "$STAGE/$PLATFORM/refold-session.$PLATFORM.node"
  (cd "$STAGE/$PLATFORM" && npm pack --silent --pack-destination "$DEST" >/dev/null)
  dist_log "npm: $DEST/refold-session-$PLATFORM-$VERSION.tgz"
done

rm -rf "$STAGE/main"; mkdir -p "$STAGE/main"
cd "$NODE_DIR"
cp $(node -p "require('./package.json').files.filter((f) => !f.endsWith('.node')).join(' ')") "$STAGE/main/"
node - "$STAGE/main/package.json" "$VERSION" "${ALL_PLATFORMS[@]}" <<'JS'
const fs = require('node:fs');
const [out, version, ...platforms] = process.argv.slice(2);
const pkg = require(process.cwd() + '/package.json');
pkg.files = pkg.files.filter((f) => !f.endsWith('.node'));
pkg.optionalDependencies = Object.fromEntries(platforms.map((p) => [`refold-session-${p}`, version]));
const triples = { 'linux-x64-gnu': 'x86_64-unknown-linux-gnu', 'linux-arm64-gnu': 'aarch64-unknown-linux-gnu',
  'linux-x64-musl': 'x86_64-unknown-linux-musl', 'linux-arm64-musl': 'aarch64-unknown-linux-musl',
  'darwin-arm64': 'aarch64-apple-darwin', 'darwin-x64': 'x86_64-apple-darwin',
  'win32-x64-msvc': 'x86_64-pc-windows-msvc' };
pkg.napi.targets = platforms.map((p) => triples[p]);
delete pkg.scripts.prepack; // the addons are in the platform packages
delete pkg.devDependencies;
fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n');
JS
(cd "$STAGE/main" && npm pack --silent --pack-destination "$DEST" >/dev/null)
dist_log "npm: $DEST/refold-session-$VERSION.tgz"
