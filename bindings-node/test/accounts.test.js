'use strict';
// Linked accounts through the Node surface: the official SDK's names and payloads, the values
// read back, all pages with `for await`, problems caught before sending, credentials never
// shown, and the same shapes as `@cobaltio/cobalt`'s own requests.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { startEmulator } = require('./helpers');
const Refold = require('refold-session');

const KEY = 'sk_test_NODE_ACCOUNTS_8d2e1f';
/** A credential value that must never show anywhere. */
const CREDENTIAL = 'cred_DISTINCTIVE_9a7b5c3d1e';

let emulator;
let refold;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY] });
  refold = new Refold({ apiKey: KEY, baseUrl: emulator.url });
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

/** Deletes every account, so that each test starts from none. */
async function deleteAll() {
  const ids = [];
  for await (const account of refold.linkedAccounts({ limit: 100 })) ids.push(account.accountId);
  for (const id of ids) await refold.deleteLinkedAccount(id);
  await emulator.reset();
}

describe('the calls', () => {
  beforeEach(deleteAll);

  test('upsert creates then updates; the account reads back with typed fields and its whole JSON', async () => {
    const created = await refold.upsertLinkedAccount({
      linked_account_id: 'la-node-1',
      name: 'Mark Wood',
      udf: { phone: '123', vip: true, visits: 3, note: null },
    });
    assert.ok(created instanceof Refold.LinkedAccount);
    assert.equal(created.accountId, 'la-node-1');
    assert.equal(created.name, 'Mark Wood');
    assert.equal(created.environment, 'test');
    assert.deepEqual({ ...created.udf }, { phone: '123', vip: true, visits: 3, note: null });
    assert.match(created.id, /^[0-9a-f]{24}$/);
    assert.equal(created.id, created.json._id);
    assert.ok(created.createdAt instanceof Date && created.updatedAt instanceof Date);
    assert.equal(created.createdAt.toISOString(), created.json.createdAt);
    // Refold's udf is a list of {key_name, key_value}: kept as is in `json`.
    assert.ok(Array.isArray(created.json.udf));
    assert.deepEqual(
      created.json.udf.map((field) => [field.key_name, field.key_value]).sort(),
      [['note', null], ['phone', '123'], ['vip', true], ['visits', 3]],
    );
    assert.ok(Object.isFrozen(created) && Object.isFrozen(created.json) && Object.isFrozen(created.udf));

    const [request] = (await emulator.requests()).requests;
    assert.equal(request.method, 'PUT');
    assert.equal(request.path, '/api/v2/public/linked-account');
    assert.deepEqual(JSON.parse(request.body), {
      linked_account_id: 'la-node-1',
      name: 'Mark Wood',
      udf: { phone: '123', vip: true, visits: 3, note: null },
    });

    const updated = await refold.upsertLinkedAccount({ linked_account_id: 'la-node-1', name: 'New Name' });
    assert.equal(updated.name, 'New Name');
    assert.equal(updated.id, created.id);
    const fetched = await refold.getLinkedAccountById('la-node-1');
    // An upsert answers new_account and no integrations; a get, the integrations.
    const { new_account: newAccount, ...upserted } = updated.json;
    assert.equal(newAccount, false);
    assert.deepEqual(fetched.json, { ...upserted, integrations: [] });
    assert.deepEqual(JSON.parse(JSON.stringify(fetched)), fetched.json);
  });

  test('create refuses an existing id with BadRequestError; get and delete of an unknown id are NotFoundError', async () => {
    const created = await refold.createLinkedAccount({ linked_account_id: 'la-node-2' });
    assert.equal(created.name, null);
    await assert.rejects(refold.createLinkedAccount({ linked_account_id: 'la-node-2' }), (error) => {
      assert.ok(error instanceof Refold.BadRequestError, util.inspect(error));
      assert.equal(error.status, 400);
      assert.equal(error.attempts, 1);
      return true;
    });
    assert.deepEqual(await refold.deleteLinkedAccount('la-node-2'), { message: 'User deleted successfully' });
    for (const call of [() => refold.getLinkedAccountById('la-node-2'), () => refold.deleteLinkedAccount('la-node-2')]) {
      await assert.rejects(call(), (error) => {
        assert.ok(error instanceof Refold.NotFoundError, util.inspect(error));
        assert.equal(error.status, 404);
        return true;
      });
    }
  });

  test('an id is one escaped path segment, never replaced', async () => {
    const id = 'la/esc aped-ü-\u{1F642}';
    await refold.upsertLinkedAccount({ linked_account_id: id });
    await emulator.reset();
    assert.equal((await refold.getLinkedAccountById(id)).accountId, id);
    const [request] = (await emulator.requests()).requests;
    assert.equal(request.path, `/api/v2/public/linked-account/${encodeURIComponent(id)}`);
  });

  test('getAllLinkedAccounts({ page, limit }) returns a page; for await walks every page lazily', async () => {
    for (let i = 0; i < 5; i += 1) await refold.upsertLinkedAccount({ linked_account_id: `la-page-${i}` });
    await emulator.reset();
    const page = await refold.getAllLinkedAccounts({ page: 2, limit: 2 });
    assert.ok(page instanceof Refold.LinkedAccountPage);
    assert.deepEqual(
      [page.page, page.limit, page.total, page.totalPages, page.nextPage],
      [2, 2, 5, 3, 3],
    );
    assert.deepEqual(page.accounts.map((account) => account.accountId), ['la-page-2', 'la-page-3']);
    assert.equal(page.docs, page.accounts);
    assert.equal(page.totalDocs, 5);
    assert.equal(page.hasNextPage, true);
    const last = await refold.getAllLinkedAccounts({ page: 3, limit: 2 });
    assert.equal(last.nextPage, null);
    assert.equal(last.hasNextPage, false);
    const defaults = await refold.getAllLinkedAccounts();
    assert.deepEqual([defaults.page, defaults.limit, defaults.accounts.length], [1, 10, 5]);
    const [request] = (await emulator.requests()).requests;
    assert.equal(request.query, 'page=2&limit=2');

    await emulator.reset();
    const seen = [];
    for await (const account of refold.linkedAccounts({ limit: 2 })) {
      assert.ok(account instanceof Refold.LinkedAccount);
      seen.push(account.accountId);
      // One request per page, made only when the loop needs it.
      assert.equal((await emulator.requests()).count, Math.ceil(seen.length / 2));
    }
    assert.deepEqual(seen, ['la-page-0', 'la-page-1', 'la-page-2', 'la-page-3', 'la-page-4']);
    assert.equal((await emulator.requests()).count, 3);

    await emulator.reset();
    for await (const account of refold.linkedAccounts({ limit: 2 })) {
      assert.equal(account.accountId, 'la-page-0');
      break;
    }
    assert.equal((await emulator.requests()).count, 1, 'breaking out fetches no further page');

    const all = [];
    for await (const account of refold.linkedAccounts()) all.push(account.accountId);
    assert.equal(all.length, 5);
  });

  test('an error while walking the pages rejects the loop', async () => {
    for (let i = 0; i < 3; i += 1) await refold.upsertLinkedAccount({ linked_account_id: `la-walk-${i}` });
    await emulator.reset();
    const seen = [];
    const walk = async () => {
      for await (const account of refold.linkedAccounts({ limit: 2 })) {
        seen.push(account.accountId);
        if (seen.length === 2) await emulator.faults([{ kind: 'status', status: 403 }]);
      }
    };
    await assert.rejects(walk(), Refold.PermissionDeniedError);
    assert.deepEqual(seen, ['la-walk-0', 'la-walk-1']);
  });
});

