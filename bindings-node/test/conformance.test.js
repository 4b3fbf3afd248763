'use strict';
// Every case of conformance/cases.json, through the Node binding, against a live emulator.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const { REPO_DIR, startEmulator, jwtClaims } = require('./helpers');
const Refold = require('refold-session');

const table = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance', 'cases.json'), 'utf8'));

const classForCode = {
  invalid_input: Refold.InvalidInputError,
  configuration: Refold.ConfigurationError,
  bad_request: Refold.BadRequestError,
  authentication: Refold.AuthenticationError,
  permission_denied: Refold.PermissionDeniedError,
  not_found: Refold.NotFoundError,
  rate_limited: Refold.RateLimitError,
  invalid_linked_account: Refold.InvalidLinkedAccountError,
  server_error: Refold.ServerError,
  timeout: Refold.APITimeoutError,
  connection: Refold.APIConnectionError,
  invalid_response: Refold.InvalidResponseError,
  unexpected_status: Refold.UnexpectedStatusError,
  internal: Refold.InternalError,
};

let emulator;
before(async () => {
  emulator = await startEmulator({
    apiKeys: table.emulator.api_keys,
    linkedAccounts: table.emulator.linked_accounts,
  });
});
after(async () => {
  await emulator?.stop();
});

/**
 * In a `lone_surrogates` case, `\u{XXXX}` (backslash, `u`, braces, 4 hex digits) stands for
 * that single UTF-16 code unit, which JSON cannot carry portably (conformance/README.md).
 */
