#!/usr/bin/env bash
# Runs one language's tree program (the command given), prints its tree, and fails unless the
# tree has the shape in expected.txt: the same in every language (times and ids aside).
set -euo pipefail
out=$("$@")
printf '%s\n' "$out"
shape=$(printf '%s\n' "$out" | tail -n +2 | sed -E \
  -e 's/  \([0-9.]+ ms\)$//' \
  -e 's/traceparent 00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}/traceparent 00-<trace>-<span>-<flags>/')
if ! diff -u "$(dirname "$0")/expected.txt" <(printf '%s\n' "$shape") >&2; then
  echo "check.sh: the trace above does not have the expected shape (examples/trace-tree/expected.txt)" >&2
  exit 1
fi
