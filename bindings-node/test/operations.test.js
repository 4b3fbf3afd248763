'use strict';
// Every case of conformance/operations.json through the Node binding, twice, each time on a
// fresh emulator and in file order: once through the generic entry (`client.call`), once
// through the generated method of the same operation (`client.api.<name>`). A case's `setup`
// calls go first, through the generic entry, and what they save fills its `${name}` values. Each
// outcome is compared with the case's: ok, or the error's code and status.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const { REPO_DIR, startEmulator } = require('./helpers');
const Refold = require('refold-session');
const { OPERATIONS } = require('../api.generated.js');

const FILE = path.join(REPO_DIR, 'conformance', 'operations.json');
const document = JSON.parse(fs.readFileSync(FILE, 'utf8'));
const METHODS = new Map(OPERATIONS.map(([id, method]) => [id, method]));

/** The client a case runs on: the organization's, or one scoped as the case says. */
async function clientFor(org, testCase) {
  switch (testCase.scope) {
    case 'org':
      return org;
    case 'linked_account':
      return org.forLinkedAccount(testCase.linked_account_id);
    case 'session':
      return org.forSessionToken(await org.getTokenForLinkedAccount(testCase.linked_account_id));
    default:
      throw new Error(`${testCase.name}: unknown scope ${testCase.scope}`);
  }
}

/** The case's one object: its parameters (declared keys, which the core reads too) and body. */
function callObject(testCase) {
  return testCase.body === undefined ? { ...testCase.params } : { ...testCase.params, body: testCase.body };
}

/** The member of `value` at the JSON pointer `pointer` (RFC 6901), or undefined. */
function atPointer(value, pointer) {
  const tokens = pointer.split('/').slice(1).map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  return tokens.reduce((found, token) => (found !== null && typeof found === 'object' ? found[token] : undefined), value);
}

/** `value` with every string `${name}` replaced by the value a setup call saved as `name`. */
function substituted(value, saved) {
  if (typeof value === 'string') {
    const name = /^\$\{(.*)\}$/.exec(value)?.[1];
    if (name === undefined) return value;
    assert.ok(Object.hasOwn(saved, name), `nothing saved as ${name}`);
    return saved[name];
  }
  if (Array.isArray(value)) return value.map((item) => substituted(item, saved));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituted(item, saved)]));
  }
  return value;
}

/** Makes the case's `setup` calls through the generic entry (each in its own scope) and returns
 *  the case with what they saved put in its params and body; a failed setup call fails the case. */
async function setUp(org, testCase) {
  const saved = {};
  for (const step of testCase.setup ?? []) {
    const call = substituted(step, saved);
    const answer = await (await clientFor(org, call)).call(call.operationId, callObject(call));
    for (const [name, pointer] of Object.entries(call.save ?? {})) {
      const value = atPointer(answer, pointer);
      assert.ok(value !== undefined, `${testCase.name}: setup ${call.operationId} has no ${pointer}`);
      saved[name] = value;
    }
  }
  const params = substituted(testCase.params, saved);
  return testCase.body === undefined ? { ...testCase, params } : { ...testCase, params, body: substituted(testCase.body, saved) };
}

const ENTRIES = {
  generic: (scoped, testCase) => scoped.call(testCase.operationId, callObject(testCase)),
  generated: (scoped, testCase) => {
    const method = METHODS.get(testCase.operationId);
    assert.ok(method, `${testCase.name}: no generated method for ${testCase.operationId}`);
    return scoped.api[method](callObject(testCase));
  },
};

for (const [entry, run] of Object.entries(ENTRIES)) {
  describe(`conformance/operations.json through the ${entry} entry`, () => {
    let emulator;
    let org;
    before(async () => {
      emulator = await startEmulator({ apiKeys: [document.key], anyLinkedAccount: true });
      org = new Refold({ apiKey: document.key, baseUrl: emulator.url, maxRetries: 0 });
    });
    after(async () => {
      await emulator?.stop();
    });

    for (const written of document.cases) {
      test(written.name, async () => {
        const testCase = await setUp(org, written);
        const scoped = await clientFor(org, testCase);
        let outcome;
        try {
          await run(scoped, testCase);
          outcome = { ok: true };
        } catch (error) {
          if (!(error instanceof Refold.RefoldError)) throw error;
          assert.ok(!util.inspect(error).includes(document.key), 'the key never shows');
          outcome = { error: error.code, status: error.status, message: error.message };
        }
        const expected = testCase.expect;
        if (expected.ok) {
          assert.deepEqual(outcome, { ok: true }, `${testCase.name}: ${outcome.message}`);
        } else {
          assert.deepEqual(
            { error: outcome.error, status: outcome.status ?? null },
            { error: expected.error, status: expected.status ?? null },
            `${testCase.name}: ${outcome.message ?? 'it succeeded'}`,
          );
        }
      });
    }
  });
}
