'use strict';
// The Node surface: module shape, options, SessionToken, errors, bad input, secrets.

const { test, describe, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');

const { startEmulator, jwtClaims, runNode } = require('./helpers');
const Refold = require('refold-session');

const KEY = 'sk_test_NODE_DISTINCTIVE_4f1c2b';
const ERROR_NAMES = [
  'InvalidInputError',
  'ConfigurationError',
  'BadRequestError',
  'AuthenticationError',
  'PermissionDeniedError',
  'NotFoundError',
  'RateLimitError',
  'InvalidLinkedAccountError',
  'ServerError',
  'APITimeoutError',
  'APIConnectionError',
  'InvalidResponseError',
  'UnexpectedStatusError',
  'InternalError',
  'AbortError',
];

let emulator;
let client;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: ['acct-1', 'user-42', 'acct-\uFFFD', 'acct-\u{1F600}'] });
  client = new Refold({ apiKey: KEY, baseUrl: emulator.url });
});
after(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.reset();
});

describe('module shape', () => {
  test('require() returns the client class with everything attached', () => {
    assert.equal(typeof Refold, 'function');
    assert.equal(Refold.Refold, Refold);
    assert.equal(Refold.Cobalt, Refold);
    assert.equal(Refold.default, Refold);
    assert.equal(typeof Refold.SessionToken, 'function');
    assert.equal(typeof Refold.RefoldError, 'function');
    assert.ok(new Refold.RefoldError('x') instanceof Error);
    for (const name of ERROR_NAMES) {
      const cls = Refold[name];
      assert.equal(typeof cls, 'function', name);
      assert.equal(cls.name, name);
      const error = new cls('boom');
      assert.ok(error instanceof Refold.RefoldError, name);
      assert.ok(error instanceof Error, name);
      assert.equal(error.name, name);
      assert.equal(error.code, cls.code);
      assert.equal(error.attempts, 0);
      assert.equal(error.status, null);
    }
  });

  test('ESM import gives the default export and named exports', async () => {
    const esm = await import('refold-session');
    assert.equal(esm.default, Refold);
    assert.equal(esm.Refold, Refold);
    assert.equal(esm.Cobalt, Refold);
    assert.equal(esm.SessionToken, Refold.SessionToken);
    assert.equal(esm.RefoldError, Refold.RefoldError);
    for (const name of ERROR_NAMES) assert.equal(esm[name], Refold[name], name);
    assert.equal(esm.LinkedAccount, Refold.LinkedAccount);
    assert.equal(esm.LinkedAccountPage, Refold.LinkedAccountPage);
    for (const name of ['WebhookEvent', 'verifyWebhookSignature', 'parseWebhookEvent']) assert.equal(esm[name], Refold[name], name);
  });
});

describe('minting', () => {
  test('a string id resolves to a SessionToken with Date fields', async () => {
    const session = await client.getTokenForLinkedAccount('acct-1');
    assert.ok(session instanceof Refold.SessionToken);
    const claims = jwtClaims(session.token);
    assert.equal(claims.linked_account_id, 'acct-1');
    assert.equal(session.linkedAccountId, 'acct-1');
    assert.ok(session.expiresAt instanceof Date);
    assert.equal(session.expiresAt.getTime(), claims.exp * 1000);
    assert.ok(session.issuedAt instanceof Date);
    assert.equal(session.issuedAt.getTime(), claims.iat * 1000);
  });

  test('the official { linked_account_id } payload works too', async () => {
    const session = await client.getTokenForLinkedAccount({ linked_account_id: 'user-42' });
    assert.equal(session.linkedAccountId, 'user-42');
    assert.equal(jwtClaims(session.token).linked_account_id, 'user-42');
  });

  test('the user-agent names the core, node and its version; the key is sent', async () => {
    await client.getTokenForLinkedAccount('acct-1');
    const log = await emulator.requests();
    assert.equal(log.count, 1);
    const headers = log.requests[0].headers;
    assert.match(headers['user-agent'], /^refold-session\/\d+\.\d+\.\d+\S* \(node v\d+\.\d+\.\d+\)$/);
    assert.ok(headers['user-agent'].endsWith(`(node ${process.version})`));
    assert.ok(headers['x-api-key'], 'an x-api-key header was sent');
    assert.equal(JSON.parse(log.requests[0].body).linked_account_id, 'acct-1');
  });

  test('one client serves many concurrent calls', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'acct-1' : 'user-42'));
    const sessions = await Promise.all(ids.map((id) => client.getTokenForLinkedAccount(id)));
    sessions.forEach((session, i) => assert.equal(session.linkedAccountId, ids[i]));
    assert.equal((await emulator.requests()).count, 50);
  });
});

