#!/usr/bin/env bash
# The Debian pin policy of scripts/debian-packages.sh, against the archive as it is today
# (`resolve` chooses exactly as `install` does, installing nothing; apt's own candidate is the
# oracle for "what Debian serves now"). Run by `make test`; ends with "debian pins: N passed, N failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKGS="$HERE/debian-packages.sh"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; sed 's/^/     /' "$TMP/out" "$TMP/err"; }
run() { "$@" >"$TMP/out" 2>"$TMP/err"; }
candidate() { apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'; }
# The pin list with every row of PACKAGE's group set to PIN and MIN.
pins_with() { # PACKAGE PIN MIN
  awk -v p="$1" -v v="$2" -v m="$3" '
    $1 == p { g = $4 }
    { rows[NR] = $0; name[NR] = $1; grp[NR] = $4 }
    END { for (i = 1; i <= NR; i++) {
            if (name[i] == p || (g != "-" && grp[i] == g)) { split(rows[i], f); print f[1], v, m, f[4], f[5] }
            else print rows[i] } }' "$HERE/debian-pins.txt" >"$TMP/pins.txt"
  echo "$TMP/pins.txt"
}

# Warm apt's lists once (at most one apt-get update) so every case below reads the same lists.
bash "$PKGS" resolve fonts-dejavu-core >/dev/null 2>&1
chromium_now="$(candidate chromium)"
redis_now="$(candidate redis-server)"

# 1. A pin Debian does not serve falls back to what it serves now, with one warning naming both.
name="a gone pin (CHROMIUM_VERSION=0.0-gone) falls back to Debian's chromium $chromium_now with one warning"
if CHROMIUM_VERSION=0.0-gone run bash "$PKGS" resolve chromium chromium-common chromium-driver &&
  [[ "$(cat "$TMP/out")" == "chromium=$chromium_now"$'\n'"chromium-common=$chromium_now"$'\n'"chromium-driver=$chromium_now" ]] &&
  [[ "$(wc -l <"$TMP/err")" == 1 ]] &&
  grep -q "^warning: pinned chromium=0.0-gone .*no longer served by Debian; using $chromium_now (>= minimum 150)$" "$TMP/err"; then
  ok "$name"
else fail "$name"; fi

# 2. A pin Debian serves is used as is, silently.
name="a served pin (CHROMIUM_VERSION=$chromium_now) is used as is, without a warning"
if CHROMIUM_VERSION="$chromium_now" run bash "$PKGS" resolve chromium chromium-driver &&
  [[ "$(cat "$TMP/out")" == "chromium=$chromium_now"$'\n'"chromium-driver=$chromium_now" ]] && [[ ! -s "$TMP/err" ]]; then
  ok "$name"
else fail "$name"; fi

# 3. The same through the pin list (the way every pin without an override variable is set).
name="a gone pin in the pin list (DEBIAN_PINS) falls back too: redis-server $redis_now"
if DEBIAN_PINS="$(pins_with redis-server 5:0.0-gone 5:7.0)" run bash "$PKGS" resolve redis-server redis-tools &&
  [[ "$(cat "$TMP/out")" == "redis-server=$redis_now"$'\n'"redis-tools=$redis_now" ]] &&
  grep -q "^warning: pinned redis-server=5:0.0-gone (with redis-tools) is no longer served by Debian; using $redis_now (>= minimum 5:7.0)$" "$TMP/err"; then
  ok "$name"
else fail "$name"; fi

# 4. Nothing acceptable served: a clear failure naming the pin and the minimum.
name="a gone pin whose minimum nothing served meets fails, naming both"
if ! DEBIAN_PINS="$(pins_with redis-server 5:0.0-gone 5:99)" run bash "$PKGS" resolve redis-server redis-tools &&
  [[ ! -s "$TMP/out" ]] &&
  grep -q "^error: pinned redis-server=5:0.0-gone (with redis-tools) is not served by Debian, and nothing it serves meets the minimum 5:99" "$TMP/err"; then
  ok "$name"
else fail "$name"; fi

# 5. Nothing is installed that the pin list does not name.
name="a package missing from the pin list is refused"
if ! run bash "$PKGS" resolve chromium no-such-package && grep -q "^error: no-such-package is not pinned" "$TMP/err"; then
  ok "$name"
else fail "$name"; fi

# 6. A Multi-Arch: same library keeps the installed native copy's version, whatever its pin.
if dpkg --print-foreign-architectures | grep -qx arm64; then
  libc_now="$(dpkg-query -W -f='${Version}' "libc6:$(dpkg --print-architecture)")"
  name="libc6:arm64 pinned 0.0-gone follows the installed native libc6 ($libc_now)"
  if DEBIAN_PINS="$(pins_with libc6:arm64 0.0-gone 2.36)" run bash "$PKGS" resolve libc6:arm64 &&
    [[ "$(cat "$TMP/out")" == "libc6:arm64=$libc_now" ]] &&
    grep -q "^warning: pinned libc6:arm64=0.0-gone differs from the installed libc6:.*; using $libc_now" "$TMP/err"; then
    ok "$name"
  else fail "$name"; fi
else
  echo "skip the Multi-Arch: same case: arm64 is not configured here (packaging/toolchain.sh adds it; make dist-test runs it)"
fi

# 7. check never fails: it names a gone pin with what Debian serves now, and a failure to come.
name="check (make check-pins) exits 0, lists a gone pin with Debian's version and an unmet minimum"
if DEBIAN_PINS="$(pins_with redis-server 5:0.0-gone 5:99)" CHROMIUM_VERSION=0.0-gone \
  run bash "$PKGS" check chromium chromium-driver redis-server &&
  grep -q "^check-pins: pinned chromium=0.0-gone (with chromium-driver) is no longer served by Debian; using $chromium_now" "$TMP/out" &&
  grep -q "^check-pins: the installers FAIL: pinned redis-server=5:0.0-gone is not served by Debian, and nothing it serves meets the minimum 5:99" "$TMP/out"; then
  ok "$name"
else fail "$name"; fi

echo "debian pins: $passed passed, $failed failed"
[[ "$failed" == 0 ]]
