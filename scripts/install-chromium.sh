#!/usr/bin/env bash
# Installs Debian's Chromium and its WebDriver at one pinned version, when they are missing or at
# another version (the browser tests of examples/ drive this Chromium; nothing is downloaded
# from anywhere but Debian's archive). Needs root (apt-get), as on CI and the dev machines.
#   scripts/install-chromium.sh            install if needed, then print the browser's path
set -euo pipefail

CHROMIUM_VERSION="${CHROMIUM_VERSION:-156.0.8078.108-1~deb12u1}"

installed() { dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'; }

if [[ "$(installed chromium)" != "$CHROMIUM_VERSION" || "$(installed chromium-driver)" != "$CHROMIUM_VERSION" ]]; then
  echo "installing chromium and chromium-driver $CHROMIUM_VERSION from Debian (apt-get)" >&2
  started=$(date +%s)
  export DEBIAN_FRONTEND=noninteractive
  log="$(mktemp)"
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends \
           "chromium=$CHROMIUM_VERSION" "chromium-common=$CHROMIUM_VERSION" \
           "chromium-driver=$CHROMIUM_VERSION" fonts-dejavu-core; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  echo "chromium installed in $(( $(date +%s) - started )) s" >&2
fi
command -v chromium
