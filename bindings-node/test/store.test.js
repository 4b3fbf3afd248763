'use strict';
// The fleet store through the Node surface, against a real redis-server this test starts on a
// free loopback port (and stops): clients sharing it mint once, stats count store hits, Redis
// failing never fails a call, options are checked by the core, secrets never show.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { spawn } = require('node:child_process');

const { startEmulator } = require('./helpers');
const Refold = require('refold-session');

const KEY = 'sk_test_NODE_STORE_6b1f0a';
const ENCRYPTION_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
const OTHER_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i)).toString('base64');

/** A free loopback port (free when asked; redis-server binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port. */
async function waitForPort(port, child) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('redis-server did not start');
}

let emulator;
let redis;
let redisDir;
let redisUrl;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: Array.from({ length: 10 }, (_, i) => `store-${i}`) });
  const port = await freePort();
  redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refold-node-redis-'));
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', redisDir], {
    stdio: 'ignore',
  });
  const killOnExit = () => redis.kill('SIGKILL');
  process.once('exit', killOnExit);
  redis.once('exit', () => process.removeListener('exit', killOnExit));
  await waitForPort(port, redis);
  redisUrl = `redis://127.0.0.1:${port}`;
});
after(async () => {
  if (redis && redis.exitCode === null && redis.signalCode === null) {
    const exited = new Promise((resolve) => redis.once('exit', resolve));
    redis.kill('SIGTERM');
    await exited;
  }
  if (redisDir) fs.rmSync(redisDir, { recursive: true, force: true });
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

let prefixes = 0;
/** A client on the shared store; each test gets its own key prefix unless told. */
function fleetClient(store = {}) {
  return new Refold({
    apiKey: KEY,
    baseUrl: emulator.url,
    timeoutMs: 5000,
    cache: { store: { redisUrl, encryptionKey: ENCRYPTION_KEY, ...store } },
  });
}

async function requestCount() {
  return (await emulator.requests()).count;
}

describe('a store shared by two clients', () => {
  test('the second client finds the first one\'s token in Redis: one mint, counted as a store hit', async () => {
    const keyPrefix = `node-test-${(prefixes += 1)}:`;
    const first = fleetClient({ keyPrefix });
    const second = fleetClient({ keyPrefix });
    const minted = await first.getTokenForLinkedAccount('store-1');
    const found = await second.getTokenForLinkedAccount('store-1');
    assert.equal(found.token, minted.token);
    assert.equal(found.linkedAccountId, 'store-1');
    assert.equal(await requestCount(), 1);
    const stats = await second.cacheStats();
    assert.equal(stats.storeHits, 1);
    assert.equal(stats.storeErrors, 0);
    assert.equal((await first.cacheStats()).storeHits, 0);
    // Now in the second client's own cache: a plain hit.
    assert.equal((await second.getTokenForLinkedAccount('store-1')).token, minted.token);
    assert.equal((await second.cacheStats()).hits, 1);
  });

  test('200 concurrent calls on each of two clients: one request, one token', async () => {
    const keyPrefix = `node-test-${(prefixes += 1)}:`;
    const clients = [fleetClient({ keyPrefix }), fleetClient({ keyPrefix })];
    const sessions = await Promise.all(
      clients.flatMap((client) => Array.from({ length: 200 }, () => client.getTokenForLinkedAccount('store-2'))),
    );
    assert.equal(new Set(sessions.map((session) => session.token)).size, 1);
    assert.equal(await requestCount(), 1);
    const stats = await Promise.all(clients.map((client) => client.cacheStats()));
    assert.equal(stats[0].misses + stats[1].misses, 2, 'one miss per client');
    assert.equal(stats[0].storeHits + stats[1].storeHits, 1, 'the other client read the token from Redis');
  });

  test('key rotation: [new, old] reads what the old key wrote; another key alone misses', async () => {
    const keyPrefix = `node-test-${(prefixes += 1)}:`;
    const old = fleetClient({ keyPrefix });
    const minted = await old.getTokenForLinkedAccount('store-3');
    const rotated = fleetClient({ keyPrefix, encryptionKey: undefined, encryptionKeys: [OTHER_KEY, ENCRYPTION_KEY] });
    assert.equal((await rotated.getTokenForLinkedAccount('store-3')).token, minted.token);
    assert.equal((await rotated.cacheStats()).storeHits, 1);
    assert.equal(await requestCount(), 1);
    const foreign = fleetClient({ keyPrefix, encryptionKey: OTHER_KEY });
    await foreign.getTokenForLinkedAccount('store-3'); // a miss: it asks Refold (count below)
    assert.equal((await foreign.cacheStats()).storeHits, 0);
    assert.equal(await requestCount(), 2);
  });

  test('store: {} takes the URL and key from REFOLD_CACHE_REDIS_URL and REFOLD_CACHE_ENCRYPTION_KEY', async () => {
    const keyPrefix = `node-test-${(prefixes += 1)}:`;
    const explicit = fleetClient({ keyPrefix });
    const minted = await explicit.getTokenForLinkedAccount('store-4');
    process.env.REFOLD_CACHE_REDIS_URL = redisUrl;
    process.env.REFOLD_CACHE_ENCRYPTION_KEY = `${OTHER_KEY},${ENCRYPTION_KEY}`;
    let fromEnvironment;
    try {
      fromEnvironment = new Refold({ apiKey: KEY, baseUrl: emulator.url, cache: { store: { keyPrefix } } });
    } finally {
      delete process.env.REFOLD_CACHE_REDIS_URL;
      delete process.env.REFOLD_CACHE_ENCRYPTION_KEY;
    }
    assert.equal((await fromEnvironment.getTokenForLinkedAccount('store-4')).token, minted.token);
    assert.equal((await fromEnvironment.cacheStats()).storeHits, 1);
    assert.equal(await requestCount(), 1);
  });
});

describe('Redis failing never fails a call', () => {
  test('nothing listening: direct mints, counted as store errors', async () => {
    const down = new Refold({
      apiKey: KEY,
      baseUrl: emulator.url,
      cache: { store: { redisUrl: `redis://127.0.0.1:${await freePort()}`, encryptionKey: ENCRYPTION_KEY, timeoutMs: 100 } },
    });
    const sessions = await Promise.all([down.getTokenForLinkedAccount('store-5'), down.getTokenForLinkedAccount('store-6')]);
    assert.deepEqual(sessions.map((session) => session.linkedAccountId), ['store-5', 'store-6']);
    assert.ok((await down.cacheStats()).storeErrors >= 1);
    assert.equal(await requestCount(), 2);
  });
});

describe('options and secrets', () => {
  const PASSWORD = 'pw_DISTINCTIVE_4e8a2c';

  test('unusable settings throw ConfigurationError, never showing a key or a password', () => {
    for (const [store, message] of [
      [{ redisUrl: `http://:${PASSWORD}@127.0.0.1:6379`, encryptionKey: ENCRYPTION_KEY }, /redis/i],
      [{ redisUrl, encryptionKey: `not-a-key-${PASSWORD}` }, /key/i],
      [{ redisUrl, encryptionKey: ENCRYPTION_KEY, encryptionKeys: [ENCRYPTION_KEY] }, /^cache\.store\.encryptionKey must be absent when encryptionKeys is given, not string\.$/],
      [{ redisUrl, encryptionKeys: ENCRYPTION_KEY }, /^cache\.store\.encryptionKeys must be an array of strings, not string\.$/],
      [{ redisUrl, encryptionKeys: [ENCRYPTION_KEY, 7] }, /^cache\.store\.encryptionKeys\[1\] must be a string, not number\.$/],
      [{ redisUrl, encryptionKey: ENCRYPTION_KEY, timeoutMs: '250' }, /^cache\.store\.timeoutMs must be a number, not string\.$/],
      [{ redisUrl, encryptionKey: ENCRYPTION_KEY, timeoutMs: 0 }, /milliseconds/],
      [{ redisUrl: 'redis://127.0.0.1:1/\uD800', encryptionKey: ENCRYPTION_KEY }, /cache\.store\.redisUrl is not valid Unicode/],
      ['yes', /^cache\.store must be a boolean or an object, not string\.$/],
    ]) {
      assert.throws(
        () => new Refold({ apiKey: KEY, baseUrl: emulator.url, cache: { store } }),
        (error) => {
          assert.ok(error instanceof Refold.ConfigurationError, util.inspect(error));
          assert.match(error.message, message);
          for (const form of [error.message, String(error), util.inspect(error), JSON.stringify(error), error.stack]) {
            assert.ok(!form.includes(PASSWORD), form);
            assert.ok(!form.includes(ENCRYPTION_KEY), form);
          }
          return true;
        },
      );
    }
  });

  test('no key, password or token in the string forms of a store client or its stats', async () => {
    const client = fleetClient({ redisUrl: redisUrl.replace('redis://', `redis://:${PASSWORD}@`), timeoutMs: 200 });
    const session = await client.getTokenForLinkedAccount('store-7');
    const stats = await client.cacheStats();
    for (const form of [util.inspect(client, { showHidden: true, depth: 10 }), String(client), JSON.stringify(client), util.inspect(stats), JSON.stringify(stats)]) {
      for (const secret of [PASSWORD, ENCRYPTION_KEY, session.token, KEY]) assert.ok(!form.includes(secret), form);
    }
  });
});