describe('SessionToken', () => {
  test('inspect, console.log and toString redact; toJSON keeps it whole', async () => {
    const session = await client.getTokenForLinkedAccount('acct-1');
    const token = session.token;
    const shown = [util.inspect(session), util.format('%s %o %O', session, session, session), String(session), `${session}`];
    for (const text of shown) {
      assert.ok(!text.includes(token), `token leaked: ${text}`);
      assert.ok(text.includes(`${token.slice(0, 8)}…`), `redacted form shown: ${text}`);
    }
    assert.match(util.inspect(session), /linkedAccountId: 'acct-1'/);
    const json = session.toJSON();
    assert.deepEqual(Object.keys(json), ['token', 'linkedAccountId', 'expiresAt', 'issuedAt', 'refreshToken', 'refreshExpiresAt']);
    assert.equal(json.token, token);
    const wire = JSON.parse(JSON.stringify(session));
    assert.equal(wire.token, token);
    assert.equal(wire.linkedAccountId, 'acct-1');
    // The core's text form: RFC 3339, UTC, whole seconds, `Z` (not Date's `.000Z`).
    const claims = jwtClaims(token);
    assert.equal(wire.expiresAt, new Date(claims.exp * 1000).toISOString().replace('.000Z', 'Z'));
    assert.equal(wire.issuedAt, new Date(claims.iat * 1000).toISOString().replace('.000Z', 'Z'));
    assert.match(json.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(json, wire);
  });

  test('toJSON shows an absent issuedAt as null and the receipt-based expiry in whole seconds', async () => {
    await emulator.faults([{ kind: 'status', status: 200, body: { token: 'opaque-token-without-claims' } }]);
    const before = Math.floor(Date.now() / 1000) * 1000;
    const session = await client.getTokenForLinkedAccount('acct-1');
    assert.equal(session.issuedAt, null);
    const json = session.toJSON();
    assert.equal(json.issuedAt, null);
    assert.match(json.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const expires = Date.parse(json.expiresAt);
    assert.equal(expires, Math.floor(session.expiresAt.getTime() / 1000) * 1000);
    assert.ok(expires >= before + 24 * 3600 * 1000 && expires <= Date.now() + 24 * 3600 * 1000, json.expiresAt);
  });

  test('is frozen', async () => {
    const session = await client.getTokenForLinkedAccount('acct-1');
    assert.ok(Object.isFrozen(session));
    assert.throws(() => {
      'use strict';
      session.linkedAccountId = 'other';
    }, TypeError);
  });
});

describe('bad input rejects with InvalidInputError and sends nothing', () => {
  const cases = [
    ['undefined', undefined],
    ['no argument', Symbol.for('none')],
    ['null', null],
    ['a number', 42],
    ['NaN', Number.NaN],
    ['a boolean', true],
    ['a bigint', 10n],
    ['a symbol', Symbol('id')],
    ['a function', () => 'acct-1'],
    ['an array', ['acct-1']],
    ['an object without the field', {}],
    ['an object with a null field', { linked_account_id: null }],
    ['an object with a numeric field', { linked_account_id: 7 }],
    ['an object with the camelCase name', { linkedAccountId: 'acct-1' }],
    ['an empty string', ''],
    ['a whitespace string', ' \t\n '],
    ['a 2 KB id', 'x'.repeat(2048)],
    ['a 1025-byte id', 'a'.repeat(1025)],
    ['an id with NUL', 'acct\u0000-1'],
    ['an id that is only NUL', '\u0000'],
    ['an object whose id has NUL', { linked_account_id: 'a\u0000b' }],
    ['an id with a newline', 'acct\n1'],
  ];
  for (const [label, input] of cases) {
    test(label, async () => {
      const call = input === Symbol.for('none') ? client.getTokenForLinkedAccount() : client.getTokenForLinkedAccount(input);
      assert.ok(call instanceof Promise, 'returns a promise, never throws synchronously');
      await assert.rejects(call, (error) => {
        assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
        assert.ok(error instanceof Refold.RefoldError);
        assert.equal(error.code, 'invalid_input');
        assert.equal(error.status, null);
        assert.equal(error.attempts, 0);
        assert.ok(error.message.length > 10);
        assert.ok(error.message.includes('linked_account_id'), error.message);
        return true;
      });
      assert.equal((await emulator.requests()).count, 0, 'no request reached the emulator');
    });
  }

  test('wrong types name what was received', async () => {
    await assert.rejects(client.getTokenForLinkedAccount(42), /must be a string, not number/);
    await assert.rejects(client.getTokenForLinkedAccount(null), /not null/);
    await assert.rejects(client.getTokenForLinkedAccount({}), /not undefined/);
  });
});

describe('options', () => {
  test('the official SDK config { apiKey, server_url } works', async () => {
    const cobalt = new Refold.Cobalt({ apiKey: KEY, server_url: emulator.url });
    assert.equal(cobalt.endpoint, `${emulator.url}/api/v2/public/session-token`);
    const session = await cobalt.getTokenForLinkedAccount({ linked_account_id: 'acct-1' });
    assert.equal(session.linkedAccountId, 'acct-1');
  });

  test('environments pick the documented hosts; sandbox: true means the sandbox', () => {
    assert.equal(new Refold({ apiKey: KEY }).endpoint, 'https://app.refold.ai/api/v2/public/session-token');
    assert.equal(new Refold({ apiKey: KEY }).environment, 'production');
    assert.equal(new Refold({ apiKey: KEY, environment: 'sandbox' }).endpoint, 'https://embedapi.gocobalt.io/api/v2/public/session-token');
    assert.equal(new Refold({ apiKey: KEY, environment: 'staging' }).environment, 'staging');
    assert.equal(new Refold({ apiKey: KEY, sandbox: true }).environment, 'sandbox');
    assert.equal(new Refold({ apiKey: KEY, sandbox: true, environment: 'staging' }).environment, 'staging');
    assert.equal(new Refold({ apiKey: KEY, baseUrl: 'https://proxy.example/refold', server_url: 'https://ignored.example' }).endpoint, 'https://proxy.example/refold/api/v2/public/session-token');
  });

  test('configuration problems throw ConfigurationError from the constructor', () => {
    const bad = [
      [{}, /API key/],
      [{ apiKey: '   ' }, /blank/],
      [{ apiKey: KEY, environment: 'moon' }, /moon/],
      [{ apiKey: KEY, baseUrl: 'http://203.0.113.7' }, /loopback/],
      [{ apiKey: KEY, server_url: 'ftp://127.0.0.1' }, /https/],
      [{ apiKey: KEY, timeoutMs: 0 }, /timeout/],
      [{ apiKey: KEY, timeoutMs: -5 }, /^timeoutMs must be a positive number of milliseconds below 1000000000000 milliseconds, not -5\./],
      [{ apiKey: KEY, timeoutMs: Number.NaN }, /timeout/],
      [{ apiKey: KEY, maxRetries: -1 }, /^maxRetries must be a whole number from 0 to 100, not -1\./],
      [{ apiKey: KEY, maxRetries: 1.5 }, /maxRetries/],
      [{ apiKey: 12345 }, /apiKey must be a string, not number/],
      [{ apiKey: KEY, environment: 3 }, /environment must be a string, not number/],
      [{ apiKey: KEY, baseUrl: new URL('https://x.example') }, /baseUrl must be a string, not object/],
      [{ apiKey: KEY, server_url: 5 }, /server_url must be a string, not number/],
      [{ apiKey: KEY, timeoutMs: '100' }, /timeoutMs must be a number, not string/],
      [{ apiKey: KEY, maxRetries: '2' }, /maxRetries must be a number, not string/],
    ];
    for (const [options, pattern] of bad) {
      assert.throws(
        () => new Refold(options),
        (error) => {
          assert.ok(error instanceof Refold.ConfigurationError, util.inspect(error));
          assert.equal(error.code, 'configuration');
          assert.equal(error.attempts, 0);
          assert.match(error.message, pattern);
          return true;
        },
        util.inspect(options),
      );
    }
    assert.throws(() => new Refold('not-an-object'), Refold.ConfigurationError);
    assert.throws(() => new Refold(42), /options must be an object, not number/);
  });

  test('timeoutMs and maxRetries take effect', async () => {
    const fast = new Refold({ apiKey: KEY, baseUrl: emulator.url, timeoutMs: 200, maxRetries: 0 });
    await emulator.faults([{ kind: 'delay', ms: 2000 }]);
    const started = performance.now();
    await assert.rejects(fast.getTokenForLinkedAccount('acct-1'), (error) => {
      assert.ok(error instanceof Refold.APITimeoutError);
      assert.equal(error.attempts, 1);
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190 && elapsed < 1500, `took ${elapsed} ms`);
  });

  test('the API key and environment come from the environment when not given', async () => {
    const script = `
      const Refold = require('refold-session');
      const refold = new Refold();
      refold.getTokenForLinkedAccount('acct-1').then((s) => console.log(refold.environment, s.linkedAccountId));`;
    const viaRefold = await runNode(['-e', script], {
      env: { REFOLD_API_KEY: KEY, REFOLD_BASE_URL: emulator.url, REFOLD_ENVIRONMENT: 'staging' },
    });
    assert.equal(viaRefold.code, 0, viaRefold.stderr);
    assert.equal(viaRefold.stdout.trim(), 'staging acct-1');
    const viaCobalt = await runNode(['-e', script], { env: { COBALT_API_KEY: KEY, REFOLD_BASE_URL: emulator.url } });
    assert.equal(viaCobalt.code, 0, viaCobalt.stderr);
    assert.equal(viaCobalt.stdout.trim(), 'production acct-1');
  });
});

describe('errors', () => {
  test('carry code, status, requestId, retryAfter, attempts and a useful stack', async () => {
    await emulator.faults([
      { kind: 'status', status: 429, headers: { 'retry-after-ms': '10', 'x-request-id': 'req_a' } },
      { kind: 'status', status: 429, headers: { 'retry-after-ms': '10', 'x-request-id': 'req_b' } },
    ]);
    const limited = new Refold({ apiKey: KEY, baseUrl: emulator.url, maxRetries: 1 });
    async function callerFrameForStack() {
      return await limited.getTokenForLinkedAccount('acct-1');
    }
    await assert.rejects(callerFrameForStack(), (error) => {
      assert.ok(error instanceof Refold.RateLimitError);
      assert.equal(error.name, 'RateLimitError');
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.status, 429);
      assert.equal(error.requestId, 'req_b');
      assert.equal(error.retryAfter, 0.01);
      assert.equal(error.attempts, 2);
      assert.match(error.stack, /^RateLimitError: /);
      assert.match(error.stack, /callerFrameForStack/);
      const json = JSON.parse(JSON.stringify(error));
      assert.equal(json.code, 'rate_limited');
      assert.equal(json.status, 429);
      return true;
    });
  });

  test('an unknown linked account is an InvalidLinkedAccountError', async () => {
    await assert.rejects(client.getTokenForLinkedAccount('nobody'), (error) => {
      assert.ok(error instanceof Refold.InvalidLinkedAccountError);
      assert.equal(error.status, 400);
      assert.equal(error.attempts, 1);
      return true;
    });
  });
});

describe('secrets never show', () => {
  test('the key is absent from the client, its errors and inspect output', async () => {
    const refold = new Refold({ apiKey: KEY, baseUrl: emulator.url });
    const forms = [util.inspect(refold, { showHidden: true, depth: 5 }), String(refold), JSON.stringify(refold)];
    for (const form of forms) assert.ok(!form.includes(KEY), form);
    assert.ok(!Object.values(refold).includes(KEY));

    const wrong = new Refold({ apiKey: `${KEY}_WRONG`, baseUrl: emulator.url });
    await emulator.faults([{ kind: 'status', status: 401, body: { message: `bad key ${KEY}_WRONG` } }]);
    const error = await wrong.getTokenForLinkedAccount('acct-1').catch((e) => e);
    assert.ok(error instanceof Refold.AuthenticationError);
    for (const form of [error.message, String(error), error.stack, util.inspect(error), JSON.stringify(error)]) {
      assert.ok(!form.includes(KEY), form);
    }
    let configError;
    try {
      new Refold({ apiKey: `${KEY} with space` });
    } catch (e) {
      configError = e;
    }
    assert.ok(configError instanceof Refold.ConfigurationError);
    assert.ok(!util.inspect(configError).includes(KEY));
  });
});

describe('lone UTF-16 surrogates are never replaced', () => {
  // napi's default string conversion would turn each into U+FFFD and mint for another account.
  for (const [label, input] of [
    ['a lone high surrogate', '\uD800'],
    ['a lone low surrogate after text', 'acct-\uDFFF'],
    ['a high surrogate before text', '\uDBFFacct'],
    ['reversed pair', 'acct-\uDE00\uD83D'],
    ['in the object payload', { linked_account_id: 'acct-1\uD800' }],
    // Past the short-string buffer (255 units), read whole.
    ['after 300 units of text', `${'a'.repeat(300)}\uD800`],
  ]) {
    test(`${label}: InvalidInputError, nothing sent`, async () => {
      await assert.rejects(client.getTokenForLinkedAccount(input), (error) => {
        assert.ok(error instanceof Refold.InvalidInputError, util.inspect(error));
        assert.equal(error.code, 'invalid_input');
        assert.equal(error.attempts, 0);
        assert.match(error.message, /not valid Unicode/);
        return true;
      });
      assert.equal((await emulator.requests()).count, 0, 'no request reached the emulator');
    });
  }

  test('a genuine U+FFFD and a surrogate pair are sent unchanged', async () => {
    for (const id of ['acct-\uFFFD', 'acct-\u{1F600}']) {
      const session = await client.getTokenForLinkedAccount(id);
      assert.equal(session.linkedAccountId, id);
      assert.equal(jwtClaims(session.token).linked_account_id, id);
    }
    const log = await emulator.requests();
    assert.deepEqual(log.requests.map((r) => JSON.parse(r.body).linked_account_id), ['acct-\uFFFD', 'acct-\u{1F600}']);
  });

  test('text past the short-string buffer is sent whole', async () => {
    const long = `${'é'.repeat(140)}\u{1F600}${'z'.repeat(120)}`; // 262 UTF-16 units
    // No such account on the emulator: the request shows what was sent.
    await assert.rejects(client.getTokenForLinkedAccount(long), Refold.InvalidLinkedAccountError);
    const log = await emulator.requests();
    assert.deepEqual(log.requests.map((r) => JSON.parse(r.body).linked_account_id), [long]);
  });

  test('in an option: ConfigurationError naming the option, nothing sent', async () => {
    const bad = [
      [{ apiKey: `${KEY}\uDC00`, baseUrl: emulator.url }, 'apiKey'],
      [{ apiKey: KEY, baseUrl: `${emulator.url}/\uD83D` }, 'baseUrl'],
      [{ apiKey: KEY, server_url: `${emulator.url}\uD800` }, 'server_url'],
      [{ apiKey: KEY, baseUrl: emulator.url, environment: 'sandbox\uD800' }, 'environment'],
    ];
    for (const [options, name] of bad) {
      assert.throws(
        () => new Refold(options),
        (error) => {
          assert.ok(error instanceof Refold.ConfigurationError, util.inspect(error));
          assert.equal(error.attempts, 0);
          assert.ok(error.message.startsWith(`${name} is not valid Unicode`), error.message);
          assert.ok(!error.message.includes(KEY));
          return true;
        },
        name,
      );
    }
    assert.equal((await emulator.requests()).count, 0, 'no request reached the emulator');
  });
});

describe('internal errors (the test-hooks build panics inside the core on purpose)', () => {
  const PANIC_ID = '__refold_test_hooks_panic__';

  test('a panic in a call in flight rejects with InternalError; the next call works', async () => {
    await assert.rejects(client.getTokenForLinkedAccount(PANIC_ID), (error) => {
      assert.ok(error instanceof Refold.InternalError, util.inspect(error));
      assert.ok(error instanceof Refold.RefoldError);
      assert.equal(error.code, 'internal');
      assert.equal(error.name, 'InternalError');
      assert.match(error.message, /^refold-session hit an internal error \(panic: .*\); please report it\.$/);
      return true;
    });
    // The panic neither killed the process nor the runtime: the same client still mints.
    const session = await client.getTokenForLinkedAccount('acct-1');
    assert.equal(session.linkedAccountId, 'acct-1');
    assert.equal((await emulator.requests()).count, 1);
  });

  test('panics among concurrent calls settle only their own promises', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => (i % 4 === 0 ? PANIC_ID : 'acct-1'));
    const outcomes = await Promise.allSettled(ids.map((id) => client.getTokenForLinkedAccount(id)));
    outcomes.forEach((outcome, i) => {
      if (ids[i] === PANIC_ID) {
        assert.equal(outcome.status, 'rejected');
        assert.ok(outcome.reason instanceof Refold.InternalError);
      } else {
        assert.equal(outcome.status, 'fulfilled', util.inspect(outcome));
      }
    });
  });

  test('a panic while building a client throws InternalError from the constructor', async () => {
    assert.throws(
      () => new Refold({ apiKey: PANIC_ID, baseUrl: emulator.url }),
      (error) => {
        assert.ok(error instanceof Refold.InternalError, util.inspect(error));
        assert.equal(error.code, 'internal');
        assert.equal(error.attempts, 0);
        return true;
      },
    );
    const after = new Refold({ apiKey: KEY, baseUrl: emulator.url });
    assert.equal((await after.getTokenForLinkedAccount('acct-1')).linkedAccountId, 'acct-1');
  });
});

