'use strict';
// Refold's session API as documented today (issue #22) and the surface declared once in the core
// (issue #23), through the Node binding against a live emulator: the error table against the
// core's codes, Refold's codes on errors, the refresh token (redacted), revoke, the active
// linked account, per-call options, and the cache hit handing back the token's own object.

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const util = require('node:util');

const { startEmulator, refoldBin } = require('./helpers');
const Refold = require('refold-session');

const KEY = 'sk_test_NODE_SESSION_DISTINCTIVE_9d2e';

let emulator;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: ['acct-1', 'acct-2'] });
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

function client(options = {}) {
  return new Refold({ apiKey: KEY, baseUrl: emulator.url, ...options });
}

/** The core's declarations (`refold __describe`). */
function described() {
  return JSON.parse(execFileSync(refoldBin(), ['__describe'], { encoding: 'utf8' }));
}

test("the error table has a class for every code of the core's ErrorCode::ALL, and no other", () => {
  const codes = described().error_codes;
  assert.ok(codes.length >= 14, `${codes.length} codes`);
  assert.deepEqual(Object.keys(Refold.errorClasses).sort(), [...codes].sort());
  for (const [code, cls] of Object.entries(Refold.errorClasses)) {
    assert.equal(cls.code, code);
    assert.ok(cls.prototype instanceof Refold.RefoldError);
    assert.equal(Refold[cls.name], cls, `${cls.name} is exported under its name`);
  }
});

test("cacheStats has every counter of the core's CacheStats::FIELDS, and no other", async () => {
  const fields = described().records.CacheStats;
  const camel = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
  const stats = await client({ cache: true }).cacheStats();
  assert.deepEqual(Object.keys(stats).sort(), fields.map(camel).sort());
});

test("errors carry Refold's own codes (serverCode, httpErrorType)", async () => {
  const error = await client()
    .getTokenForLinkedAccount('no-such-account')
    .then(() => assert.fail('resolved'), (e) => e);
  assert.ok(error instanceof Refold.InvalidLinkedAccountError, util.inspect(error));
  assert.equal(error.status, 400);
  assert.equal(error.serverCode, 'INVALID_LINKED_ACCOUNT_ID');
  assert.equal(error.httpErrorType, 'BAD_REQUEST');
  const json = JSON.parse(JSON.stringify(error));
  assert.equal(json.serverCode, 'INVALID_LINKED_ACCOUNT_ID');
  assert.equal(json.httpErrorType, 'BAD_REQUEST');
  // A failure before any request has neither.
  const refused = await client().getTokenForLinkedAccount('').then(() => assert.fail('resolved'), (e) => e);
  assert.ok(refused instanceof Refold.InvalidInputError);
  assert.equal(refused.serverCode, null);
  assert.equal(refused.httpErrorType, null);
});

