'use strict';
// The whole API from Node (docs/contract.md §17): the generic call, the generated `client.api`
// methods and their `...All` iterators, scoped clients, per-call options, multipart files,
// bad input refused unsent, and the key never shown. Against a live emulator.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { startEmulator } = require('./helpers');
const Refold = require('refold-session');
const { OPERATIONS } = require('../api.generated.js');

const KEY = 'sk_api_NODE_DISTINCTIVE_7b3e';

let emulator;
let client;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], anyLinkedAccount: true });
  client = new Refold({ apiKey: KEY, baseUrl: emulator.url, maxRetries: 0 });
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

async function log() {
  return (await emulator.requests()).requests;
}

/** Every string a failure or an object shows. */
function shown(value) {
  return [String(value), util.inspect(value, { depth: 5, showHidden: true }), JSON.stringify(value) ?? '', value?.stack ?? ''].join('\n');
}

describe('the generated methods', () => {
  test('one method per operation, and an All iterator per paginated list', () => {
    assert.equal(OPERATIONS.length, 102);
    const paged = OPERATIONS.filter(([, , isPaged]) => isPaged);
    assert.equal(paged.length, 13);
    const methods = Object.getOwnPropertyNames(Refold.RefoldApi.prototype).filter((name) => name !== 'constructor');
    assert.equal(methods.length, 102 + 13);
    assert.ok(client.api instanceof Refold.RefoldApi);
    assert.equal(client.api, client.api, 'made once per client');
    assert.equal(typeof client.api.listPersistentTablesAll, 'function');
    assert.equal(typeof client.api.listWebhooksAll, 'undefined', 'not paginated');
  });

  test('a table is created, filled and read back with getPersistentTableRecordsAll', async () => {
    const account = client.forLinkedAccount('api-1');
    assert.equal(account.linkedAccountId, 'api-1');
    const created = await account.api.createPersistentTable({
      body: { table_name: 'leads', columns: [{ column_name: 'email' }] },
    });
    const tableId = created.table_id;
    assert.equal(typeof tableId, 'string');
    const rows = Array.from({ length: 5 }, (_, i) => ({ email: `${i}@example.com` }));
    await account.api.addRecordsToPersistentTable({ tableId, body: { data: rows } });

    const seen = [];
    for await (const record of account.api.getPersistentTableRecordsAll({ tableId, limit: 2 })) seen.push(record);
    assert.equal(seen.length, 5, 'three pages of 2, 2 and 1');

    const entries = await log();
    assert.equal(entries.length, 5);
    for (const entry of entries) assert.equal(entry.headers.linked_account_id, 'api-1');
    assert.deepEqual(entries.slice(2).map((entry) => entry.query), ['limit=2', 'page=2&limit=2', 'page=3&limit=2']);

    // The generic entry reaches the same operation by its id, camelCase or declared keys.
    const page = await client.callPage('getPersistentTableRecords', { table_id: tableId, linkedAccountId: 'api-1', page: 3, limit: 2 });
    assert.equal(page.items.length, 1);
    assert.equal(page.nextPage, null);
    const whole = await client.call('getPersistentTableRecords', { tableId, linkedAccountId: 'api-1' });
    assert.ok(Array.isArray(whole.docs ?? whole.rows), JSON.stringify(whole));
  });

  test('a paginated list started past page 1 goes on from there', async () => {
    const account = client.forLinkedAccount('api-1b');
    const { table_id: tableId } = await account.api.createPersistentTable({
      body: { table_name: 'later', columns: [{ column_name: 'n' }] },
    });
    await account.api.addRecordsToPersistentTable({ tableId, body: { data: [{ n: '1' }, { n: '2' }, { n: '3' }] } });
    const seen = [];
    for await (const record of account.api.getPersistentTableRecordsAll({ tableId, page: 2, limit: 1 })) seen.push(record);
    assert.equal(seen.length, 2);
  });
});