describe('problems are caught before anything is sent (InvalidInputError, in the core words)', () => {
  const cases = [
    ['no object', () => refold.upsertLinkedAccount('la-x'), /must be an object with a linked_account_id, not a string/],
    ['no id', () => refold.upsertLinkedAccount({ name: 'x' }), /linked_account_id is missing/],
    ['an id of the wrong type', () => refold.createLinkedAccount({ linked_account_id: 42 }), /number/],
    ['a blank id', () => refold.upsertLinkedAccount({ linked_account_id: '  ' }), /only whitespace/],
    ['an unknown member', () => refold.upsertLinkedAccount({ linked_account_id: 'a', nmae: 'x' }), /Unknown linked account field "nmae"/],
    ['a udf list', () => refold.upsertLinkedAccount({ linked_account_id: 'a', udf: ['x'] }), /udf must be an object/],
    ['a nested udf value', () => refold.upsertLinkedAccount({ linked_account_id: 'a', udf: { a: { b: 1 } } }), /udf field "a"/],
    ['a bigint', () => refold.upsertLinkedAccount({ linked_account_id: 'a', udf: { n: 1n } }), /udf\.n must be .*, not bigint/],
    ['a non-finite number', () => refold.upsertLinkedAccount({ linked_account_id: 'a', udf: { n: Infinity } }), /udf\.n must be a finite number/],
    ['your_app without credentials', () => refold.upsertLinkedAccount({ linked_account_id: 'a', your_app: { app_id: 'x' } }), /auth_credentials/],
    ['a lone surrogate in the id', () => refold.upsertLinkedAccount({ linked_account_id: 'a\uD800' }), /not valid Unicode/],
    ['a lone surrogate in the name', () => refold.upsertLinkedAccount({ linked_account_id: 'a', name: '\uDC00x' }), /name is not valid Unicode/],
    ['a lone surrogate in a udf name', () => refold.upsertLinkedAccount({ linked_account_id: 'a', udf: { '\uD800': 1 } }), /not valid Unicode/],
    ['a cycle', () => {
      const udf = {};
      udf.self = udf;
      return refold.upsertLinkedAccount({ linked_account_id: 'a', udf });
    }, /nested at most 64 levels deep/],
    ['get with a number', () => refold.getLinkedAccountById(7), /number/],
    ['delete with a lone surrogate', () => refold.deleteLinkedAccount('\uDFFF'), /not valid Unicode/],
    ['page 0', () => refold.getAllLinkedAccounts({ page: 0 }), /page must be a whole number from 1/],
    ['limit 101', () => refold.getAllLinkedAccounts({ limit: 101 }), /limit must be a whole number from 1 to 100, not 101/],
    ['a string limit', () => refold.getAllLinkedAccounts({ limit: '10' }), /limit must be a number, not string/],
    ['options that are no object', () => refold.getAllLinkedAccounts(2), /options must be an object, not number/],
    ['a walk with limit 0', async () => {
      for await (const account of refold.linkedAccounts({ limit: 0 })) assert.fail(String(account));
    }, /limit must be a whole number from 1 to 100, not 0/],
  ];
  for (const [label, makeCall, message] of cases) {
    test(label, async () => {
      await assert.rejects(makeCall(), (error) => {
        assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
        assert.equal(error.code, 'invalid_input');
        assert.equal(error.attempts, 0);
        assert.match(error.message, message);
        return true;
      });
      assert.equal((await emulator.requests()).count, 0, 'nothing was sent');
    });
  }

  test('members JSON.stringify leaves out are left out here too', async () => {
    await refold.upsertLinkedAccount({ linked_account_id: 'la-omit', name: undefined, udf: { a: 1, b: undefined, f() {} } });
    const [request] = (await emulator.requests()).requests;
    assert.deepEqual(JSON.parse(request.body), { linked_account_id: 'la-omit', udf: { a: 1 } });
  });
});