describe('client properties, maxIdleConnections and maxConnections', () => {
  test('endpoint, environment and userAgent are read-only strings from the core', async () => {
    const refold = new Refold({ apiKey: KEY, baseUrl: emulator.url, environment: 'sandbox' });
    assert.equal(refold.endpoint, `${emulator.url}/api/v2/public/session-token`);
    assert.equal(refold.environment, 'sandbox');
    assert.match(refold.userAgent, /^refold-session\/\d+\.\d+\.\d+\S* \(node v\d+\.\d+\.\d+\)$/);
    assert.throws(() => {
      'use strict';
      refold.userAgent = 'x';
    }, TypeError);
    await refold.getTokenForLinkedAccount('acct-1');
    assert.equal((await emulator.requests()).requests[0].headers['user-agent'], refold.userAgent);
    assert.equal(util.inspect(refold, { breakLength: Infinity }), `Refold { environment: 'sandbox', endpoint: '${refold.endpoint}' }`);
  });

  test('maxIdleConnections is taken and checked by the core', async () => {
    const none = new Refold({ apiKey: KEY, baseUrl: emulator.url, maxIdleConnections: 0 });
    for (let i = 0; i < 3; i += 1) await none.getTokenForLinkedAccount('acct-1');
    assert.equal((await emulator.requests()).count, 3);
    for (const [value, pattern] of [
      [-1, /maxIdleConnections must be a whole number from 0 to 10000, not -1/],
      [2.5, /maxIdleConnections/],
      [10001, /maxIdleConnections/],
      [Number.NaN, /maxIdleConnections/],
      ['4', /maxIdleConnections must be a number, not string/],
    ]) {
      assert.throws(() => new Refold({ apiKey: KEY, maxIdleConnections: value }), (error) => {
        assert.ok(error instanceof Refold.ConfigurationError);
        assert.match(error.message, pattern);
        return true;
      });
    }
  });

  test('maxConnections: calls beyond it wait for a connection; bad values are ConfigurationError', async () => {
    const one = new Refold({ apiKey: KEY, baseUrl: emulator.url, maxConnections: 1 });
    const sessions = await Promise.all(Array.from({ length: 16 }, () => one.getTokenForLinkedAccount('acct-1')));
    assert.equal(sessions.length, 16);
    assert.ok(sessions.every((session) => session.linkedAccountId === 'acct-1'));
    assert.equal((await emulator.requests()).count, 16);
    for (const [value, pattern] of [
      [0, /maxConnections must be a whole number from 1 to 10000, not 0/],
      [10001, /maxConnections/],
      ['4', /maxConnections must be a number, not string/],
    ]) {
      assert.throws(() => new Refold({ apiKey: KEY, maxConnections: value }), (error) => {
        assert.ok(error instanceof Refold.ConfigurationError);
        assert.match(error.message, pattern);
        return true;
      });
    }
  });

  test('the addon exports only what index.js uses (and, in this test build, the census)', () => {
    const addon = require(require('node:path').join(__dirname, '..', 'refold-session.linux-x64-gnu.node'));
    const exported = Object.keys(addon).filter((name) => !name.startsWith('testHooks'));
    assert.deepEqual(exported.sort(), [
      'Dispatcher', 'NativeClient', 'NativePages', 'NativeScopedClient', 'NativeTelemetry', 'NativeToken',
      'abortedError', 'createClient', 'createDispatcher', 'createTelemetry', 'hostObjectError', 'parseWebhookEvent', 'setLogSink',
      'telemetryInstruments', 'verifyWebhookSignature', 'webhookBodyTypeError',
    ]);
    assert.deepEqual(Object.keys(addon).filter((name) => name.startsWith('testHooks')), ['testHooksLiveObjects']);
  });
});