test('the token carries the refresh token, redacted in every string form but toJSON', async () => {
  const session = await client().getTokenForLinkedAccount('acct-1');
  assert.equal(typeof session.refreshToken, 'string');
  assert.ok(session.refreshToken.length > 20);
  assert.ok(session.refreshExpiresAt instanceof Date);
  assert.ok(session.refreshExpiresAt.getTime() > session.expiresAt.getTime(), 'the refresh token outlives the token');
  assert.ok(!Object.keys(session).includes('refreshToken'), 'not an own enumerable property');
  for (const form of [util.inspect(session), String(session), `${session}`, util.inspect({ session }, { depth: 5 })]) {
    assert.ok(!form.includes(session.refreshToken), `refresh token in ${form}`);
    assert.ok(!form.includes(session.token), `token in ${form}`);
  }
  assert.match(util.inspect(session), /refreshToken: '\[REDACTED\]'/);
  const json = session.toJSON();
  assert.equal(json.refreshToken, session.refreshToken);
  assert.match(json.refreshExpiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual({ ...session }, {
    linkedAccountId: 'acct-1',
    expiresAt: session.expiresAt,
    issuedAt: session.issuedAt,
    refreshExpiresAt: session.refreshExpiresAt,
  });
});

test('the older answer (token only) has no refresh token', async () => {
  await emulator.control('POST', 'config', { legacy_session_token: true });
  try {
    const session = await client().getTokenForLinkedAccount('acct-1');
    assert.equal(session.refreshToken, null);
    assert.equal(session.refreshExpiresAt, null);
    assert.match(util.inspect(session), /refreshToken: null/);
  } finally {
    await emulator.control('POST', 'config', { legacy_session_token: false });
  }
});

test('a cache hit hands back the very object the miss made', async () => {
  const refold = client({ cache: true });
  const first = await refold.getTokenForLinkedAccount('acct-1');
  const hit = await refold.getTokenForLinkedAccount('acct-1');
  const again = await refold.getTokenForLinkedAccount({ linked_account_id: 'acct-1' });
  assert.equal(hit, first);
  assert.equal(again, first);
  const fresh = await refold.getTokenForLinkedAccount('acct-1', { fresh: true });
  assert.notEqual(fresh, first);
  assert.equal(await refold.getTokenForLinkedAccount('acct-1'), fresh, 'the fresh token is the cached one now');
  const stats = await refold.cacheStats();
  assert.deepEqual([stats.hits, stats.misses], [3, 2]);
  assert.equal((await emulator.requests()).count, 2);
});

test('many tokens dropped by the cache leave nothing behind (their objects are released)', async () => {
  // At max 2 entries every new account evicts one: the evicted tokens' objects are released
  // on this thread at the next call, and every call still answers.
  const refold = client({ cache: { maxEntries: 2 } });
  const ids = ['acct-1', 'acct-2'];
  for (let round = 0; round < 20; round++) {
    for (const id of ids) await refold.getTokenForLinkedAccount(id, { fresh: round % 2 === 0 });
  }
  const stats = await refold.cacheStats();
  assert.equal(stats.entries, 2);
});

test('fresh sends force_refresh=true; a plain call does not', async () => {
  const refold = client();
  const a = await refold.getTokenForLinkedAccount('acct-1');
  const b = await refold.getTokenForLinkedAccount('acct-1', { fresh: true });
  assert.notEqual(a.token, b.token);
  const log = await emulator.requests();
  assert.deepEqual(log.requests.map((r) => r.query), [null, 'force_refresh=true']);
});

test('revokeSessionToken: a Bearer call without the API key; the token leaves the cache', async () => {
  const refold = client({ cache: true });
  const session = await refold.getTokenForLinkedAccount('acct-1');
  const result = await refold.revokeSessionToken(session);
  assert.deepEqual(result, { success: true, revokedCount: 1 });
  assert.ok(Object.isFrozen(result));
  const log = await emulator.requests();
  const revoke = log.requests[log.requests.length - 1];
  assert.equal(revoke.path, '/api/v2/public/session-token/revoke');
  assert.equal(revoke.headers.authorization, 'Bearer [redacted]');
  assert.equal(revoke.headers['x-api-key'], undefined, 'no API key sent');
  // The next call mints a new token (the revoked one left the cache).
  const next = await refold.getTokenForLinkedAccount('acct-1');
  assert.notEqual(next.token, session.token);
  // Revoked already: AuthenticationError with Refold's INVALID_TOKEN; the token never shows.
  const error = await refold.revokeSessionToken(session.token).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(error instanceof Refold.AuthenticationError, util.inspect(error));
  assert.equal(error.serverCode, 'INVALID_TOKEN');
  for (const form of [error.message, util.inspect(error), JSON.stringify(error), error.stack]) {
    assert.ok(!form.includes(session.token));
  }
});

test('revokeSessionToken refuses what cannot be a token, sending nothing', async () => {
  const refold = client();
  for (const [token, pattern] of [
    [42, /the session token must be a string, not number/],
    [undefined, /the session token must be a string, not undefined/],
    ['', /empty/],
    ['\uD800abc', /not valid Unicode/],
  ]) {
    const error = await refold.revokeSessionToken(token).then(() => assert.fail('resolved'), (e) => e);
    assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
    assert.match(error.message, pattern);
  }
  assert.equal((await emulator.requests()).count, 0);
});

test('getActiveLinkedAccount reads the linked account of a token, by the token alone', async () => {
  const refold = client();
  const session = await refold.getTokenForLinkedAccount('acct-2');
  const account = await refold.getActiveLinkedAccount(session);
  assert.ok(account instanceof Refold.LinkedAccount);
  assert.equal(account.accountId, 'acct-2');
  const same = await refold.getActiveLinkedAccount(session.token);
  assert.equal(same.accountId, 'acct-2');
  await refold.revokeSessionToken(session);
  const error = await refold.getActiveLinkedAccount(session).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(error instanceof Refold.AuthenticationError, util.inspect(error));
});

test('linked accounts: integrations, newAccount, isSeed, tenantAccountId; every page field', async () => {
  const refold = client();
  const created = await refold.upsertLinkedAccount({ linked_account_id: 'la-new', name: 'New' });
  assert.equal(created.newAccount, true);
  const updated = await refold.upsertLinkedAccount({ linked_account_id: 'la-new', name: 'Newer' });
  assert.equal(updated.newAccount, false);
  const account = await refold.getLinkedAccountById('la-new');
  assert.ok(account.integrations === null || Array.isArray(account.integrations));
  for (const field of ['isSeed', 'tenantAccountId', 'associatedOrg', 'newAccount']) {
    assert.ok(field in account, field);
  }
  const page = await refold.getAllLinkedAccounts({ page: 1, limit: 1 });
  assert.equal(page.pagingCounter, 1);
  assert.equal(page.hasPrevPage, false);
  assert.equal(page.prevPage, null);
  assert.equal(page.hasNextPage, true);
  assert.equal(page.nextPage, 2);
  const second = await refold.getAllLinkedAccounts({ page: 2, limit: 1 });
  assert.deepEqual([second.pagingCounter, second.hasPrevPage, second.prevPage], [2, true, 1]);
  const json = second.toJSON();
  assert.deepEqual([json.pagingCounter, json.hasPrevPage, json.prevPage], [2, true, 1]);
});

test('integrations are typed', async () => {
  const refold = client();
  const integration = {
    type: 'hubspot',
    name: 'HubSpot',
    app_id: null,
    icon: 'https://example.com/h.png',
    reauth_required: false,
    createdAt: '2026-01-02T03:04:05Z',
  };
  await emulator.faults([
    { kind: 'status', status: 200, body: { _id: 'x', account_id: 'acct-1', integrations: [integration], is_seed: true, tenant_account_id: 't-1' } },
  ]);
  const account = await refold.getLinkedAccountById('acct-1');
  assert.equal(account.isSeed, true);
  assert.equal(account.tenantAccountId, 't-1');
  assert.equal(account.integrations.length, 1);
  const [hubspot] = account.integrations;
  assert.deepEqual({ ...hubspot, createdAt: hubspot.createdAt.toISOString() }, {
    type: 'hubspot',
    name: 'HubSpot',
    appId: null,
    icon: 'https://example.com/h.png',
    reauthRequired: false,
    createdAt: '2026-01-02T03:04:05.000Z',
    updatedAt: null,
  });
  assert.ok(Object.isFrozen(account.integrations) && Object.isFrozen(hubspot));
});

test('per-call maxRetries and timeout override the client for one call', async () => {
  const refold = client({ maxRetries: 2 });
  await emulator.faults([{ kind: 'status', status: 503 }]);
  const once = await refold.getTokenForLinkedAccount('acct-1', { maxRetries: 0 }).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(once instanceof Refold.ServerError, util.inspect(once));
  assert.equal(once.attempts, 1);
  await emulator.reset();
  await emulator.faults([{ kind: 'delay', ms: 3000 }]);
  const late = await refold.getLinkedAccountById('acct-1', { timeout: 200, maxRetries: 0 }).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(late instanceof Refold.APITimeoutError, util.inspect(late));
  assert.equal(late.attempts, 1);
  // timeoutMs is Node's other spelling.
  await emulator.reset();
  await emulator.faults([{ kind: 'delay', ms: 3000 }]);
  const alias = await refold.getAllLinkedAccounts({ limit: 5, timeoutMs: 200, maxRetries: 0 }).then(() => assert.fail('resolved'), (e) => e);
  assert.ok(alias instanceof Refold.APITimeoutError, util.inspect(alias));
});

test('unusable per-call options are refused by the core, nothing sent', async () => {
  const refold = client();
  const cases = [
    [() => refold.getTokenForLinkedAccount('acct-1', { timeout: -5 }), /timeout/],
    [() => refold.getTokenForLinkedAccount('acct-1', { maxRetries: 'two' }), /maxRetries must be a number, not string/],
    [() => refold.getTokenForLinkedAccount('acct-1', { fresh: 'yes' }), /fresh must be a boolean, not string/],
    [() => refold.getTokenForLinkedAccount('acct-1', 7), /must be an object, not number/],
    [() => refold.revokeSessionToken('eyJ.a.b', { maxRetries: -1 }), /maxRetries/],
    [() => refold.getAllLinkedAccounts({ limit: 0 }), /limit/],
  ];
  for (const [call, pattern] of cases) {
    const error = await call().then(() => assert.fail('resolved'), (e) => e);
    assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
    assert.match(error.message, pattern);
  }
  assert.equal((await emulator.requests()).count, 0);
});

test('the options object crosses whole: the core reads aliases, units and nested tables', () => {
  const refold = new Refold({ apiKey: KEY, server_url: emulator.url, sandbox: true, cache: { store: false } });
  assert.equal(refold.endpoint, `${emulator.url}/api/v2/public/session-token`);
  assert.equal(refold.environment, 'sandbox');
  assert.throws(() => new Refold({ apiKey: KEY, cache: { maxEntries: 'many' } }), (error) => {
    assert.ok(error instanceof Refold.ConfigurationError);
    assert.match(error.message, /cache\.maxEntries must be a number, not string/);
    return true;
  });
  // A cyclic options object terminates (the converter stops at the core's depth).
  const cyclic = { apiKey: KEY, baseUrl: emulator.url };
  cyclic.self = cyclic;
  assert.ok(new Refold(cyclic));
});

test('a cyclic payload whose members share themselves is refused at once, nothing sent', async () => {
  const udf = {};
  udf.a = udf;
  udf.b = udf;
  udf.c = udf;
  const error = await client()
    .upsertLinkedAccount({ linked_account_id: 'la-cyclic', udf })
    .then(() => assert.fail('resolved'), (e) => e);
  assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
  assert.match(error.message, /nested at most 64 levels deep/);
  assert.equal((await emulator.requests()).count, 0);
});
