'use strict';
// The official SDK's 27 calls (@cobaltio/cobalt 1.3.0, src/Apis/index.ts) on the client:
// test/fixtures/cobalt-sdk-calls.js, written for that package, runs unchanged but for the
// require() name, and each request it makes is compared with the one the official SDK makes
// (method, path, query, body, linked_account_id header) on today's route of that call
// (conformance/openapi/overlay.json official_sdk.calls). The package itself is not on the npm
// registry this builds from, so its requests are written out here from its source.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { REPO_DIR, startEmulator, runNode } = require('./helpers');
const Refold = require('refold-session');

const KEY = 'sk_sdk_NODE_DISTINCTIVE_2d8a';
const USER = 'sdk-user';
const FIXTURE = path.join(__dirname, 'fixtures', 'cobalt-sdk-calls.js');
const OVERLAY = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance/openapi/overlay.json'), 'utf8'));
const CALLS = OVERLAY.official_sdk.calls;

/**
 * The request the official SDK makes for each of the fixture's calls, on today's route:
 * `query` is its query string's members, `dropped` the ones today's API description does not
 * declare for that operation (the SDK's extra copy of the account id, which the header
 * carries), and `body` its JSON body (`undefined`: none). `sent: false`: the SDK's route is
 * not in today's API (Refold answers 404), and nothing is sent.
 */
const EXPECTED = {
  createLinkedAccount: { method: 'POST', path: '/api/v2/public/linked-account', body: { linked_account_id: USER, name: 'SDK user' } },
  upsertLinkedAccount: { method: 'PUT', path: '/api/v2/public/linked-account', body: { linked_account_id: USER, name: 'SDK user 2' } },
  getLinkedAccountById: { method: 'GET', path: `/api/v2/public/linked-account/${USER}` },
  getAllLinkedAccounts: { method: 'GET', path: '/api/v2/public/linked-account', query: { page: '1', limit: '10' } },
  getTokenForLinkedAccount: { method: 'POST', path: '/api/v2/public/session-token', body: { linked_account_id: USER } },
  getApplications: { method: 'GET', path: '/api/v2/public/application', query: { linked_account_id: USER }, linked: USER },
  getApplicationBySlug: { method: 'GET', path: '/api/v2/public/application/lumen-crm', query: { linked_account_id: USER }, linked: USER },
  getExecutions: { method: 'GET', path: '/api/v2/public/execution', query: { page: '1', limit: '5', linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER },
  getExecutionById: { method: 'GET', path: '/api/v2/public/execution/exec-missing', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER },
  createWebhook: { method: 'POST', path: '/api/v2/public/webhook', body: { webhook_url: 'http://127.0.0.1:9/hook', webhook_events: ['Connection Created'] } },
  getWebhook: { method: 'GET', path: '/api/v2/public/webhook' },
  subscribeWebhookEvents: { sent: false },
  unsubscribeWebhookEvent: { sent: false },
  deleteWebhook: { sent: false },
  listEvents: { method: 'GET', path: '/api/v2/public/application/event' },
  listEventById: { method: 'GET', path: '/api/v2/public/application/event/evt-missing' },
  updateEvent: { method: 'PUT', path: '/api/v2/public/application/event/evt-missing', body: { event_id: 'evt-missing', name: 'sdk_event', response: '{}' } },
  deleteEvent: { method: 'DELETE', path: '/api/v2/public/application/event/evt-missing' },
  event: { method: 'POST', path: '/api/v2/public/event/trigger', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, body: { linked_account_id: USER, event: 'sdk_event', payload: { n: 1 } } },
  triggerEvent: { method: 'POST', path: '/api/v2/public/event/lumen-crm', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, body: { linked_account_id: USER, event: 'sdk_event', slug: 'lumen-crm', payload: { n: 2 } } },
  config: { method: 'POST', path: '/api/v2/public/config', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, body: { linked_account_id: USER, slug: 'lumen-crm' } },
  getConfig: { method: 'GET', path: '/api/v2/public/slug/lumen-crm/config', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, body: { linked_account_id: USER, slug: 'lumen-crm' } },
  updateConfig: { method: 'PUT', path: '/api/v2/public/config', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, body: { linked_account_id: USER, slug: 'lumen-crm', fields: [], workflows: [] } },
  // The SDK sends its payload as the body of this DELETE too; today's operation takes none.
  deleteConfig: { method: 'DELETE', path: '/api/v2/public/slug/lumen-crm/config', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, droppedBody: true },
  // The emulator's log shows the token redacted.
  migrateAuth: { method: 'PUT', path: '/api/v2/public/migrate-token', query: { linked_account_id: USER }, dropped: ['linked_account_id'], linked: USER, body: { linked_account_id: USER, slug: 'lumen-crm', auth_object: { access_token: '[redacted]' } } },
  executeWorkflow: { method: 'POST', path: '/api/v2/public/workflow/wf-missing/execute', linked: USER, headers: { slug: 'lumen-crm', sync_execution: 'false' }, body: { a: 1 } },
  deleteLinkedAccount: { method: 'DELETE', path: `/api/v2/public/linked-account/${USER}` },
};

let emulator;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], anyLinkedAccount: true });
});
after(async () => {
  await emulator?.stop();
});