describe('scoped clients', () => {
  test('a session-token client calls its own operations and refuses org-level ones unsent', async () => {
    const session = await client.getTokenForLinkedAccount('api-2');
    const scoped = client.forSessionToken(session);
    assert.equal(scoped.linkedAccountId, null);
    const active = await scoped.api.getActiveLinkedAccount();
    assert.equal(active.account_id, 'api-2');
    const before = (await log()).length;
    for (const refusedCall of [
      () => scoped.api.listLinkedAccounts(),
      () => scoped.api.listWebhooks(),
      () => scoped.call('createLinkedAccount', { body: { linked_account_id: 'x' } }),
      () => scoped.api.listLinkedAccountsAll().next(),
    ]) {
      await assert.rejects(refusedCall(), (error) => {
        assert.ok(error instanceof Refold.InvalidInputError, shown(error));
        assert.match(error.message, /org-level/);
        assert.equal(error.attempts, 0);
        assert.ok(!shown(error).includes(session.token));
        return true;
      });
    }
    assert.equal((await log()).length, before, 'nothing was sent');
    const entries = await log();
    assert.equal(entries[1].headers.authorization, 'Bearer [redacted]');
    assert.equal(entries[1].headers['x-api-key'], undefined, 'no API key with a session token');
    const text = util.inspect(scoped);
    assert.match(text, /ScopedClient/);
    assert.ok(!text.includes(session.token) && !text.includes(KEY), text);
  });

  test('a linked-account client refuses another account and org-level operations unsent', async () => {
    const account = client.forLinkedAccount('api-3');
    await assert.rejects(account.api.listExecutions({ linkedAccountId: 'someone-else' }), Refold.InvalidInputError);
    await assert.rejects(account.api.listLinkedAccounts(), /org-level/);
    assert.equal((await log()).length, 0);
    assert.throws(() => client.forLinkedAccount(''), Refold.InvalidInputError);
    assert.throws(() => client.forLinkedAccount(42), Refold.InvalidInputError);
    assert.throws(() => client.forSessionToken(''), Refold.InvalidInputError);
  });
});

describe('per-call options', () => {
  test('maxRetries per call: retried with 2, not with the client\'s 0', async () => {
    await emulator.faults([{ kind: 'status', status: 503 }]);
    const list = await client.api.listWebhooks(undefined, { maxRetries: 2 });
    assert.ok(Array.isArray(list), JSON.stringify(list));
    assert.equal((await log()).length, 2);
    await emulator.faults([{ kind: 'status', status: 503 }]);
    await assert.rejects(client.api.listWebhooks(), (error) => {
      assert.ok(error instanceof Refold.ServerError, shown(error));
      assert.equal(error.attempts, 1);
      assert.equal(error.status, 503);
      return true;
    });
  });

  test('timeout per call', async () => {
    await emulator.faults([{ kind: 'delay', ms: 3000 }]);
    await assert.rejects(client.call('listWebhooks', undefined, { timeout: 200, maxRetries: 0 }), Refold.APITimeoutError);
    await assert.rejects(client.api.listWebhooks(undefined, { timeout: -1 }), Refold.InvalidInputError);
  });
});

describe('multipart', () => {
  test('an event with a Buffer file goes as multipart/form-data', async () => {
    await client.api.createEvent({ body: { name: 'file_uploaded', response: '{}' } });
    const account = client.forLinkedAccount('api-4');
    await account.api.triggerEvent({
      body: { event: 'file_uploaded', payload: { n: 1 } },
      files: [{ field: 'file', filename: 'notes.txt', contentType: 'text/plain', data: Buffer.from('hello buffer') }],
    });
    await account.api.triggerEvent({
      body: { event: 'file_uploaded' },
      files: [{ field: 'file', filename: 'raw.bin', data: new Uint8Array([104, 105]) }],
    });
    const entries = await log();
    assert.equal(entries.length, 3);
    for (const entry of entries.slice(1)) {
      assert.match(entry.headers['content-type'], /^multipart\/form-data; boundary=/);
      assert.equal(entry.headers.linked_account_id, 'api-4');
    }
    assert.match(entries[1].body, /filename="notes.txt"\r\ncontent-type: text\/plain\r\n\r\nhello buffer\r\n/);
    assert.match(entries[2].body, /content-type: application\/octet-stream\r\n\r\nhi\r\n/);
  });
});