function decoded(kase, value) {
  if (!kase.lone_surrogates || typeof value !== 'string') return value;
  return value.replace(/\\u\{([0-9A-Fa-f]{4})\}/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** Client options from `defaults` overlaid with the case's `client` (snake_case → Node). */
function clientOptions(kase) {
  const merged = { ...table.defaults, ...(kase.client || {}) };
  const options = {};
  if (merged.api_key !== null && merged.api_key !== undefined) options.apiKey = decoded(kase, merged.api_key);
  if (merged.environment !== undefined) options.environment = decoded(kase, merged.environment);
  options.baseUrl = merged.base_url !== undefined ? decoded(kase, merged.base_url) : emulator.url;
  if (merged.timeout_ms !== undefined) options.timeoutMs = merged.timeout_ms;
  if (merged.max_retries !== undefined) options.maxRetries = merged.max_retries;
  if (merged.max_idle_connections !== undefined) options.maxIdleConnections = merged.max_idle_connections;
  return options;
}

function checkToken(kase, session) {
  const expect = kase.expect;
  assert.ok(session instanceof Refold.SessionToken, 'resolves to a SessionToken');
  assert.equal(session.linkedAccountId, decoded(kase, kase.input));
  assert.equal(typeof session.token, 'string');
  assert.ok(session.expiresAt instanceof Date);
  if (expect.token !== undefined) assert.equal(session.token, expect.token);
  let claims;
  if (expect.claims || expect.expires_at === 'exp_claim' || expect.issued_at === 'iat_claim') {
    claims = jwtClaims(session.token);
  }
  if (expect.claims) {
    for (const [key, value] of Object.entries(expect.claims)) assert.deepEqual(claims[key], value, `claim ${key}`);
  }
  if (expect.expires_at === 'exp_claim') assert.equal(session.expiresAt.getTime(), claims.exp * 1000);
  if (expect.issued_at === 'iat_claim') {
    assert.ok(session.issuedAt instanceof Date);
    assert.equal(session.issuedAt.getTime(), claims.iat * 1000);
  }
  if ('issued_at' in expect && expect.issued_at === null) assert.equal(session.issuedAt, null);
  if (expect.expires_at_unix !== undefined) assert.equal(session.expiresAt.getTime(), expect.expires_at_unix * 1000);
  if (expect.issued_at_unix !== undefined) assert.equal(session.issuedAt.getTime(), expect.issued_at_unix * 1000);
  if (expect.expires_in_about_s !== undefined) {
    const wanted = Date.now() + expect.expires_in_about_s * 1000;
    assert.ok(Math.abs(session.expiresAt.getTime() - wanted) <= 60000, `expiresAt ${session.expiresAt.toISOString()}`);
  }
}

function checkError(kase, error) {
  const expect = kase.expect;
  assert.ok(error instanceof Refold.RefoldError, `a RefoldError, got ${util.inspect(error)}`);
  assert.ok(error instanceof Error);
  assert.ok(error instanceof classForCode[expect.code], `${error.name} is the class for ${expect.code}`);
  assert.equal(error.code, expect.code, error.message);
  if ('status' in expect) assert.equal(error.status, expect.status);
  if ('attempts' in expect) assert.equal(error.attempts, expect.attempts);
  if ('retry_after_s' in expect) {
    assert.equal(typeof error.retryAfter, 'number');
    assert.ok(Math.abs(error.retryAfter - expect.retry_after_s) <= 0.001, `retryAfter ${error.retryAfter}`);
  }
  if ('request_id' in expect) assert.equal(error.requestId, expect.request_id);
  if (expect.request_id_present) assert.ok(typeof error.requestId === 'string' && error.requestId.length > 0);
  for (const text of expect.message_contains || []) assert.ok(error.message.includes(text), `message has "${text}": ${error.message}`);
  const shown = [error.message, String(error), util.inspect(error), JSON.stringify(error), error.stack];
  for (const text of expect.message_excludes || []) {
    for (const form of shown) assert.ok(!form.includes(text), `"${text}" leaked into ${form}`);
  }
}

/** Whether `text` holds a lone UTF-16 surrogate. */
function hasLoneSurrogate(text) {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * Why the Node binding cannot run a case yet (a call it does not have), or null. Such cases
 * are reported as skipped, never run as something else.
 */
function unsupported(kase) {
  const calls = [kase.call ?? 'session_token', ...(kase.setup || []).map((step) => step.call ?? 'session_token')];
  const missing = [...new Set(calls.filter((call) => call !== 'session_token'))];
  if (missing.length > 0) return `no ${missing.join(', ')} call in the Node binding yet`;
  if (kase.client && 'cache' in kase.client) return 'no session cache in the Node binding yet';
  return null;
}

/** The case's `setup` calls, with a client built from `defaults` alone. */
async function runSetup(kase) {
  if (!kase.setup) return;
  const client = new Refold(clientOptions({ lone_surrogates: false }));
  for (const step of kase.setup) {
    try {
      await client.getTokenForLinkedAccount(step.input);
    } catch (error) {
      if (!step.ignore_error) throw error;
    }
  }
  await emulator.reset();
}

for (const kase of table.cases) {
  const skip = unsupported(kase);
  test(kase.name, skip ? { skip } : {}, async () => {
    if (kase.lone_surrogates) {
      const strings = [kase.input, ...Object.values(kase.client || {})].filter((v) => typeof v === 'string');
      assert.ok(strings.map((v) => decoded(kase, v)).some(hasLoneSurrogate), 'the case decodes to a lone surrogate');
    }
    await emulator.reset();
    await runSetup(kase);
    if (kase.faults) await emulator.faults(kase.faults);

    let outcome;
    const started = performance.now();
    let client;
    try {
      client = new Refold(clientOptions(kase));
    } catch (error) {
      outcome = { error };
    }
    if (!outcome) {
      assert.notEqual(kase.expect.code, 'configuration', 'configuration errors are raised by the constructor');
      try {
        outcome = { session: await client.getTokenForLinkedAccount(decoded(kase, kase.input)) };
      } catch (error) {
        outcome = { error };
      }
    }
    const elapsed = performance.now() - started;

    if (kase.expect.outcome === 'token') {
      assert.ok(outcome.session, `expected a token, got ${util.inspect(outcome.error)}`);
      checkToken(kase, outcome.session);
    } else {
      assert.ok(outcome.error, `expected ${kase.expect.code}, got a token`);
      checkError(kase, outcome.error);
    }
    if (kase.min_elapsed_ms !== undefined) assert.ok(elapsed >= kase.min_elapsed_ms, `took ${elapsed} ms`);
    if (kase.max_elapsed_ms !== undefined) assert.ok(elapsed <= kase.max_elapsed_ms, `took ${elapsed} ms`);

    const log = await emulator.requests();
    assert.equal(log.count, kase.requests_received, 'session-token requests the emulator counted');
    if (kase.check_received_id) {
      const last = log.requests[log.requests.length - 1];
      const body = typeof last.body === 'string' ? JSON.parse(last.body) : last.body;
      assert.equal(body.linked_account_id, decoded(kase, kase.input));
    }
  });
}
