#!/usr/bin/env bash
# Installs the pinned Debian packages a test needs when they are missing, e.g.
#   scripts/ensure-debian-packages.sh redis-server=5:7.0.15-1~deb12u10 redis-tools=5:7.0.15-1~deb12u10
# Exact versions only: a package already installed at another version is replaced by the pinned one.
set -euo pipefail
missing=()
for spec in "$@"; do
  name=${spec%%=*}; version=${spec#*=}
  installed=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
  if [[ "$installed" != "install ok installed $version" ]]; then missing+=("$spec"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing pinned Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
