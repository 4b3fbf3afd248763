'use strict';
// Every case of conformance/cases.json, through the Node binding, against live emulators of
// both generations of Refold's session-token answer (the documented one, and the older guide's):
// session tokens, linked-account calls (with their setup steps), session-cache sequences,
// revocation and the active linked account.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const Ajv2020 = require('ajv/dist/2020');

const { REPO_DIR, startEmulator, jwtClaims } = require('./helpers');
const Refold = require('refold-session');

const SCHEMA = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance', 'cases.schema.json'), 'utf8'));

/** The cases file is not what conformance/cases.schema.json describes. */
class CasesFileError extends Error {}

/**
 * Reads a cases file: checked against conformance/cases.schema.json (a CasesFileError naming
 * every problem otherwise), then every absent member with a `default` in the schema gets it,
 * as every language's runner does.
 */
function loadCases(file) {
  let document;
  try {
    document = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CasesFileError(`${file} is not JSON: ${error.message}`);
  }
  const validate = new Ajv2020({ allErrors: true }).compile(SCHEMA);
  if (!validate(document)) {
    // "must match then schema" only repeats the problems found inside the `then`.
    const problems = validate.errors.filter((error) => error.keyword !== 'if').map((error) => {
      const name = error.params.additionalProperty ?? error.params.propertyName;
      const allowed = error.params.allowedValues ? ` (${error.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : '';
      const extra = (name === undefined ? '' : ` ('${name}')`) + allowed;
      return `  ${where(document, error.instancePath)}: ${error.message}${extra}`;
    });
    throw new CasesFileError(`${file} does not match cases.schema.json (${problems.length} problems):\n${problems.join('\n')}`);
  }
  applyDefaults(SCHEMA, document);
  return document;
}

/** A JSON pointer, with the name of the case it is in. */
function where(document, pointer) {
  const [, top, index] = pointer.split('/');
  const name = top === 'cases' ? document.cases[Number(index)]?.name : undefined;
  return (pointer || '/') + (typeof name === 'string' ? ` (case ${name})` : '');
}

/** Fills in the `default` of every absent member of `value` along `properties` and `items`. */
function applyDefaults(node, value) {
  while (node.$ref && !node.properties) node = node.$ref.slice(2).split('/').reduce((at, part) => at[part], SCHEMA);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [name, member] of Object.entries(node.properties || {})) {
      if (name in value) applyDefaults(member, value[name]);
      else if ('default' in member) value[name] = structuredClone(member.default);
    }
  } else if (Array.isArray(value) && node.items) {
    for (const item of value) applyDefaults(node.items, item);
  }
}

const table = loadCases(path.join(REPO_DIR, 'conformance', 'cases.json'));

const classForCode = Refold.errorClasses;

/** One emulator per generation; `emulator` is the one the running case talks to. */
const emulators = {};
let emulator;
before(async () => {
  for (const generation of ['current', 'legacy']) {
    emulators[generation] = await startEmulator({
      apiKeys: table.emulator.api_keys,
      linkedAccounts: table.emulator.linked_accounts,
      legacy: generation === 'legacy',
    });
  }
});
after(async () => {
  for (const running of Object.values(emulators)) await running.stop();
});

/** The case as run against the legacy generation: its `legacy` members replace its own. */
function forGeneration(kase, generation) {
  if (generation !== 'legacy' || kase.legacy === undefined) return kase;
  const { legacy, ...rest } = kase;
  return { ...rest, ...legacy };
}

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
  const merged = { ...table.defaults, ...kase.client };
  const options = {};
  if (merged.api_key !== null && merged.api_key !== undefined) options.apiKey = decoded(kase, merged.api_key);
  if (merged.environment !== undefined) options.environment = decoded(kase, merged.environment);
  options.baseUrl = merged.base_url !== undefined ? decoded(kase, merged.base_url) : emulator.url;
  if (merged.timeout_ms !== undefined) options.timeoutMs = merged.timeout_ms;
  if (merged.max_retries !== undefined) options.maxRetries = merged.max_retries;
  if (merged.max_idle_connections !== undefined) options.maxIdleConnections = merged.max_idle_connections;
  if (merged.max_connections !== undefined) options.maxConnections = merged.max_connections;
  if (merged.cache !== undefined) {
    const cache = {};
    if (merged.cache.max_entries !== undefined) cache.maxEntries = merged.cache.max_entries;
    if (merged.cache.min_remaining_ms !== undefined) cache.minRemainingMs = merged.cache.min_remaining_ms;
    if (merged.cache.refresh_ahead_ms !== undefined) cache.refreshAheadMs = merged.cache.refresh_ahead_ms;
    options.cache = cache;
  }
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
  if (expect.refresh_token_present !== undefined) {
    assert.equal(typeof session.refreshToken === 'string', expect.refresh_token_present, 'refresh token present');
    if (!expect.refresh_token_present) assert.equal(session.refreshToken, null);
  }
  if (expect.refresh_expires_in_about_s !== undefined) {
    const wanted = Date.now() + expect.refresh_expires_in_about_s * 1000;
    assert.ok(session.refreshExpiresAt instanceof Date, 'refreshExpiresAt');
    assert.ok(Math.abs(session.refreshExpiresAt.getTime() - wanted) <= 60000, `refreshExpiresAt ${session.refreshExpiresAt.toISOString()}`);
  }
  // The tokens never show in the string forms.
  for (const form of [String(session), util.inspect(session)]) {
    assert.ok(!form.includes(session.token), `token in ${form}`);
    if (session.refreshToken) assert.ok(!form.includes(session.refreshToken), `refresh token in ${form}`);
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
  if ('server_code' in expect) assert.equal(error.serverCode, expect.server_code, 'serverCode');
  if ('http_error_type' in expect) assert.equal(error.httpErrorType, expect.http_error_type, 'httpErrorType');
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
 * Makes a case's `call` with `input` through the Node surface (the official SDK's names and
 * shapes): `{ session }`, `{ account }`, `{ page }`, `{ object }`, or `{ error }`.
 */
async function makeCall(client, call, input) {
  try {
    switch (call) {
      case 'session_token':
        return { session: await client.getTokenForLinkedAccount(input) };
      case 'upsert':
        return { account: await client.upsertLinkedAccount(input) };
      case 'create':
        return { account: await client.createLinkedAccount(input) };
      case 'get':
        return { account: await client.getLinkedAccountById(input) };
      case 'delete':
        return { object: await client.deleteLinkedAccount(input) };
      case 'list':
        return { page: await client.getAllLinkedAccounts(input) };
      default:
        throw new Error(`unknown call ${call}`);
    }
  } catch (error) {
    if (error instanceof Refold.RefoldError) return { error };
    throw error;
  }
}

function checkAccount(kase, account) {
  const wanted = kase.expect.account;
  assert.ok(account instanceof Refold.LinkedAccount, 'resolves to a LinkedAccount');
  if (wanted.account_id !== undefined) assert.equal(account.accountId, wanted.account_id);
  if (wanted.name !== undefined) assert.equal(account.name, wanted.name);
  if (wanted.environment !== undefined) assert.equal(account.environment, wanted.environment);
  if (wanted.udf !== undefined) assert.deepEqual({ ...account.udf }, wanted.udf);
  if (wanted.new_account !== undefined) assert.equal(account.newAccount, wanted.new_account);
  if ('integrations_count' in wanted) {
    if (wanted.integrations_count === null) assert.equal(account.integrations, null);
    else assert.equal(account.integrations?.length, wanted.integrations_count);
  }
  // The whole object is kept as received, and is what JSON.stringify shows.
  assert.equal(account.json.account_id, account.accountId);
  assert.deepEqual(JSON.parse(JSON.stringify(account)), account.json);
}

function checkPage(kase, page) {
  const expect = kase.expect;
  assert.ok(page instanceof Refold.LinkedAccountPage, 'resolves to a LinkedAccountPage');
  assert.equal(page.page, expect.page);
  assert.equal(page.limit, expect.limit);
  if (expect.accounts_count !== undefined) assert.equal(page.accounts.length, expect.accounts_count);
  if (expect.total_min !== undefined) assert.ok(page.total >= expect.total_min, `total ${page.total}`);
  if ('next_page' in expect) assert.equal(page.nextPage, expect.next_page);
  if ('prev_page' in expect) assert.equal(page.prevPage, expect.prev_page);
  if (expect.paging_counter !== undefined) assert.equal(page.pagingCounter, expect.paging_counter);
  for (const account of page.accounts) assert.ok(account instanceof Refold.LinkedAccount);
}

/** The Node names of the cache's counters. */
const COUNTERS = {
  hits: 'hits',
  misses: 'misses',
  coalesced: 'coalesced',
  refreshes: 'refreshes',
  refresh_failures: 'refreshFailures',
  evictions: 'evictions',
  entries: 'entries',
  store_hits: 'storeHits',
  store_errors: 'storeErrors',
};

/** The steps of a `sequence` case on one client (conformance/README.md). */
async function runSequence(kase, built) {
  const saved = new Map();
  for (const [index, step] of kase.steps.entries()) {
    const at = `step ${index} (${step.op})`;
    switch (step.op) {
      case 'token': {
        const started = performance.now();
        let outcome;
        if (built.error) {
          outcome = { error: built.error };
        } else {
          try {
            const options = step.fresh ? { fresh: true } : undefined;
            outcome = { session: await built.client.getTokenForLinkedAccount(step.input, options) };
          } catch (error) {
            outcome = { error };
          }
        }
        const elapsed = performance.now() - started;
        if (step.max_elapsed_ms !== undefined) assert.ok(elapsed <= step.max_elapsed_ms, `${at}: took ${elapsed} ms`);
        if (step.expect_error !== undefined) {
          assert.ok(outcome.error, `${at}: expected ${step.expect_error}, got a token`);
          assert.ok(outcome.error instanceof classForCode[step.expect_error], `${at}: ${util.inspect(outcome.error)}`);
          assert.equal(outcome.error.code, step.expect_error);
          break;
        }
        assert.ok(outcome.session, `${at}: ${util.inspect(outcome.error)}`);
        const { token } = outcome.session;
        assert.equal(outcome.session.linkedAccountId, step.input);
        if (step.same_as !== undefined) assert.equal(token, saved.get(step.same_as), `${at}: same as ${step.same_as}`);
        if (step.differs_from !== undefined) {
          assert.ok(saved.has(step.differs_from));
          assert.notEqual(token, saved.get(step.differs_from), `${at}: differs from ${step.differs_from}`);
        }
        if (step.save !== undefined) saved.set(step.save, token);
        break;
      }
      case 'revoke':
      case 'active_account': {
        const token = step.token_of !== undefined ? saved.get(step.token_of) : step.input;
        assert.ok(typeof token === 'string', `${at}: a token to use`);
        let outcome;
        try {
          outcome = {
            value:
              step.op === 'revoke'
                ? await built.client.revokeSessionToken(token)
                : await built.client.getActiveLinkedAccount(token),
          };
        } catch (error) {
          outcome = { error };
        }
        if (step.expect_error !== undefined) {
          assert.ok(outcome.error, `${at}: expected ${step.expect_error}`);
          assert.ok(outcome.error instanceof classForCode[step.expect_error], `${at}: ${util.inspect(outcome.error)}`);
          for (const form of token ? [outcome.error.message, util.inspect(outcome.error), JSON.stringify(outcome.error)] : []) {
            assert.ok(!form.includes(token), `${at}: the token in ${form}`);
          }
          break;
        }
        assert.ok(outcome.value, `${at}: ${util.inspect(outcome.error)}`);
        if (step.op === 'revoke') {
          assert.equal(outcome.value.success, true, `${at}: success`);
          if (step.revoked_count !== undefined) assert.equal(outcome.value.revokedCount, step.revoked_count, `${at}: revokedCount`);
        } else {
          assert.ok(outcome.value instanceof Refold.LinkedAccount, at);
          if (step.account_id !== undefined) assert.equal(outcome.value.accountId, step.account_id, `${at}: accountId`);
        }
        break;
      }
      case 'invalidate':
        await built.client.invalidate(step.input);
        break;
      case 'invalidate_all':
        await built.client.invalidateAll();
        break;
      case 'sleep':
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        break;
      case 'faults':
        await emulator.faults(step.faults);
        break;
      case 'stats': {
        const stats = await built.client.cacheStats();
        if (step.expect === null) {
          assert.equal(stats, null, `${at}: the cache is off`);
        } else if (step.expect !== undefined) {
          assert.ok(stats, `${at}: the cache is on`);
          for (const [counter, wanted] of Object.entries(step.expect)) {
            assert.ok(counter in COUNTERS, `${at}: unknown counter ${counter}`);
            assert.equal(stats[COUNTERS[counter]], wanted, `${at}: ${counter}`);
          }
          // No token shows in the stats' string forms.
          for (const form of [util.inspect(stats), JSON.stringify(stats), util.inspect(built.client)]) {
            for (const token of saved.values()) assert.ok(!form.includes(token), `${at}: a token in ${form}`);
          }
        }
        break;
      }
      default:
        assert.fail(`${at}: unknown op`);
    }
  }
}

/** The case's `setup` calls, with a client built from `defaults` alone. */
async function runSetup(kase) {
  if (kase.setup.length === 0) return;
  const client = new Refold(clientOptions({ lone_surrogates: false, client: {} }));
  for (const step of kase.setup) {
    const outcome = await makeCall(client, step.call, step.input);
    if (outcome.error && !step.ignore_error) {
      assert.fail(`setup ${step.call} failed: ${util.inspect(outcome.error)}`);
    }
  }
  await emulator.reset();
}

/** The session-token requests' query strings, when the case names them. */
function checkQueries(kase, log) {
  if (kase.queries_received === undefined) return;
  const queries = log.requests.filter((request) => request.path === '/api/v2/public/session-token').map((request) => request.query);
  assert.deepEqual(queries, kase.queries_received, 'queries received');
}

/** The calls this binding offers among those a case may require (all of them). */
const OFFERED = new Set(['revoke_session_token', 'get_active_linked_account']);
let runs = 0;

for (const original of table.cases) {
  for (const generation of original.generations) {
    const kase = forGeneration(original, generation);
    const missing = kase.requires.filter((call) => !OFFERED.has(call));
    const skip = missing.length > 0 && `needs ${missing.join(', ')}`;
    test(`${kase.name} (${generation})`, { skip }, async () => {
    emulator = emulators[generation];
    runs += 1;
    if (kase.lone_surrogates) {
      const strings = [kase.input, ...Object.values(kase.client)].filter((v) => typeof v === 'string');
      assert.ok(strings.map((v) => decoded(kase, v)).some(hasLoneSurrogate), 'the case decodes to a lone surrogate');
    }
    await emulator.reset();
    await runSetup(kase);
    if (kase.token_ttl_s !== undefined) await emulator.control('POST', 'config', { token_ttl_s: kase.token_ttl_s });
    if (kase.faults) await emulator.faults(kase.faults);
    const call = kase.call;

    if (call === 'sequence') {
      let built;
      try {
        built = { client: new Refold(clientOptions(kase)) };
      } catch (error) {
        assert.ok(error instanceof Refold.ConfigurationError, util.inspect(error));
        built = { error };
      }
      await runSequence(kase, built);
      const log = await emulator.requests();
      assert.equal(log.count, kase.requests_received, 'requests the emulator counted');
      checkQueries(kase, log);
      return;
    }

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
      outcome = await makeCall(client, call, decoded(kase, kase.input));
    }
    const elapsed = performance.now() - started;

    switch (kase.expect.outcome) {
      case 'token':
        assert.ok(outcome.session, `expected a token, got ${util.inspect(outcome)}`);
        checkToken(kase, outcome.session);
        break;
      case 'account':
        assert.ok(outcome.account, `expected an account, got ${util.inspect(outcome)}`);
        checkAccount(kase, outcome.account);
        break;
      case 'page':
        assert.ok(outcome.page, `expected a page, got ${util.inspect(outcome)}`);
        checkPage(kase, outcome.page);
        break;
      case 'object':
        assert.ok(outcome.object, `expected an object, got ${util.inspect(outcome)}`);
        assert.equal(typeof outcome.object, 'object');
        assert.ok(!Array.isArray(outcome.object));
        break;
      case 'error':
        assert.ok(outcome.error, `expected ${kase.expect.code}, got ${util.inspect(outcome)}`);
        checkError(kase, outcome.error);
        break;
      default:
        assert.fail(`unknown outcome ${kase.expect.outcome}`);
    }
    if (kase.min_elapsed_ms !== undefined) assert.ok(elapsed >= kase.min_elapsed_ms, `took ${elapsed} ms`);
    if (kase.max_elapsed_ms !== undefined) assert.ok(elapsed <= kase.max_elapsed_ms, `took ${elapsed} ms`);

    const log = await emulator.requests();
    assert.equal(log.count, kase.requests_received, 'requests the emulator counted');
    checkQueries(kase, log);
    if (kase.check_received_id) {
      const last = log.requests[log.requests.length - 1];
      const body = typeof last.body === 'string' ? JSON.parse(last.body) : last.body;
      assert.equal(body.linked_account_id, decoded(kase, kase.input));
    }
    });
  }
}

test('every case of conformance/cases.json ran above against each of its generations, none skipped', () => {
  assert.ok(table.cases.length >= 132, `${table.cases.length} cases`);
  assert.equal(new Set(table.cases.map((kase) => kase.name)).size, table.cases.length, 'unique names');
  const wanted = table.cases.reduce((sum, kase) => sum + kase.generations.length, 0);
  assert.equal(runs, wanted, 'runs');
  assert.ok(runs >= 200, `${runs} runs`);
});

test('a malformed cases file is refused, every problem named', (t) => {
  // A member missing, a misspelt one, a wrong type: refused before any case runs.
  const document = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance', 'cases.json'), 'utf8'));
  const [first, second] = document.cases;
  delete first.requests_received;
  second.expect.atempts = 1;
  document.emulator.api_keys = 'one-key';
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'cases-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'cases.json');
  fs.writeFileSync(bad, JSON.stringify(document));
  assert.throws(() => loadCases(bad), (error) => {
    assert.ok(error instanceof CasesFileError);
    assert.match(error.message, /does not match cases\.schema\.json \(3 problems\)/);
    assert.ok(error.message.includes(`/cases/0 (case ${first.name}): must have required property 'requests_received'`), error.message);
    assert.ok(error.message.includes(`/cases/1/expect (case ${second.name}): must NOT have additional properties ('atempts')`), error.message);
    assert.ok(error.message.includes('/emulator/api_keys: must be array'), error.message);
    return true;
  });
  fs.writeFileSync(bad, '{');
  assert.throws(() => loadCases(bad), /is not JSON/);
});

test("absent members get the schema's defaults", (t) => {
  const kase = { name: 'minimal', description: 'd', input: 'acct-1', expect: { outcome: 'token' }, requests_received: 1 };
  const document = { version: 1, emulator: { api_keys: ['k'], linked_accounts: [] }, defaults: {}, cases: [kase] };
  const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'cases-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'cases.json');
  fs.writeFileSync(file, JSON.stringify(document));
  const [loaded] = loadCases(file).cases;
  assert.equal(loaded.call, 'session_token');
  assert.deepEqual([loaded.client, loaded.setup], [{}, []]);
  assert.deepEqual([loaded.lone_surrogates, loaded.dynamic_only, loaded.check_received_id], [false, false, false]);
  // The table with its defaults applied still matches the schema.
  fs.writeFileSync(file, JSON.stringify(table));
  assert.equal(loadCases(file).cases.length, table.cases.length);
});
