'use strict';
// The Node worker of the fleet conformance suite (conformance/fleet/README.md, "The worker
// protocol"): reads `{"accounts": [...], "rounds": N}` on stdin, makes every call at once on
// ONE client (Promise.all) whose cache and Redis store come only from the environment
// (REFOLD_API_KEY, REFOLD_BASE_URL, REFOLD_CACHE_REDIS_URL, REFOLD_CACHE_ENCRYPTION_KEY), with a
// 5 s timeout and no retries, and prints one JSON line. Not a test file: the driver runs it as
//   node bindings-node/test/fleet-worker.js
const Refold = require('refold-session');

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function main() {
  const plan = JSON.parse(await readStdin());
  const accounts = plan.accounts;
  const rounds = plan.rounds ?? 1;
  const refold = new Refold({ timeoutMs: 5000, maxRetries: 0, cache: { store: {} } });
  const calls = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const id of accounts) {
      calls.push(
        refold.getTokenForLinkedAccount(id).then(
          (session) => ({ id, token: session.token }),
          (error) => {
            if (!(error instanceof Refold.RefoldError)) throw error;
            return { id, error: error.code };
          },
        ),
      );
    }
  }
  const tokens = {};
  const errors = {};
  for (const outcome of await Promise.all(calls)) {
    if (outcome.token !== undefined) tokens[outcome.id] = outcome.token;
    else errors[outcome.id] = outcome.error;
  }
  const stats = await refold.cacheStats();
  const line = JSON.stringify({
    tokens,
    errors,
    stats: {
      hits: stats.hits,
      misses: stats.misses,
      coalesced: stats.coalesced,
      store_hits: stats.storeHits,
      store_errors: stats.storeErrors,
    },
  });
  process.stdout.write(`${line}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
