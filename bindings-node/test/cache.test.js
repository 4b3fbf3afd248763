'use strict';
// The session cache through the Node surface: off by default, hits, single flight under
// Promise.all, fresh, invalidate, stats, options, errors never cached, panics, worker threads
// with caches of their own, and no token in any string form.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const util = require('node:util');
const { Worker } = require('node:worker_threads');

const { startEmulator } = require('./helpers');
const Refold = require('refold-session');

const KEY = 'sk_test_NODE_CACHE_3c9d7e';
const ACCOUNTS = Array.from({ length: 100 }, (_, i) => `cache-${i}`);

let emulator;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: ['acct-1', 'acct-2', ...ACCOUNTS] });
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

/**
 * @param {unknown} cache
 * @param {object} [extra]
 */
function cached(cache, extra = {}) {
  return new Refold({ apiKey: KEY, baseUrl: emulator.url, cache, ...extra });
}

async function requestCount() {
  return (await emulator.requests()).count;
}

describe('off by default', () => {
  test('every call mints; cacheStats() is null; invalidate does nothing', async () => {
    const plain = new Refold({ apiKey: KEY, baseUrl: emulator.url });
    const a = await plain.getTokenForLinkedAccount('acct-1');
    const b = await plain.getTokenForLinkedAccount('acct-1');
    assert.equal(a.token, b.token, "two requests; Refold answers the account's current token again");
    assert.equal(await plain.cacheStats(), null);
    assert.equal(await plain.invalidate('acct-1'), undefined);
    assert.equal(await plain.invalidateAll(), undefined);
    assert.equal(await requestCount(), 2);
    for (const off of [false, null, undefined]) assert.equal(await cached(off).cacheStats(), null);
  });
});

describe('single flight (Promise.all)', () => {
  test('1,000 concurrent calls for one cold account: 1 request, 1,000 identical tokens', async () => {
    const refold = cached(true);
    const sessions = await Promise.all(Array.from({ length: 1000 }, () => refold.getTokenForLinkedAccount('acct-1')));
    assert.equal(await requestCount(), 1);
    assert.equal(new Set(sessions.map((session) => session.token)).size, 1);
    assert.ok(sessions.every((session) => session instanceof Refold.SessionToken && session.linkedAccountId === 'acct-1'));
    const stats = await refold.cacheStats();
    assert.equal(stats.misses, 1);
    assert.equal(stats.hits + stats.coalesced, 999);
    assert.equal(stats.entries, 1);
  });

  test('1,000 concurrent calls over 100 accounts: exactly 100 requests', async () => {
    const refold = cached(true);
    const ids = Array.from({ length: 1000 }, (_, i) => ACCOUNTS[i % 100]);
    const sessions = await Promise.all(ids.map((id) => refold.getTokenForLinkedAccount(id)));
    assert.equal(await requestCount(), 100);
    const byAccount = new Map();
    sessions.forEach((session, i) => {
      assert.equal(session.linkedAccountId, ids[i]);
      if (!byAccount.has(ids[i])) byAccount.set(ids[i], session.token);
      assert.equal(session.token, byAccount.get(ids[i]), 'one token per account');
    });
    assert.equal(new Set(byAccount.values()).size, 100);
    const stats = await refold.cacheStats();
    assert.equal(stats.misses, 100);
    assert.equal(stats.entries, 100);
  });

  test('a failing mint fails every waiter with the same error, and is not cached', async () => {
    const refold = cached(true, { maxRetries: 0 });
    // A 503 whose body ends only when the connection closes, 300 ms later: every call joins
    // the one mint in flight.
    await emulator.faults([
      {
        kind: 'wire',
        status_line: 'HTTP/1.1 503 Service Unavailable',
        wire_headers: [['content-type', 'application/json']],
        body: '{"message":"down"}',
        pause_ms: 300,
      },
    ]);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => refold.getTokenForLinkedAccount('acct-1')));
    assert.ok(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason instanceof Refold.ServerError));
    assert.equal(await requestCount(), 1);
    assert.equal((await refold.cacheStats()).entries, 0);
    await refold.getTokenForLinkedAccount('acct-1');
    assert.equal(await requestCount(), 2);
  });
});