test('the client has each of the official SDK\'s 27 calls', () => {
  const names = Object.keys(CALLS);
  assert.equal(names.length, 27);
  assert.deepEqual(Object.keys(EXPECTED).sort(), [...names].sort());
  for (const name of names) assert.equal(typeof Refold.prototype[name], 'function', name);
});

test('the fixture differs from a script for @cobaltio/cobalt only in the require() name', () => {
  const text = fs.readFileSync(FIXTURE, 'utf8');
  const requires = [...text.matchAll(/require\((['"][^)]*)\)/g)].map((match) => match[1]);
  assert.deepEqual(requires, ["'refold-session'"]);
  // Every call is one of the official SDK's, under its name.
  const called = [...text.matchAll(/client\.(\w+)\(/g)].map((match) => match[1]);
  assert.deepEqual([...new Set(called)].sort(), Object.keys(CALLS).sort());
});

test('each call makes the official SDK\'s request on today\'s route', async () => {
  // The event the fixture triggers (the official SDK has no call that defines one).
  const setup = new Refold({ apiKey: KEY, baseUrl: emulator.url });
  await setup.api.createEvent({ body: { name: 'sdk_event', response: '{}' } });
  await emulator.reset();
  const run = await runNode([FIXTURE], {
    env: { COBALT_API_KEY: KEY, COBALT_SERVER_URL: emulator.url, REFOLD_API_KEY: undefined },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!run.stdout.includes(KEY) && !run.stderr.includes(KEY));
  const outcomes = run.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(outcomes.map((outcome) => outcome.call), Object.keys(EXPECTED));

  const log = (await emulator.requests()).requests;
  const sent = Object.entries(EXPECTED).filter(([, expected]) => expected.sent !== false);
  assert.equal(log.length, sent.length, log.map((entry) => `${entry.method} ${entry.path}`).join('\n'));
  sent.forEach(([name, expected], index) => {
    const entry = log[index];
    assert.equal(`${entry.method} ${entry.path}`, `${expected.method} ${expected.path}`, name);
    const query = Object.fromEntries(new URLSearchParams(entry.query ?? ''));
    const wanted = Object.fromEntries(
      Object.entries(expected.query ?? {}).filter(([key]) => !(expected.dropped ?? []).includes(key)),
    );
    assert.deepEqual(query, wanted, `${name}: query`);
    assert.equal(entry.headers.linked_account_id, expected.linked, `${name}: linked_account_id header`);
    for (const [header, value] of Object.entries(expected.headers ?? {})) {
      assert.equal(entry.headers[header], value, `${name}: ${header} header`);
    }
    const body = entry.body === '' ? undefined : JSON.parse(entry.body);
    assert.deepEqual(body, expected.body, `${name}: body`);
    // The route is today's route of that call, as the overlay maps it.
    const routes = CALLS[name].routes.map((route) => route.spec_route);
    assert.ok(
      routes.some((route) => new RegExp(`^${route.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(`${entry.method} ${entry.path}`)),
      `${name}: ${entry.method} ${entry.path} is not among ${routes.join(', ')}`,
    );
  });

  // The retired routes reject with a typed error naming today's way, nothing sent.
  for (const name of ['subscribeWebhookEvents', 'unsubscribeWebhookEvent', 'deleteWebhook']) {
    const outcome = outcomes.find((o) => o.call === name);
    assert.equal(outcome.ok, false, name);
    assert.match(outcome.message, /no longer has/, name);
  }
  // The calls that create or read what exists succeed.
  for (const name of ['createLinkedAccount', 'upsertLinkedAccount', 'getLinkedAccountById', 'getAllLinkedAccounts', 'getTokenForLinkedAccount', 'getApplications', 'getApplicationBySlug', 'getExecutions', 'createWebhook', 'getWebhook', 'listEvents', 'event', 'config', 'getConfig', 'updateConfig', 'deleteConfig', 'migrateAuth', 'deleteLinkedAccount']) {
    const outcome = outcomes.find((o) => o.call === name);
    assert.equal(outcome.ok, true, `${name}: ${outcome.message}`);
  }
  const token = outcomes.find((o) => o.call === 'getTokenForLinkedAccount').data;
  assert.equal(typeof token.token, 'string');
});

test('the official calls reject bad arguments with typed errors, nothing sent', async () => {
  await emulator.reset();
  const client = new Refold({ apiKey: KEY, baseUrl: emulator.url, maxRetries: 0 });
  await assert.rejects(client.getApplications(''), Refold.InvalidInputError);
  await assert.rejects(client.getConfig(undefined), Refold.InvalidInputError);
  await assert.rejects(client.executeWorkflow(undefined, 'lumen-crm', USER, true, {}), Refold.InvalidInputError);
  await assert.rejects(client.deleteWebhook(), (error) => error instanceof Refold.InvalidInputError && /deleteWebhook \(DELETE \/api\/v2\/public\/webhook\/\{id\}\)/.test(error.message));
  await assert.rejects(client.subscribeWebhookEvents({ webhook_events: ['Connection Deleted'] }), (error) => error instanceof Refold.InvalidInputError && /updateWebhook \(PUT/.test(error.message));
  assert.equal((await emulator.requests()).requests.length, 0);
});

// conformance/official-calls.json, which every language runs: the same 27 names, and the three
// retired calls alike (by webhook id, or refused unsent naming the replacement).
test('the official calls cases', async () => {
  const cases = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance/official-calls.json'), 'utf8'));
  for (const name of cases.names) assert.equal(typeof Refold.prototype[name], 'function', name);
  const own = await startEmulator({ apiKeys: [cases.key], anyLinkedAccount: true });
  try {
    const client = new Refold({ apiKey: cases.key, baseUrl: own.url, maxRetries: 0 });
    const created = /** @type {{_id: string}} */ (
      await client.createWebhook({ webhook_url: 'http://127.0.0.1:9/hook', webhook_events: ['Connection Created'] })
    );
    const webhook = created._id;
    let logged = (await own.requests()).requests.length;
    for (const item of cases.cases) {
      const id = item.webhook_id === null ? undefined : item.webhook_id.replace('{webhook}', webhook);
      let answer;
      let error;
      try {
        if (item.call === 'deleteWebhook') answer = await client.deleteWebhook(id);
        else if (item.call === 'subscribeWebhookEvents') answer = await client.subscribeWebhookEvents(item.payload, id);
        else answer = await client.unsubscribeWebhookEvent(item.payload, id);
      } catch (caught) {
        error = caught;
      }
      const label = JSON.stringify(item);
      if (item.expect.error !== undefined) {
        assert.equal(error?.code, item.expect.error, `${label}: ${error}`);
        for (const part of item.expect.message_contains ?? []) assert.ok(error.message.includes(part), `${label}: ${error.message}`);
      } else {
        assert.equal(error, undefined, label);
        if (item.expect.webhook_events) assert.deepEqual(answer.webhook_events, item.expect.webhook_events, label);
      }
      const log = (await own.requests()).requests;
      const sent = log.slice(logged).map((entry) => `${entry.method} ${entry.path}`);
      assert.deepEqual(sent, item.sent.map((route) => route.replace('{webhook}', webhook)), label);
      logged = log.length;
    }
  } finally {
    await own.stop();
  }
});