describe('auth_credentials are a secret', () => {
  test('sent to Refold, but never in an error message, stack, inspect or JSON form', async () => {
    const payload = {
      linked_account_id: 'la-secret',
      your_app: { app_id: 'app-1', auth_credentials: { Authorization: `Bearer ${CREDENTIAL}` } },
    };
    await refold.upsertLinkedAccount(payload);
    const [sent] = (await emulator.requests()).requests;
    // The emulator's log redacts it too; what matters is that the request carried the member.
    assert.deepEqual(JSON.parse(sent.body).your_app, { app_id: 'app-1', auth_credentials: '[redacted]' });

    // A server that echoes the credential back: the core removes it from the message.
    for (const status of [400, 401, 500]) {
      await emulator.faults([{ kind: 'status', status, body: { message: `rejected Bearer ${CREDENTIAL} for you` } }]);
      const error = await refold.upsertLinkedAccount(payload).catch((e) => e);
      assert.ok(error instanceof Refold.RefoldError, util.inspect(error));
      for (const form of [error.message, String(error), error.stack, util.inspect(error), JSON.stringify(error)]) {
        assert.ok(!form.includes(CREDENTIAL), form);
      }
    }
    const account = await refold.getLinkedAccountById('la-secret');
    for (const form of [util.inspect(account, { depth: 10, showHidden: true }), JSON.stringify(account), String(account)]) {
      assert.ok(!form.includes(CREDENTIAL), form);
    }
  });
});

