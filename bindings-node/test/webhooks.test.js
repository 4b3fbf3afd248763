'use strict';
// Webhooks: every case of conformance/webhooks.json through the Node binding (the module
// function, the client's method, the typed event, the dedup key), and a real signed delivery
// from the emulator to a listener on loopback, verified, beside a forged one refused.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const util = require('node:util');

const { REPO_DIR, startEmulator } = require('./helpers');
const Refold = require('refold-session');
const { verifyWebhookSignature, parseWebhookEvent, WebhookEvent, InvalidInputError, RefoldError } = Refold;

const CASES = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance', 'webhooks.json'), 'utf8'));
const KEY = CASES.api_key;

/** Fails when the API key shows in any string form of `value`. */
function assertNoKey(value) {
  for (const shown of [util.inspect(value, { depth: 5, showHidden: true }), String(value), JSON.stringify(value) ?? '']) {
    assert.ok(!shown.includes(KEY), 'the API key shows');
  }
}

test('conformance/webhooks.json: signatures, with the key given and with the client\'s', () => {
  const client = new Refold({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9' });
  assertNoKey(client);
  for (const c of CASES.signature) {
    const key = c.api_key ?? KEY;
    for (const body of [c.body, Buffer.from(c.body, 'utf8'), new Uint8Array(Buffer.from(c.body, 'utf8'))]) {
      assert.equal(verifyWebhookSignature(body, c.header, key), c.valid, c.name);
      if (c.api_key === undefined) assert.equal(client.verifyWebhookSignature(body, c.header), c.valid, `${c.name} (client)`);
    }
    if (c.header === null) {
      assert.equal(verifyWebhookSignature(c.body, undefined, key), false, c.name);
      assert.equal(client.verifyWebhookSignature(c.body, undefined), false, c.name);
    }
  }
});

test('conformance/webhooks.json: events and their errors', () => {
  for (const c of CASES.parse) {
    if (c.error) {
      assert.throws(() => parseWebhookEvent(c.body), (error) => {
        assert.ok(error instanceof InvalidInputError, c.name);
        assert.equal(error.code, c.error, c.name);
        assertNoKey(error);
        return true;
      });
      continue;
    }
    const event = parseWebhookEvent(Buffer.from(c.body, 'utf8'));
    assert.ok(event instanceof WebhookEvent);
    const camel = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());
    for (const [member, value] of Object.entries(c.event)) assert.equal(event[camel(member)], value, `${c.name}: ${member}`);
    assert.deepEqual(event.raw, JSON.parse(c.body), c.name);
    assert.ok(Object.isFrozen(event) && Object.isFrozen(event.raw));
  }
});

test('conformance/webhooks.json: duplicate deliveries share a dedup key', () => {
  for (const c of CASES.dedup) {
    const first = parseWebhookEvent(c.first).dedupKey;
    assert.equal(first === parseWebhookEvent(c.second).dedupKey, c.same, c.name);
  }
});

test('a header is false, never an exception, whatever its type; a body that is not bytes is InvalidInputError', () => {
  const good = CASES.signature[0];
  assert.equal(verifyWebhookSignature(good.body, [good.header], KEY), true, 'one value of a header array');
  for (const header of [[good.header, good.header], [], 5, {}, null, Symbol('x'), ['x', 5], '\ud800'.repeat(64)]) {
    assert.equal(verifyWebhookSignature(good.body, header, KEY), false);
  }
  for (const key of [undefined, null, 5, '', Buffer.from(KEY)]) {
    assert.equal(verifyWebhookSignature(good.body, good.header, key), false);
  }
  for (const body of [JSON.parse(good.body), null, undefined, 5, [1, 2]]) {
    for (const call of [() => verifyWebhookSignature(body, good.header, KEY), () => parseWebhookEvent(body), () => new Refold({ apiKey: KEY, baseUrl: 'http://127.0.0.1:9' }).verifyWebhookSignature(body, good.header)]) {
      assert.throws(call, (error) => {
        assert.ok(error instanceof RefoldError && error.code === 'invalid_input');
        assert.match(error.message, /raw bytes/);
        assertNoKey(error);
        return true;
      });
    }
  }
});

/** A webhook endpoint on loopback that keeps each request's raw body and signature. */
async function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks), signature: req.headers['x-cobalt-signature'] });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/hooks/refold`, received, close: () => server.close() };
}

/** Polls `probe` (up to 30 s, for a loaded machine) until it returns a value. */
async function eventually(what, probe) {
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${what} within 30 s`);
}

test('a real delivery from the emulator verifies; a forged one does not', async () => {
  const emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: ['webhook-user'] });
  const receiver = await startReceiver();
  try {
    const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
    const registered = await fetch(`${emulator.url}/api/v2/public/webhook`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ webhook_url: receiver.url, webhook_events: ['Connection Created'] }),
    });
    assert.equal(registered.status, 200);
    const client = new Refold({ apiKey: KEY, baseUrl: emulator.url });
    const session = await client.getTokenForLinkedAccount('webhook-user');
    const saved = await fetch(`${emulator.url}/api/v2/app/parcel-post/save`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ api_key: 'k' }),
    });
    assert.equal(saved.status, 200);
    const delivery = await eventually('delivery', () => receiver.received[0]);
    assert.equal(verifyWebhookSignature(delivery.body, delivery.signature, KEY), true);
    assert.equal(client.verifyWebhookSignature(delivery.body, delivery.signature), true);
    const event = parseWebhookEvent(delivery.body);
    assert.equal(event.eventType, 'Connection Created');
    assert.equal(event.linkedAccountId, 'webhook-user');
    assert.equal(event.slug, 'parcel-post');
    // Forged: the body changed, or signed with another key, or re-serialised by a parser.
    const forged = Buffer.from(delivery.body.toString('utf8').replace('webhook-user', 'someone-else'));
    assert.equal(client.verifyWebhookSignature(forged, delivery.signature), false);
    assert.equal(verifyWebhookSignature(delivery.body, delivery.signature, 'sk_another_key'), false);
    assert.equal(client.verifyWebhookSignature(JSON.stringify(JSON.parse(delivery.body.toString()), null, 1), delivery.signature), false);
  } finally {
    receiver.close();
    await emulator.stop();
  }
});
