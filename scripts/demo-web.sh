#!/usr/bin/env bash
# make demo-web: the Express example (examples/express) against a fresh emulator, on loopback.
# Prints the URL to open in a browser and serves until Ctrl-C. Not run from a terminal (make demo
# in CI), it signs in once through the example's own API instead, shows the answer, and stops.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REFOLD_BIN="${REFOLD_BIN:-$ROOT/target/debug/refold}"
API_KEY="demo-key"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits for a `listening on URL` line in $1 from process $2; prints the URL.
listening() {
  for _ in $(seq 1 400); do
    url="$(sed -n 's/^listening on //p' "$1" | head -n1)"
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Off: the page's front-end SDK polls while an OAuth app connects, and does not retry a 429.
"$REFOLD_BIN" emulator --addr 127.0.0.1:0 --api-key "$API_KEY" --rate-limit off >"$work/emulator.log" 2>&1 &
pids+=($!)
emulator="$(listening "$work/emulator.log" $!)" || { cat "$work/emulator.log" >&2; exit 1; }

# Port 3000 when free (a stable URL to bookmark), else any free port.
for port in "${PORT:-3000}" 0; do
  # Its spans go to its log (the console exporter) for the span tree below, unless asked elsewhere.
  (cd "$ROOT/examples/express" && REFOLD_API_KEY="$API_KEY" REFOLD_BASE_URL="$emulator" \
     OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-console}" \
     HOST=127.0.0.1 PORT="$port" exec node server.js) >"$work/express.log" 2>&1 &
  pid=$!
  if app="$(listening "$work/express.log" "$pid")"; then pids+=("$pid"); break; fi
  wait "$pid" 2>/dev/null || true
done
[[ -n "${app:-}" ]] || { cat "$work/express.log" >&2; exit 1; }

cat <<MSG

  Refold example (Express) running against a fresh emulator:

      open  $app

  Sign in with any name; the page lists the emulator's demo apps through @cobaltio/cobalt-js
  and can connect the key-based ones (any value works). Emulator: $emulator
MSG

# One request's trace: the page's fetch (its own traceparent) → the backend's route → the Refold
# call → its HTTP attempt, printed from the console exporter's spans, indented by parent.
if [[ "${OTEL_TRACES_EXPORTER:-console}" == console ]]; then
  trace_id="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(16).toString("hex"))')"
  APP="$app" TRACE_ID="$trace_id" node -e '
    (async () => {
      const signin = await fetch(`${process.env.APP}/signin`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "trace-user" }) });
      const cookie = signin.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const traceparent = `00-${process.env.TRACE_ID}-${require("node:crypto").randomBytes(8).toString("hex")}-01`;
      const answer = await fetch(`${process.env.APP}/refold/session?fresh=1`, { headers: { cookie, traceparent } });
      if (!answer.ok) throw new Error(`GET /refold/session: ${answer.status}`);
    })().catch((e) => { console.error(e); process.exit(1); });'
  echo "  One request's spans (OTEL_TRACES_EXPORTER=console):"
  for _ in $(seq 1 50); do
    node "$ROOT/scripts/span-tree.js" "$work/express.log" "$trace_id" "page: fetch GET /refold/session?fresh=1" \
      >"$work/tree.txt" 2>&1 && grep -q "POST /api/v2/public/session-token" "$work/tree.txt" && break
    sleep 0.1
  done
  cat "$work/tree.txt"
  echo
fi

if [[ -t 0 ]]; then
  echo "  Press Ctrl-C to stop."
  echo
  wait "${pids[@]}"
else
  APP="$app" node -e '
    (async () => {
      const signin = await fetch(`${process.env.APP}/signin`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "demo-user" }) });
      const cookie = signin.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const session = await (await fetch(`${process.env.APP}/refold/session`, { headers: { cookie } })).json();
      console.log(`  demo-web: signed in as demo-user; GET /refold/session gave a token expiring at ${session.expiresAt}`);
    })().catch((e) => { console.error(e); process.exit(1); });'
fi