describe('control', () => {
  test('hits, fresh, invalidate and invalidateAll', async () => {
    const refold = cached(true);
    const a = await refold.getTokenForLinkedAccount('acct-1');
    assert.equal((await refold.getTokenForLinkedAccount('acct-1')).token, a.token);
    assert.equal((await refold.getTokenForLinkedAccount({ linked_account_id: 'acct-1' })).token, a.token);
    const fresh = await refold.getTokenForLinkedAccount('acct-1', { fresh: true });
    assert.notEqual(fresh.token, a.token);
    assert.equal((await refold.getTokenForLinkedAccount('acct-1')).token, fresh.token, 'fresh stores its token');
    assert.equal((await refold.getTokenForLinkedAccount('acct-1', { fresh: false })).token, fresh.token);
    const other = await refold.getTokenForLinkedAccount('acct-2');
    assert.equal(await refold.invalidate('acct-1'), undefined);
    // A miss asks Refold again (the request count below), which answers its current token.
    const afterInvalidate = await refold.getTokenForLinkedAccount('acct-1');
    assert.equal(afterInvalidate.token, fresh.token);
    assert.equal((await refold.getTokenForLinkedAccount('acct-2')).token, other.token);
    await refold.invalidateAll();
    assert.equal((await refold.getTokenForLinkedAccount('acct-2')).token, other.token);
    assert.equal(await requestCount(), 5);
    const stats = await refold.cacheStats();
    assert.deepEqual(
      { ...stats },
      { hits: 5, misses: 5, coalesced: 0, refreshes: 0, refreshFailures: 0, evictions: 0, entries: 1, storeHits: 0, storeErrors: 0,
        rateLimitWaits: 0, rateLimitWaitMs: 0, rateLimitRefused: 0, rateLimit429s: 0,
        rateLimitBackgroundDeferred: 0, rateLimitFleetFallbacks: 0 },
    );
    assert.ok(Object.isFrozen(stats));
  });

  test('deleting an account drops its cached token: the next call gets the typed error', async () => {
    const refold = cached(true);
    await refold.upsertLinkedAccount({ linked_account_id: 'cache-gone' });
    await refold.getTokenForLinkedAccount('cache-gone');
    assert.equal((await refold.cacheStats()).entries, 1);
    await refold.deleteLinkedAccount('cache-gone');
    assert.equal((await refold.cacheStats()).entries, 0);
    await assert.rejects(refold.getTokenForLinkedAccount('cache-gone'), Refold.InvalidLinkedAccountError);
  });

  test('bad arguments reject with InvalidInputError and send nothing', async () => {
    const refold = cached(true);
    for (const [makeCall, message] of [
      [() => refold.getTokenForLinkedAccount('acct-1', { fresh: 'yes' }), /fresh must be a boolean, not string/],
      [() => refold.getTokenForLinkedAccount('acct-1', 'fresh'), /options must be an object, not string/],
      [() => refold.invalidate(5), /number/],
      [() => refold.getTokenForLinkedAccount(5), /number/],
      [() => refold.getTokenForLinkedAccount('a\uD800'), /not valid Unicode/],
      [() => refold.invalidate('a\uD800'), /not valid Unicode/],
    ]) {
      await assert.rejects(makeCall(), (error) => {
        assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
        assert.match(error.message, message);
        return true;
      });
    }
    assert.equal(await requestCount(), 0);
  });
});

describe('the synchronous hit', () => {
  /**
   * Whether `promise` was already settled when it was returned: its reaction, queued now, runs
   * before this function's own continuation. A call answered through the dispatcher settles
   * only on a later turn of the event loop.
   * @param {Promise<unknown>} promise
   */
  async function settledAtOnce(promise) {
    let settled = false;
    promise.then(
      () => { settled = true; },
      () => { settled = true; },
    );
    await null;
    return settled;
  }

  test('a plain hit is fulfilled when the call returns; a miss and fresh are not', async () => {
    const refold = cached(true);
    const miss = refold.getTokenForLinkedAccount('acct-1');
    assert.equal(await settledAtOnce(miss), false, 'a miss goes through the runtime');
    const minted = await miss;
    for (const [id, options] of [['acct-1', undefined], [{ linked_account_id: 'acct-1' }, { fresh: false }]]) {
      const hit = refold.getTokenForLinkedAccount(id, options);
      assert.equal(await settledAtOnce(hit), true, 'a hit is answered synchronously');
      const session = await hit;
      assert.ok(session instanceof Refold.SessionToken);
      assert.equal(session, minted, "a hit answers the object made at the miss");
      assert.equal(session.token, minted.token);
      assert.deepEqual(session.toJSON(), minted.toJSON());
      assert.deepEqual(session.expiresAt, minted.expiresAt);
      assert.equal(String(session), String(minted));
    }
    const fresh = refold.getTokenForLinkedAccount('acct-1', { fresh: true });
    assert.equal(await settledAtOnce(fresh), false, 'fresh bypasses the cache');
    assert.notEqual((await fresh).token, minted.token);
    const bad = refold.getTokenForLinkedAccount('');
    assert.equal(await settledAtOnce(bad), false, 'an invalid id is judged by the core');
    await assert.rejects(bad, Refold.InvalidInputError);
    assert.equal(await requestCount(), 2);
    const stats = await refold.cacheStats();
    assert.equal(stats.hits, 2, 'each synchronous hit counts once');
    assert.equal(stats.misses, 2);
  });

  test('without a cache no call is answered synchronously', async () => {
    const plain = new Refold({ apiKey: KEY, baseUrl: emulator.url });
    await plain.getTokenForLinkedAccount('acct-1');
    const again = plain.getTokenForLinkedAccount('acct-1');
    assert.equal(await settledAtOnce(again), false);
    await again;
    assert.equal(await requestCount(), 2);
  });
});