describe('the same shapes as @cobaltio/cobalt', () => {
  // What `@cobaltio/cobalt` sends for each linked-account call (method, path, headers, body),
  // made here with plain `fetch`, as a hand-written script of that SDK's requests.
  const sdk = {
    async request(method, path, body) {
      const response = await fetch(`${emulator.url}${path}`, {
        method,
        headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.ok(response.ok, `${method} ${path}: ${response.status}`);
      return response.json();
    },
    upsertLinkedAccount(payload) {
      return this.request('PUT', '/api/v2/public/linked-account', payload);
    },
    createLinkedAccount(payload) {
      return this.request('POST', '/api/v2/public/linked-account', payload);
    },
    getLinkedAccountById(id) {
      return this.request('GET', `/api/v2/public/linked-account/${encodeURIComponent(id)}`);
    },
    getAllLinkedAccounts({ page, limit }) {
      return this.request('GET', `/api/v2/public/linked-account?page=${page}&limit=${limit}`);
    },
    deleteLinkedAccount(id) {
      return this.request('DELETE', `/api/v2/public/linked-account/${encodeURIComponent(id)}`);
    },
  };

  /** A value's shape: the same structure with every leaf replaced by its type. */
  function shape(value) {
    if (Array.isArray(value)) return value.map(shape);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shape(item)]).sort());
    }
    return value === null ? 'null' : typeof value;
  }

  /** The last request the emulator logged: what went on the wire. */
  async function lastRequest() {
    const { requests } = await emulator.requests();
    const { method, path, query, body } = requests[requests.length - 1];
    return { method, path, query, body: body ? JSON.parse(body) : null };
  }

  /** Asserts that our request equals theirs but for the account id. */
  function assertSameRequest(ours, theirs, ourId, theirId) {
    const swap = (text) => text.split(encodeURIComponent(ourId)).join(encodeURIComponent(theirId));
    const body = ours.body && { ...ours.body, linked_account_id: theirId };
    assert.deepEqual({ ...ours, path: swap(ours.path), body: ours.body && (ours.body.linked_account_id ? body : ours.body) }, theirs);
  }

  beforeEach(deleteAll);

  test('the same requests, and answers of the same shape and content', async () => {
    const input = (id) => ({ linked_account_id: id, name: 'Shape', udf: { plan: 'pro', seats: 4 } });

    const theirs = await sdk.upsertLinkedAccount(input('la-sdk-1'));
    const theirRequest = await lastRequest();
    const ours = await refold.upsertLinkedAccount(input('la-sdk-2'));
    assertSameRequest(await lastRequest(), theirRequest, 'la-sdk-2', 'la-sdk-1');
    assert.deepEqual(shape(JSON.parse(JSON.stringify(ours))), shape(theirs));
    assert.deepEqual(shape(ours.json), shape(theirs));
    assert.equal(ours.accountId, 'la-sdk-2');
    assert.equal(theirs.account_id, 'la-sdk-1');

    const created = await sdk.createLinkedAccount(input('la-sdk-3'));
    const createdRequest = await lastRequest();
    const ourCreated = await refold.createLinkedAccount(input('la-sdk-4'));
    assertSameRequest(await lastRequest(), createdRequest, 'la-sdk-4', 'la-sdk-3');
    assert.deepEqual(shape(ourCreated.toJSON()), shape(created));

    // The same account read both ways: identical content.
    const gotTheirs = await sdk.getLinkedAccountById('la-sdk-2');
    const getRequest = await lastRequest();
    const gotOurs = await refold.getLinkedAccountById('la-sdk-2');
    assert.deepEqual(await lastRequest(), getRequest);
    assert.deepEqual(JSON.parse(JSON.stringify(gotOurs)), gotTheirs);
    // An upsert answers new_account and no integrations; a get, the integrations.
    const { new_account: _created, ...upserted } = JSON.parse(JSON.stringify(ours));
    assert.deepEqual({ ...upserted, integrations: [] }, gotTheirs);

    const pageTheirs = await sdk.getAllLinkedAccounts({ page: 1, limit: 3 });
    const listRequest = await lastRequest();
    const pageOurs = await refold.getAllLinkedAccounts({ page: 1, limit: 3 });
    assert.deepEqual(await lastRequest(), listRequest);
    const ourPageJSON = JSON.parse(JSON.stringify(pageOurs));
    for (const [key, value] of Object.entries(ourPageJSON)) assert.deepEqual(value, pageTheirs[key], key);
    assert.deepEqual(pageOurs.docs.map((account) => account.toJSON()), pageTheirs.docs);
    assert.deepEqual(
      [pageOurs.total, pageOurs.totalPages, pageOurs.nextPage, pageOurs.hasNextPage],
      [pageTheirs.totalDocs, pageTheirs.totalPages, pageTheirs.nextPage, pageTheirs.hasNextPage],
    );

    const deletedTheirs = await sdk.deleteLinkedAccount('la-sdk-1');
    const deleteRequest = await lastRequest();
    const deletedOurs = await refold.deleteLinkedAccount('la-sdk-3');
    assertSameRequest(await lastRequest(), deleteRequest, 'la-sdk-3', 'la-sdk-1');
    assert.deepEqual(deletedOurs, deletedTheirs);
  });
});
