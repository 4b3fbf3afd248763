#!/usr/bin/env bash
# The Rust/CLI part of `make demo`: mint a token with the `refold` CLI against the emulator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REFOLD_BIN="${1:-$ROOT/target/debug/refold}"

# With Refold's rate limit, as Refold runs: the demo stays within it.
exec "$ROOT/scripts/with-emulator.sh" --api-key demo-key --rate-limit 20/s,5 -- bash -c '
  set -euo pipefail
  echo "== emulator at $REFOLD_BASE_URL"
  echo "== create linked account demo-user (PUT /api/v2/public/linked-account)"
  curl -sS -X PUT "$REFOLD_BASE_URL/api/v2/public/linked-account" \
    -H "x-api-key: $REFOLD_API_KEY" -H "content-type: application/json" \
    -d "{\"linked_account_id\":\"demo-user\",\"name\":\"Demo User\"}"; echo
  echo "== refold token demo-user"
  TOKEN=$("$REFOLD_BIN" token demo-user)
  echo "$TOKEN"
  echo "   claims: $(echo "$TOKEN" | cut -d. -f2 | tr "_-" "/+" | base64 -d 2>/dev/null || true)"
  echo "== refold token demo-user --json"
  "$REFOLD_BIN" token demo-user --json
  echo "== refold token no-such-user (unknown linked account)"
  set +e
  "$REFOLD_BIN" token no-such-user; code=$?
  set -e
  echo "   exit code: $code"
  [[ $code -eq 4 ]]
  echo "== missing key: REFOLD_API_KEY= refold token demo-user"
  set +e
  env -u REFOLD_API_KEY -u COBALT_API_KEY "$REFOLD_BIN" token demo-user; code=$?
  set -e
  echo "   exit code: $code"
  [[ $code -eq 2 ]]
'