describe('options', () => {
  test('maxEntries, minRemainingMs and refreshAheadMs are taken', async () => {
    const small = cached({ maxEntries: 1 });
    await small.getTokenForLinkedAccount('acct-1');
    await small.getTokenForLinkedAccount('acct-2');
    // moka evicts in the background; the bound holds once it has caught up.
    let stats;
    for (let i = 0; i < 50; i += 1) {
      stats = await small.cacheStats();
      if (stats.entries === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(stats.entries, 1);
    // A minimum remaining life longer than a token's 24 h is refused by the core, in ms.
    assert.throws(() => cached({ minRemainingMs: 25 * 3600 * 1000 }), /cache\.minRemainingMs must be a non-negative number of milliseconds below 86400000/);
    const tight = cached({ minRemainingMs: 1000, refreshAheadMs: 1000 });
    await tight.getTokenForLinkedAccount('acct-1');
    assert.equal((await tight.cacheStats()).misses, 1);
  });

  test('unusable settings throw ConfigurationError naming the option, never a value', () => {
    for (const [cache, message] of [
      ['yes', /^cache must be a boolean or an object, not string\.$/],
      [[], /^cache must be a boolean or an object, not array\.$/],
      [42, /not number/],
      [{ maxEntries: 0 }, /^cache\.maxEntries must be a whole number from 1 to 10000000, not 0\./],
      [{ maxEntries: 2.5 }, /cache\.maxEntries/],
      [{ maxEntries: '10' }, /^cache\.maxEntries must be a number, not string\.$/],
      [{ minRemainingMs: -1 }, /cache\.minRemainingMs must be a non-negative number of milliseconds/],
      [{ refreshAheadMs: Number.NaN }, /cache\.refreshAheadMs/],
      [{ minRemainingMs: 5000, refreshAheadMs: 1000 }, /cache\.refreshAheadMs must be at least cache\.minRemainingMs/],
    ]) {
      assert.throws(() => cached(cache), (error) => {
        assert.ok(error instanceof Refold.ConfigurationError, util.inspect(error));
        assert.match(error.message, message);
        return true;
      });
    }
  });
});

describe('panics with the cache on', () => {
  const PANIC_ID = '__refold_test_hooks_panic__';

  test('every waiter of a panicking mint gets InternalError; the client still works', async () => {
    const refold = cached(true);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => refold.getTokenForLinkedAccount(PANIC_ID)));
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.reason instanceof Refold.InternalError, util.inspect(outcome.reason));
    }
    assert.equal((await refold.getTokenForLinkedAccount('acct-1')).linkedAccountId, 'acct-1');
  });
});

describe('secrets', () => {
  test('no token in the string forms of a cache-enabled client or its stats', async () => {
    const refold = cached(true);
    const session = await refold.getTokenForLinkedAccount('acct-1');
    const stats = await refold.cacheStats();
    for (const form of [
      util.inspect(refold, { showHidden: true, depth: 10 }),
      String(refold),
      JSON.stringify(refold),
      util.inspect(stats),
      JSON.stringify(stats),
      util.inspect(session),
      String(session),
    ]) {
      assert.ok(!form.includes(session.token), form);
      assert.ok(!form.includes(KEY), form);
    }
  });
});

describe('worker threads', () => {
  /** @param {object} workerData */
  function runWorker(workerData) {
    return new Promise((resolve, reject) => {
      const worker = new Worker(path.join(__dirname, 'fixtures', 'cache-worker.js'), { workerData });
      let message = null;
      worker.once('message', (m) => (message = m));
      worker.once('error', reject);
      worker.once('exit', (code) => resolve({ code, message }));
    });
  }

  test("each worker thread's client has its own cache", async () => {
    const data = { apiKey: KEY, baseUrl: emulator.url, linkedAccountId: 'acct-1' };
    const main = cached(true);
    const mainToken = (await main.getTokenForLinkedAccount('acct-1')).token;
    const [a, b] = await Promise.all([runWorker(data), runWorker(data)]);
    for (const result of [a, b]) {
      assert.equal(result.code, 0);
      assert.equal(result.message.error, undefined, result.message.error);
      assert.equal(result.message.same, true, 'the second call is a hit in its own cache');
      assert.equal(result.message.stats.misses, 1, 'each worker mints once');
      assert.equal(result.message.stats.hits, 1);
      assert.equal(result.message.stats.entries, 1);
    }
    // Each cache missed (3 requests); Refold answered the account's current token to each.
    assert.equal(new Set([a.message.token, b.message.token, mainToken]).size, 1);
    assert.equal(await requestCount(), 3);
    // The main thread's cache is intact.
    assert.equal((await main.getTokenForLinkedAccount('acct-1')).token, mainToken);
    assert.equal(await requestCount(), 3);
  });
});
