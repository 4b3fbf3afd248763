'use strict';
// Every case of conformance/operations.json through the Node binding, twice, each time on a
// fresh emulator and in file order: once through the generic entry (`client.call`), once
// through the generated method of the same operation (`client.api.<name>`). Each outcome is
// compared with the case's: ok, or the error's code and status.

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

    for (const testCase of document.cases) {
      test(testCase.name, async () => {
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