describe('bad input is refused with a typed error, nothing sent', () => {
  const cases = [
    ['an unknown operation', () => client.call('noSuchOperation')],
    ['an operation id that is not a string', () => client.call(42)],
    ['a parameter the operation does not take', () => client.api.listWebhooks({ nope: 1 })],
    ['a missing required parameter', () => client.call('getExecutionById', { linkedAccountId: 'a' })],
    ['a parameter of the wrong type', () => client.api.listLinkedAccounts({ page: 'one' })],
    ['params that are not an object', () => client.call('listWebhooks', 'x')],
    ['a body for an operation without one', () => client.api.listWebhooks({ body: { a: 1 } })],
    ['a linked account where none is taken', () => client.api.listWebhooks({ linkedAccountId: 'a' })],
    ['no linked account where one is needed', () => client.api.listSchedules()],
    ['files that are not a list', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: 'x' })],
    ['a file whose data is a string', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: [{ field: 'f', filename: 'a', data: 'text' }] })],
    ['a file without a name', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: [{ field: 'f', data: Buffer.from('x') }] })],
    ['a file with a quote in its name', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: [{ field: 'f', filename: 'a"b', data: Buffer.from('x') }] })],
    ['a Float32Array as data', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: [{ field: 'f', filename: 'a', data: new Float32Array(2) }] })],
    ['33 files', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: Array.from({ length: 33 }, () => ({ field: 'f', filename: 'a', data: Buffer.from('x') })) })],
    ['files over 16 MiB', () => client.api.triggerEvent({ linkedAccountId: 'a', body: { event: 'e' }, files: [{ field: 'f', filename: 'a', data: Buffer.alloc(16 * 1024 * 1024 + 1) }] })],
    ['files where the operation takes JSON', () => client.api.registerWebhook({ body: { webhook_url: 'x', webhook_events: [] }, files: [{ field: 'f', filename: 'a', data: Buffer.from('x') }] })],
    ['a deep cyclic body', () => { const body = {}; body.self = body; return client.api.registerWebhook({ body }); }],
    ['a session-token operation on the API key', () => client.api.revokeSessionToken()],
  ];
  for (const [name, run] of cases) {
    test(name, async () => {
      await assert.rejects(run(), (error) => {
        assert.ok(error instanceof Refold.InvalidInputError, `${name}: ${shown(error)}`);
        assert.equal(error.attempts, 0);
        assert.ok(!shown(error).includes(KEY));
        return true;
      });
      assert.equal((await log()).length, 0, name);
    });
  }
});

test('the key never appears in errors, inspect or JSON', async () => {
  const failures = [];
  failures.push(await client.api.getExecution({ executionId: 'nope', linkedAccountId: 'api-5' }).catch((e) => e));
  failures.push(await client.call('noSuchOperation').catch((e) => e));
  const wrong = new Refold({ apiKey: 'sk_wrong_NODE_DISTINCTIVE_1c9', baseUrl: emulator.url, maxRetries: 0 });
  failures.push(await wrong.api.listWebhooks().catch((e) => e));
  assert.ok(failures[0] instanceof Refold.NotFoundError, shown(failures[0]));
  assert.match(failures[0].message, /getExecutionById/);
  assert.ok(failures[2] instanceof Refold.AuthenticationError, shown(failures[2]));
  for (const value of [...failures, client, wrong, client.api, client.forLinkedAccount('api-5')]) {
    const text = shown(value);
    assert.ok(!text.includes(KEY) && !text.includes('sk_wrong_NODE_DISTINCTIVE_1c9'), text);
  }
});
