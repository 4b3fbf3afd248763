'use strict';
// Per-call cancellation (`signal: AbortSignal`) and per-call limits, through the emulator.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { getEventListeners } = require('node:events');
const Refold = require('..');
const { startEmulator } = require('./helpers');

const KEY = 'sk_signal_test_5d2e8a17c4b9';

let emulator;
let client;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], anyLinkedAccount: true });
  client = new Refold({ apiKey: KEY, baseUrl: emulator.url, cache: true, maxRetries: 0 });
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

const sent = async () => (await emulator.requests()).requests.length;

function isAbort(error, reason) {
  assert.ok(error instanceof Refold.AbortError, String(error));
  assert.ok(error instanceof Refold.RefoldError);
  assert.equal(error.name, 'AbortError');
  assert.equal(error.code, 'aborted');
  if (reason !== undefined) assert.equal(error.cause, reason);
  return true;
}

describe('signal', () => {
  test('aborted before the call: rejects at once, nothing sent, on every kind of call', async () => {
    const reason = new Error('the user left');
    const signal = AbortSignal.abort(reason);
    const calls = [
      () => client.getTokenForLinkedAccount('sig-before', { signal }),
      () => client.getLinkedAccountById('sig-before', { signal }),
      () => client.upsertLinkedAccount({ linked_account_id: 'sig-before' }, { signal }),
      () => client.getAllLinkedAccounts({ page: 1, signal }),
      () => client.api.listWebhooks({}, { signal }),
      () => client.call('listWebhooks', {}, { signal }),
      () => client.forLinkedAccount('sig-before').api.listPersistentTables({}, { signal }),
      async () => {
        for await (const account of client.linkedAccounts({ signal })) assert.fail(String(account));
      },
    ];
    for (const call of calls) await assert.rejects(call(), (error) => isAbort(error, reason));
    assert.equal(await sent(), 0);
  });

  test('aborted during a request: that request is dropped and the call rejects with AbortError', async () => {
    await emulator.faults([{ kind: 'delay', ms: 20000 }]);
    const controller = new AbortController();
    const pending = client.getTokenForLinkedAccount('sig-during', { signal: controller.signal, fresh: true });
    // Abort once the emulator has the request (its log records it on arrival).
    const deadline = Date.now() + 10000;
    while ((await sent()) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const reason = new Error('timeout of the page');
    controller.abort(reason);
    await assert.rejects(pending, (error) => isAbort(error, reason));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    // The client still works, and the dropped call was not retried.
    await emulator.reset();
    const session = await client.getTokenForLinkedAccount('sig-during');
    assert.equal(session.linkedAccountId, 'sig-during');
    assert.equal(await sent(), 1);
  });

  test('an API call aborted during its request rejects with AbortError', async () => {
    await emulator.faults([{ kind: 'delay', ms: 20000 }]);
    const controller = new AbortController();
    const pending = client.api.listWebhooks({}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, (error) => isAbort(error));
  });

  test('a cache hit ignores the signal; no listener is left on it', async () => {
    await client.getTokenForLinkedAccount('sig-hit');
    const controller = new AbortController();
    const session = await client.getTokenForLinkedAccount('sig-hit', { signal: controller.signal });
    assert.equal(session.linkedAccountId, 'sig-hit');
    controller.abort();
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('many calls on one signal leave no listener behind', async () => {
    const controller = new AbortController();
    const { signal } = controller;
    const ids = Array.from({ length: 50 }, (_, i) => `sig-many-${i}`);
    await Promise.all(ids.map((id) => client.getTokenForLinkedAccount(id, { signal, fresh: true })));
    await Promise.all(ids.map((id) => client.getLinkedAccountById(id, { signal }).catch(() => null)));
    for (let i = 0; i < 200; i++) await client.getTokenForLinkedAccount(ids[i % ids.length], { signal });
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  test('a signal that is not an AbortSignal is InvalidInputError, nothing sent', async () => {
    for (const [signal, message] of [
      [{ aborted: false }, 'signal must be an AbortSignal.'],
      ['abort', 'signal must be an AbortSignal, not string.'],
      [1, 'signal must be an AbortSignal, not number.'],
      [null, 'signal must be an AbortSignal, not null.'],
    ]) {
      const refused = (/** @type {unknown} */ error) => {
        assert.ok(error instanceof Refold.InvalidInputError);
        assert.equal(error.code, 'invalid_input');
        assert.equal(error.message, message, 'worded by the core (HOST_OBJECT_OPTIONS)');
        return true;
      };
      await assert.rejects(client.getTokenForLinkedAccount('sig-bad', { signal }), refused);
      await assert.rejects(client.api.listWebhooks({}, { signal }), refused);
    }
    assert.equal(await sent(), 0);
  });
});

describe('per-call limits', () => {
  test('maxRetries for one call: 0 makes a 503 fail after one attempt', async () => {
    const retrying = new Refold({ apiKey: KEY, baseUrl: emulator.url, maxRetries: 2 });
    await emulator.faults([{ kind: 'status', status: 503 }]);
    await assert.rejects(retrying.getTokenForLinkedAccount('limit-retries', { maxRetries: 0 }), (error) => {
      assert.ok(error instanceof Refold.ServerError);
      assert.equal(error.attempts, 1);
      return true;
    });
    assert.equal(await sent(), 1);
  });

  test('timeout for one call overrides the client', async () => {
    const patient = new Refold({ apiKey: KEY, baseUrl: emulator.url, timeoutMs: 30000, maxRetries: 0 });
    await emulator.faults([{ kind: 'delay', ms: 5000 }]);
    await assert.rejects(patient.getTokenForLinkedAccount('limit-timeout', { timeout: 200 }), Refold.APITimeoutError);
  });
});
