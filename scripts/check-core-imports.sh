#!/usr/bin/env bash
# Checks that the core's modules import each other without cycles of any length: prints what
# each module imports and fails on any cycle. Usage: scripts/check-core-imports.sh [core/src]
#
# A module is a file (`store/mod.rs` is `store`, `lib.rs` is `crate`). Its imports are the
# paths it names outside comments and its `mod tests`: `crate::…`, `super::…`, `self::…`, and
# in `lib.rs`/`mod.rs` its children by name; each resolves to the longest module path it
# starts with (`crate::REDACTED` is `crate` itself). A parent's `mod child;` counts as an
# import, so a child that imports its parent is a cycle too. Test-only modules are left out.
set -euo pipefail
export LC_ALL=C

src=${1:-core/src}
[ -d "$src" ] || { echo "check-core-imports: no directory $src" >&2; exit 2; }

declare -A is_module=() file_of=() imports=()
modules=()
while IFS= read -r file; do
  rel=${file#"$src"/}
  name=${rel%.rs}
  name=${name%/mod}
  [ "$name" = lib ] && name=crate
  name=${name//\//::}
  # Test-only modules (`tests`, `*_tests` and below) may import anything: they are not the core.
  [[ ::$name:: =~ ::([a-z_]*_)?tests:: ]] && continue
  modules+=("$name")
  is_module[$name]=1
  file_of[$name]=$file
done < <(find "$src" -name '*.rs' | sort)

parent_of() {
  case $1 in
    crate) echo "" ;;
    *::*) echo "${1%::*}" ;;
    *) echo crate ;;
  esac
}

# The module a path named in module $1 resolves to.
resolve() {
  local module=$1 path=${2%::\{}
  local IFS=':'
  read -ra parts <<< "${path//::/:}"
  unset IFS
  local base
  case ${parts[0]} in
    crate) base=crate; parts=("${parts[@]:1}") ;;
    self) base=$module; parts=("${parts[@]:1}") ;;
    super)
      base=$(parent_of "$module"); parts=("${parts[@]:1}")
      while [ "${parts[0]:-}" = super ]; do base=$(parent_of "$base"); parts=("${parts[@]:1}"); done ;;
    *) base=$module ;;
  esac
  local k candidate prefix
  for ((k = ${#parts[@]}; k >= 1; k--)); do
    prefix=$(IFS=:; echo "${parts[*]:0:k}")
    prefix=${prefix//:/::}
    if [ "$base" = crate ]; then candidate=$prefix; else candidate=$base::$prefix; fi
    if [ -n "${is_module[$candidate]:-}" ]; then echo "$candidate"; return; fi
  done
  echo "$base"
}

status=0
for module in "${modules[@]}"; do
  file=${file_of[$module]}
  # The file without its `mod tests` and without comment lines.
  code=$(awk '/^mod tests \{/ { exit } !/^[[:space:]]*\/\// { print }' "$file")
  if grep -qE '\b(crate|super|self)::\{' <<< "$code"; then
    echo "check-core-imports: $file groups modules in one use (crate::{…}); name each module" >&2
    status=1
  fi
  children=$(grep -oE '^[[:space:]]*(pub(\([a-z]+\))?[[:space:]]+)?mod [a-z_][a-z0-9_]*;' <<< "$code" \
    | sed -E 's/.*mod ([a-z_0-9]+);/\1/' || true)
  targets=()
  for child in $children; do
    [[ $child =~ ^([a-z_]*_)?tests$ ]] && continue
    if [ "$module" = crate ]; then targets+=("$child"); else targets+=("$module::$child"); fi
  done
  first='crate|super|self'
  for child in $children; do first+="|$child"; done
  while IFS= read -r path; do
    [ -n "$path" ] || continue
    targets+=("$(resolve "$module" "$path")")
  done < <(grep -oE "(^|[^A-Za-z0-9_:])($first)(::[A-Za-z_][A-Za-z0-9_]*)*::(\{|[A-Za-z_][A-Za-z0-9_]*)" <<< "$code" \
    | sed -E 's/^[^A-Za-z_]//' || true)
  imports[$module]=$(printf '%s\n' "${targets[@]}" | grep -vxF "$module" | sort -u | tr '\n' ' ' || true)
done

# Every module reachable from $1 by imports.
reach() {
  local -A seen=()
  local queue=("$1") next target
  while [ ${#queue[@]} -gt 0 ]; do
    next=${queue[0]}; queue=("${queue[@]:1}")
    for target in ${imports[$next]:-}; do
      if [ -z "${seen[$target]:-}" ]; then seen[$target]=1; queue+=("$target"); fi
    done
  done
  echo "${!seen[@]}"
}

declare -A reachable=()
for module in "${modules[@]}"; do
  reachable[$module]=" $(reach "$module") "
done

for module in "${modules[@]}"; do
  printf '%-16s -> %s\n' "$module" "${imports[$module]:-}"
done

declare -A reported=()
cycles=0
for module in "${modules[@]}"; do
  [ -z "${reported[$module]:-}" ] || continue
  members=()
  for other in "${modules[@]}"; do
    if [[ ${reachable[$module]} == *" $other "* && ${reachable[$other]} == *" $module "* ]]; then
      members+=("$other")
      reported[$other]=1
    fi
  done
  if [ ${#members[@]} -gt 0 ]; then
    echo "check-core-imports: import cycle among: ${members[*]}" >&2
    cycles=$((cycles + 1))
  fi
done

if [ $cycles -gt 0 ]; then
  status=1
else
  echo "check-core-imports: ${#modules[@]} modules, no import cycles"
fi
exit $status
