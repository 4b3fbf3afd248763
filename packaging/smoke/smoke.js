// dist-test smoke test of the installed npm packages (run by the arm64 Node under qemu): the
// loader picks the platform package, a token is minted against the emulator, an unknown account
// gives the typed InvalidLinkedAccountError, a linked account is upserted (when this version of
// the Node binding has linked accounts) and minted for. REFOLD_API_KEY / REFOLD_BASE_URL from
// scripts/with-emulator.sh. Prints one line per check and `N passed, 0 failed`.
'use strict';
const assert = require('node:assert');
const Refold = require('refold-session');

async function main() {
  const expected = process.env.DIST_EXPECT_ADDON;
  let passed = 0;
  const ok = (what) => { passed += 1; console.log(`ok ${passed} - ${what}`); };

  const loaded = Object.keys(require.cache).find((f) => f.endsWith('.node'));
  assert.ok(loaded && loaded.includes(`refold-session-${expected}`), `addon loaded from ${loaded}`);
  ok(`node ${process.version} ${process.platform}-${process.arch} loaded ${loaded.split('node_modules/')[1]}`);

  const refold = new Refold();
  const session = await refold.getTokenForLinkedAccount('demo-user');
  assert.strictEqual(session.token.split('.').length, 3);
  ok(`minted a token for demo-user (expires ${session.expiresAt.toISOString()})`);

  const error = await refold.getTokenForLinkedAccount('no-such-user').then(() => null, (e) => e);
  assert.ok(error instanceof Refold.InvalidLinkedAccountError, String(error));
  assert.strictEqual(error.code, 'invalid_linked_account');
  ok(`typed error: ${error.name} (code ${error.code}, status ${error.status})`);

  if (typeof refold.upsertLinkedAccount === 'function') {
    const account = await refold.upsertLinkedAccount({ linked_account_id: 'arm64-user', name: 'Arm User' });
    assert.strictEqual(account.accountId, 'arm64-user');
    const minted = await refold.getTokenForLinkedAccount('arm64-user');
    assert.strictEqual(minted.token.split('.').length, 3);
    ok('upserted linked account arm64-user and minted its token');
  } else {
    console.log('# skipped: upsert (this version of the Node binding has no upsertLinkedAccount)');
  }
  console.log(`${passed} passed, 0 failed`);
}

main().catch((error) => {
  console.error(error);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
