#!/usr/bin/env bash
# The one policy for the Debian packages the project installs or downloads, all pinned in
# scripts/debian-pins.txt: the pinned version while Debian serves it; otherwise the newest version
# it serves that meets the row's minimum, with one warning naming the pin and the version used;
# otherwise a clear failure. A Multi-Arch: same :arm64 library ("native" rows) takes the version
# of the installed amd64 copy, or both copies move to one served version together.
#   scripts/debian-packages.sh install NAME...   installs what is missing or at another version,
#                                                then prints the installed versions on one line
#   scripts/debian-packages.sh resolve NAME...   the same choice, installing nothing: NAME=VERSION
#                                                lines (what `install` would install)
#   scripts/debian-packages.sh versions NAME...  the installed versions, one line
#   scripts/debian-packages.sh check [NAME...]   the pins Debian no longer serves, with what it
#                                                serves now (make check-pins; always exits 0)
# DEBIAN_PINS=FILE reads another pin list; a row's override variable (CHROMIUM_VERSION, ...)
# replaces its pin. apt's lists are refreshed at most once per run, and only when they are older
# than APT_LISTS_MAX_AGE_MIN minutes (default 360) or missing for an architecture.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PINS_FILE="${DEBIAN_PINS:-$HERE/debian-pins.txt}"
APT_STAMP="${APT_LISTS_STAMP:-/var/tmp/refold-session-apt-lists.stamp}"
APT_LISTS_MAX_AGE_MIN="${APT_LISTS_MAX_AGE_MIN:-360}"
NATIVE_ARCH="$(dpkg --print-architecture)"
SUDO=""; [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt-get or dpkg (a shared machine) rather than fail at once.
APT_WAIT=(-o DPkg::Lock::Timeout=600)

die() { echo "error: $*" >&2; exit 1; }
warn() { echo "warning: $*" >&2; }

# --- the pin list ---------------------------------------------------------------------------
declare -A PIN MIN GROUP MULTIARCH
ROWS=()
load_pins() {
  [[ -f "$PINS_FILE" ]] || die "no pin list at $PINS_FILE"
  local name pin min var ma extra
  declare -A group_pin=()
  while read -r name pin min var ma extra; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    [[ -n "$ma" && -z "$extra" ]] ||
      die "$PINS_FILE: row '$name' needs 5 columns: package pinned minimum override multiarch"
    if [[ "$var" != - ]]; then
      [[ "$var" =~ ^[A-Z_][A-Z0-9_]*$ ]] || die "$PINS_FILE: row '$name': bad override variable '$var'"
      pin="${!var:-$pin}"
    fi
    PIN[$name]="$pin"; MIN[$name]="$min"; MULTIARCH[$name]="$ma"
    GROUP[$name]="$([[ "$var" != - ]] && echo "$var" || echo "$name")"
    if [[ -v group_pin[${GROUP[$name]}] && "${group_pin[${GROUP[$name]}]}" != "$pin" ]]; then
      die "$PINS_FILE: the rows of $var pin different versions (one group gets one version)"
    fi
    group_pin[${GROUP[$name]}]="$pin"
    ROWS+=("$name")
  done <"$PINS_FILE"
}

arch_of() { if [[ "$1" == *:* ]]; then echo "${1##*:}"; else echo "$NATIVE_ARCH"; fi; }
key_of() { echo "${1%%:*}:$(arch_of "$1")"; }
native_copy() { echo "${1%%:*}:$NATIVE_ARCH"; }
foreign_arch_ready() { # an arch apt knows about (native, or added with dpkg --add-architecture)
  [[ "$1" == "$NATIVE_ARCH" ]] || dpkg --print-foreign-architectures | grep -qx "$1"
}

# The installed version of NAME (empty when not installed); arch-all packages count as native.
installed() {
  local want st arch ver
  want="$(arch_of "$1")"
  while IFS='|' read -r st arch ver; do
    [[ "$st" == "ii " ]] || continue
    if [[ "$arch" == "$want" || ( "$arch" == all && "$want" == "$NATIVE_ARCH" ) ]]; then
      echo "$ver"; return
    fi
  done < <(dpkg-query -W -f='${db:Status-Abbrev}|${Architecture}|${Version}\n' "${1%%:*}" 2>/dev/null || true)
}

# --- what the archive serves ----------------------------------------------------------------
UPDATED=0
LISTS_MAY_BE_OLD=0   # check: go on with the lists at hand when apt-get update fails
apt_update() {
  local log; log="$(mktemp)"
  if ! $SUDO apt-get "${APT_WAIT[@]}" update -q >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    return 1
  fi
  rm -f "$log"
  $SUDO touch "$APT_STAMP" 2>/dev/null || true
  UPDATED=1
}

# Refreshes apt's lists once, when they are stale or miss one of the architectures ARCH...
ensure_lists() {
  [[ "$UPDATED" == 1 ]] && return 0
  local arch stale=0
  if [[ ! -f "$APT_STAMP" || -n "$(find "$APT_STAMP" -mmin +"$APT_LISTS_MAX_AGE_MIN" 2>/dev/null)" ]]; then
    stale=1
  fi
  for arch in "$@"; do
    compgen -G "/var/lib/apt/lists/*_binary-${arch}_Packages*" >/dev/null || stale=1
  done
  [[ "$stale" == 1 ]] || return 0
  if ! apt_update; then
    [[ "$LISTS_MAY_BE_OLD" == 1 ]] || die "apt-get update failed (above)"
    echo "check-pins: apt-get update failed (above); checking against the lists at hand"
    UPDATED=1
  fi
}

# SERVED["name:arch"]: the versions Debian serves, newest first (backports excluded: another
# release line).
declare -A SERVED
query_served() { # NAME...
  local n k names=() archs=()
  for n in "$@"; do
    k="$(key_of "$n")"
    [[ -v SERVED[$k] ]] && continue
    SERVED[$k]=""; names+=("$n"); archs+=("$(arch_of "$n")")
  done
  [[ ${#names[@]} -eq 0 ]] && return 0
  ensure_lists $(printf '%s\n' "${archs[@]}" | sort -u)
  local pkg ver src arch
  while IFS='|' read -r pkg ver src; do
    pkg="${pkg// /}"; pkg="${pkg%%:*}"; ver="${ver// /}"
    [[ "$src" == *" Packages" && "$src" != *-backports* ]] || continue
    arch="${src% Packages}"; arch="${arch##* }"
    local -a keys=("$pkg:$arch")
    [[ "$arch" != all ]] || keys=("${archs[@]/#/$pkg:}")   # an arch-all package serves every arch
    for k in "${keys[@]}"; do
      [[ -v SERVED[$k] ]] || continue
      [[ " ${SERVED[$k]} " == *" $ver "* ]] || SERVED[$k]="${SERVED[$k]} $ver"
    done
  done < <(apt-cache madison "${names[@]}" 2>/dev/null || true)
  for n in "${names[@]}"; do
    k="$(key_of "$n")"
    SERVED[$k]="$(sort_newest_first ${SERVED[$k]})"
  done
}

sort_newest_first() { # VERSION... (dpkg's ordering; a handful each)
  local -a out=()
  local v i j
  for v in "$@"; do
    out+=("$v")
    for (( i = ${#out[@]} - 1; i > 0; i-- )); do
      j=$((i - 1))
      dpkg --compare-versions "${out[i]}" gt "${out[j]}" || break
      local t="${out[i]}"; out[i]="${out[j]}"; out[j]="$t"
    done
  done
  echo "${out[*]}"
}

served_list() { local -a vs; read -ra vs <<<"${SERVED[$(key_of "$1")]}"; echo "${vs[*]}"; }
is_served() { # NAME VERSION
  local v; local -a vs
  read -ra vs <<<"${SERVED[$(key_of "$1")]}"
  for v in "${vs[@]}"; do [[ "$v" == "$2" ]] && return 0; done
  return 1
}
served_by_all() { # VERSION NAME...
  local v="$1" n; shift
  for n in "$@"; do is_served "$n" "$v" || return 1; done
}
meets_min() { [[ "$2" == - ]] || dpkg --compare-versions "$1" ge "$2"; }
# The newest version served for every NAME that meets MIN.
newest_served() { # MIN NAME...
  local min="$1" v; shift
  local -a vs; read -ra vs <<<"${SERVED[$(key_of "$1")]}"
  for v in "${vs[@]}"; do
    meets_min "$v" "$min" && served_by_all "$v" "$@" && { echo "$v"; return 0; }
  done
  return 1
}

# "chromium=X" or "chromium=X (with chromium-common, chromium-driver)"
label() { # VERSION NAME...
  local v="$1" first="$2" rest; shift 2
  if [[ $# -eq 0 ]]; then echo "$first=$v"; else rest="$(printf ', %s' "$@")"; echo "$first=$v (with ${rest:2})"; fi
}

# --- the policy -----------------------------------------------------------------------------
declare -A TARGET
INSTALLED_ANY=0
EXTRA=()   # native copies that move with their :arm64 copy (NAME=VERSION)
resolve_all() { # NAME... -> TARGET, EXTRA; warnings on stderr
  TARGET=(); EXTRA=()
  local n g v pin min
  local -A requested=() seen=()
  for n in "$@"; do requested[$n]=1; done
  # The native copies that constrain a "native" row: installed, and not installed by this call.
  local -a all=("$@")
  local -A constrained=()
  for n in "$@"; do
    [[ "${MULTIARCH[$n]}" == native ]] || continue
    local c; c="$(native_copy "$n")"
    [[ -v requested[$c] || -z "$(installed "$c")" ]] && continue
    constrained[$n]="$c"; all+=("$c")
  done
  query_served "${all[@]}"
  for n in "$@"; do
    g="${GROUP[$n]}"
    [[ -v seen[$g] ]] && continue
    seen[$g]=1
    local -a members=() natives=()
    local m
    for m in "$@"; do [[ "${GROUP[$m]}" == "$g" ]] && members+=("$m"); done
    for m in "${members[@]}"; do [[ -v constrained[$m] ]] && natives+=("${constrained[$m]}"); done
    pin="${PIN[$n]}"; min="${MIN[$n]}"
    [[ -n "$(served_list "$n")" ]] ||
      die "Debian serves no ${n%%:*} for $(arch_of "$n") (apt's sources: /etc/apt/sources.list*); pinned $(label "$pin" "${members[@]}")"
    v=""
    # A Multi-Arch: same copy keeps the installed native copy's version when that is served.
    if [[ ${#natives[@]} -gt 0 ]]; then
      local nv; nv="$(installed "${natives[0]}")"
      if [[ "$(for m in "${natives[@]}"; do installed "$m"; done | sort -u | wc -l)" == 1 ]] &&
        meets_min "$nv" "$min" && served_by_all "$nv" "${members[@]}" "${natives[@]}"; then
        v="$nv"
        [[ "$v" == "$pin" ]] ||
          warn "pinned $(label "$pin" "${members[@]}") differs from the installed ${natives[0]}; using $v, its version (Multi-Arch: same copies must match)"
      fi
    fi
    if [[ -z "$v" ]] && served_by_all "$pin" "${members[@]}" "${natives[@]}"; then
      v="$pin"
    fi
    if [[ -z "$v" ]]; then
      v="$(newest_served "$min" "${members[@]}" "${natives[@]}")" ||
        die "pinned $(label "$pin" "${members[@]}") is not served by Debian, and nothing it serves meets the minimum $min (served for $n: $(served_list "$n" | sed "s/ /, /g")); refresh the pin in $PINS_FILE"
      warn "pinned $(label "$pin" "${members[@]}") is no longer served by Debian; using $v (>= minimum $min)"
    fi
    for m in "${members[@]}"; do TARGET[$m]="$v"; done
    for m in "${natives[@]}"; do
      local iv why; iv="$(installed "$m")"
      [[ "$iv" == "$v" ]] && continue
      if ! served_by_all "$iv" "${members[@]}" "$m"; then why="Debian no longer serves $iv for both architectures"
      else why="$iv is below the minimum $min"; fi
      warn "installed $m=$iv moves to $v with ${members[0]} (Multi-Arch: same copies must match; $why)"
      EXTRA+=("$m=$v")
    done
  done
}

install_targets() { # NAME... (after resolve_all); returns 1 when apt-get fails
  local n specs=("${EXTRA[@]}")
  for n in "$@"; do [[ "$(installed "$n")" == "${TARGET[$n]}" ]] || specs+=("$n=${TARGET[$n]}"); done
  [[ ${#specs[@]} -eq 0 ]] && return 0
  INSTALLED_ANY=1
  echo "debian packages: installing ${specs[*]}" >&2
  local log; log="$(mktemp)"
  if ! $SUDO apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends --allow-downgrades "${specs[@]}" >"$log" 2>&1; then
    INSTALL_LOG="$log"
    return 1
  fi
  rm -f "$log"
}

print_versions() { # NAME...
  local n out=()
  for n in "$@"; do out+=("$n=$(installed "$n" | grep . || echo '(not installed)')"); done
  echo "debian packages: ${out[*]}"
}

require_known() { # NAME...
  local n
  for n in "$@"; do
    [[ -v PIN[$n] ]] || die "$n is not pinned in $PINS_FILE (every Debian package the project installs is)"
    foreign_arch_ready "$(arch_of "$n")" ||
      die "$n: $(arch_of "$n") is not an architecture of this machine (dpkg --add-architecture $(arch_of "$n"); packaging/toolchain.sh does)"
  done
}

cmd_install() {
  require_known "$@"
  local n all_pinned=1
  for n in "$@"; do [[ "$(installed "$n")" == "${PIN[$n]}" ]] || all_pinned=0; done
  if [[ "$all_pinned" == 0 ]]; then
    local started; started=$(date +%s)
    resolve_all "$@"
    if ! install_targets "$@"; then
      if [[ "$UPDATED" == 1 ]]; then cat "$INSTALL_LOG" >&2; die "apt-get install failed (above)"; fi
      # The lists may be older than the archive (a security update replaced a version): refresh
      # them and choose again, once.
      rm -f "$INSTALL_LOG"
      apt_update || die "apt-get update failed (above)"
      SERVED=()
      resolve_all "$@"
      if ! install_targets "$@"; then cat "$INSTALL_LOG" >&2; die "apt-get install failed (above)"; fi
    fi
    for n in "$@"; do
      [[ "$(installed "$n")" == "${TARGET[$n]}" ]] ||
        die "$n is at '$(installed "$n")' after apt-get install, not ${TARGET[$n]}"
    done
    [[ "$INSTALLED_ANY" == 0 ]] || echo "debian packages: installed in $(( $(date +%s) - started )) s" >&2
  fi
  print_versions "$@"
}

cmd_resolve() {
  require_known "$@"
  resolve_all "$@"
  local n
  for n in "$@"; do echo "$n=${TARGET[$n]}"; done
  for n in "${EXTRA[@]}"; do echo "$n"; done
}

# What `install` would say for each group, without installing: its warnings and failures.
cmd_check() {
  local names=("$@") n m skipped=() checked=() natives=() stale=0 noted=0 groups=0
  [[ ${#names[@]} -gt 0 ]] || names=("${ROWS[@]}")
  for n in "${names[@]}"; do
    [[ -v PIN[$n] ]] || { echo "check-pins: $n is not in $PINS_FILE"; continue; }
    if foreign_arch_ready "$(arch_of "$n")"; then checked+=("$n"); else skipped+=("$n"); fi
  done
  for n in "${checked[@]}"; do
    [[ "${MULTIARCH[$n]}" != native ]] || natives+=("$(native_copy "$n")")
  done
  LISTS_MAY_BE_OLD=1
  [[ ${#checked[@]} -eq 0 ]] || query_served "${checked[@]}" "${natives[@]}"   # one apt-cache call
  local -A seen=()
  for n in "${checked[@]}"; do
    local g="${GROUP[$n]}" said
    [[ -v seen[$g] ]] && continue
    seen[$g]=1; groups=$((groups + 1))
    local -a members=()
    for m in "${checked[@]}"; do [[ "${GROUP[$m]}" == "$g" ]] && members+=("$m"); done
    served_by_all "${PIN[$n]}" "${members[@]}" || stale=$((stale + 1))
    said="$( (resolve_all "${members[@]}") 2>&1 >/dev/null || true)"
    [[ -n "$said" ]] || continue
    noted=$((noted + 1))
    sed -e 's/^warning: /check-pins: /' -e 's/^error: /check-pins: the installers FAIL: /' <<<"$said"
  done
  [[ ${#skipped[@]} -eq 0 ]] ||
    echo "check-pins: ${#skipped[@]} rows not checked (${skipped[0]}, ...): their architecture is not configured here (packaging/toolchain.sh adds arm64)"
  if [[ "$noted" == 0 ]]; then
    echo "check-pins: every pin checked ($groups groups, ${#checked[@]} packages) is served by Debian and would be installed as pinned"
  else
    echo "check-pins: $stale of $groups pinned groups are no longer served by Debian ($noted with a note above); refresh them in ${PINS_FILE#"$(cd "$HERE/.." && pwd)/"} on purpose"
  fi
}

load_pins
cmd="${1:-}"; shift || true
case "$cmd" in
  install) [[ $# -gt 0 ]] || die "usage: $0 install NAME..."; cmd_install "$@" ;;
  resolve) [[ $# -gt 0 ]] || die "usage: $0 resolve NAME..."; cmd_resolve "$@" ;;
  versions) [[ $# -gt 0 ]] || die "usage: $0 versions NAME..."; print_versions "$@" ;;
  check) cmd_check "$@" ;;
  *) die "usage: $0 install|resolve|versions|check [NAME...]" ;;
esac
