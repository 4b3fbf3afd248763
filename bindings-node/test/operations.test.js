'use strict';
// Every case of conformance/operations.json (a smoke case per operation) and of
// conformance/operation-scenarios.json (scoping, retries, pages) through the Node binding, twice
// per file, each time on a fresh emulator and in file order: once through the generic entry
// (`client.call`, `callPage` page after page), once through the generated method of the same
// operation (`client.api.<name>`, `<name>All` for pages). A case's `setup` calls go first,
// through the generic entry, and what they save fills its `${name}` values. Each outcome is
// compared with the case's: ok, or the error's code and status, and where the case states them
// the attempts of a failed call, the items read and the requests the emulator received.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');

const { REPO_DIR, startEmulator } = require('./helpers');
const Refold = require('refold-session');
const { OPERATIONS } = require('../api.generated.js');

const FILES = ['operations.json', 'operation-scenarios.json'];
const METHODS = new Map(OPERATIONS.map(([id, method]) => [id, method]));
const PAGINATED = new Set(OPERATIONS.filter(([, , paginated]) => paginated).map(([id]) => id));

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

/** The case's one object: its parameters (declared keys, which the core reads too), body and
 *  the call's own linked account. */
function callObject(testCase) {
  const object = { ...testCase.params };
  if (testCase.body !== undefined) object.body = testCase.body;
  if (testCase.request_linked_account_id !== undefined) object.linkedAccountId = testCase.request_linked_account_id;
  return object;
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

/** The generated method of the case's operation. */
function generatedMethod(testCase) {
  const method = METHODS.get(testCase.operationId);
  assert.ok(method, `${testCase.name}: no generated method for ${testCase.operationId}`);
  return method;
}

// How each entry makes a case's call; `pages` reads every page and resolves to the items' count.
const ENTRIES = {
  generic: {
    call: (scoped, testCase) => scoped.call(testCase.operationId, callObject(testCase)),
    async pages(scoped, testCase, read) {
      let asked = callObject(testCase);
      for (;;) {
        const page = await scoped.callPage(testCase.operationId, asked);
        read.items += page.items.length;
        if (page.nextPage === null) return;
        asked = { ...asked, page: page.nextPage };
      }
    },
  },
  generated: {
    call: (scoped, testCase) => scoped.api[generatedMethod(testCase)](callObject(testCase)),
    async pages(scoped, testCase, read) {
      for await (const _ of scoped.api[`${generatedMethod(testCase)}All`](callObject(testCase))) read.items += 1;
    },
  },
};

/** Why the entry cannot make the case's call (it is then skipped), or null. */
function inexpressible(entry, testCase) {
  // Only a paginated list has a generated `<name>All`: reading the pages of another cannot be written.
  if (entry === 'generated' && testCase.pages && !PAGINATED.has(testCase.operationId)) return 'no All method for a list that is not paginated';
  return null;
}

for (const file of FILES) {
  const document = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'conformance', file), 'utf8'));
  for (const [entry, way] of Object.entries(ENTRIES)) {
    describe(`conformance/${file} through the ${entry} entry`, () => {
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
        const skip = inexpressible(entry, written);
        test(written.name, { skip: skip ?? false }, async () => {
          const testCase = await setUp(org, written);
          const retrying = testCase.max_retries
            ? new Refold({ apiKey: document.key, baseUrl: emulator.url, maxRetries: testCase.max_retries })
            : org;
          const scoped = await clientFor(retrying, testCase);
          if (testCase.faults !== undefined) await emulator.faults(testCase.faults);
          const before = (await emulator.requests()).count;
          const read = { items: 0 };
          let outcome;
          let attempts = 1;
          try {
            await (testCase.pages ? way.pages(scoped, testCase, read) : way.call(scoped, testCase));
            outcome = { ok: true };
          } catch (error) {
            if (!(error instanceof Refold.RefoldError)) throw error;
            assert.ok(!util.inspect(error).includes(document.key), 'the key never shows');
            outcome = { error: error.code, status: error.status ?? null };
            attempts = error.attempts;
            outcome.message = error.message;
          }
          const sent = (await emulator.requests()).count - before;
          const { message, ...got } = outcome;
          const expected = { ...testCase.expect };
          if (!expected.ok) expected.status ??= null;
          // Members a case may also state.
          if (expected.attempts !== undefined) got.attempts = attempts;
          if (expected.items !== undefined) got.items = read.items;
          if (expected.sent !== undefined) got.sent = sent;
          assert.deepEqual(got, expected, `${testCase.name}: ${message ?? 'it succeeded'}`);
        });
      }
    });
  }
}
