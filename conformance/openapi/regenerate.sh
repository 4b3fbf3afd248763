#!/usr/bin/env bash
# Regenerates refold-openapi.json and examples.json (scripts/trim-openapi.py) in a venv of the
# pinned requirements.txt, then refreshes the derived members of overlay.json and checks it.
#   conformance/openapi/regenerate.sh [MIRROR] [REV]       a git clone of gocobalt/mintlify-docs
#   conformance/openapi/regenerate.sh --check [MIRROR]      compare instead of writing
# MIRROR defaults to $REFOLD_DOCS_MIRROR, else /work/.mirror/gocobalt+mintlify-docs/repo.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
PYTHON="${PYTHON:-python3}"

check=()
if [[ "${1:-}" == "--check" ]]; then check=(--check); shift; fi
mirror="${1:-${REFOLD_DOCS_MIRROR:-/work/.mirror/gocobalt+mintlify-docs/repo}}"
rev="${2:-HEAD}"

stamp="$VENV/.requirements.stamp"
if [[ ! -f "$stamp" || "$HERE/requirements.txt" -nt "$stamp" ]]; then
  [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$HERE/requirements.txt"
  touch "$stamp"
fi

"$VENV/bin/python" "$ROOT/scripts/trim-openapi.py" --mirror "$mirror" --rev "$rev" "${check[@]}"
if [[ ${#check[@]} -eq 0 ]]; then
  "$VENV/bin/python" "$ROOT/scripts/check-overlay.py" --fix
fi
