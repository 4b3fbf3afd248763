'use strict';
// The core's log lines through the `logger` option and REFOLD_LOG (process-wide: this file
// runs in its own process, as node --test runs every file).

const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const Refold = require('..');
const { startEmulator, runNode } = require('./helpers');

const KEY = 'sk_logs_distinctive_0f9e8d7c6b5a4';

let emulator;
before(async () => {
  delete process.env.REFOLD_LOG;
  emulator = await startEmulator({ apiKeys: [KEY], anyLinkedAccount: true });
});
after(async () => {
  await emulator?.stop();
  delete process.env.REFOLD_LOG;
});
beforeEach(async () => {
  await emulator.reset();
});

/** A pino/winston-like logger that keeps its lines. */
function capture() {
  const lines = [];
  const logger = {};
  for (const level of ['debug', 'info', 'warn', 'error']) logger[level] = (message) => lines.push([level, message]);
  return { logger, lines };
}

/** Waits until `lines` has one matching `pattern` (or a while passed). */
async function lineMatching(lines, pattern) {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (lines.some(([, message]) => pattern.test(message))) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

test('a logger gets lines from REFOLD_LOG level (else warn), never a secret', async () => {
  const tokens = [];
  const quiet = capture();
  const first = new Refold({ apiKey: KEY, baseUrl: emulator.url, logger: quiet.logger, maxRetries: 1 });
  await emulator.faults([{ kind: 'status', status: 503 }]);
  tokens.push((await first.getTokenForLinkedAccount('logs-1')).token);
  assert.equal(await lineMatching(quiet.lines, /retrying/), false, 'a retry is a debug line: not at warn');

  process.env.REFOLD_LOG = 'debug';
  const loud = capture();
  const second = new Refold({ apiKey: KEY, baseUrl: emulator.url, logger: loud.logger, maxRetries: 1 });
  await emulator.faults([{ kind: 'status', status: 503 }]);
  tokens.push((await second.getTokenForLinkedAccount('logs-2')).token);
  assert.ok(await lineMatching(loud.lines, /attempt 1 failed with server_error .*retrying/), JSON.stringify(loud.lines));
  const [level] = loud.lines.find(([, message]) => /retrying/.test(message));
  assert.equal(level, 'debug');
  // Every live client's logger gets the process's lines.
  assert.ok(await lineMatching(quiet.lines, /retrying/));
  for (const [, message] of [...quiet.lines, ...loud.lines]) {
    assert.ok(!message.includes(KEY), message);
    for (const token of tokens) assert.ok(!message.includes(token), message);
  }
  delete process.env.REFOLD_LOG;
});

test('a logger without the four methods is a ConfigurationError', () => {
  const expects = 'logger must be an object with debug, info, warn and error methods (console, pino, winston)';
  for (const [logger, message] of [
    [{ info() {} }, `${expects}.`],
    ['console', `${expects}, not string.`],
    [1, `${expects}, not number.`],
  ]) {
    assert.throws(() => new Refold({ apiKey: KEY, baseUrl: emulator.url, logger }), (error) => {
      assert.ok(error instanceof Refold.ConfigurationError);
      assert.equal(error.code, 'configuration');
      assert.equal(error.message, message, 'worded by the core (HOST_OBJECT_OPTIONS)');
      return true;
    });
  }
  // `console` fits.
  assert.ok(new Refold({ apiKey: KEY, baseUrl: emulator.url, logger: console }));
});

test('REFOLD_LOG=debug prints the lines on the console; unset prints nothing', async () => {
  const script = `
    const Refold = require('.');
    const client = new Refold({ apiKey: process.env.KEY, baseUrl: process.env.URL, maxRetries: 1 });
    client.getTokenForLinkedAccount('logs-console').then((session) => console.log('token ' + session.token));
  `;
  for (const [level, expected] of [['debug', true], [undefined, false]]) {
    await emulator.faults([{ kind: 'status', status: 503 }]);
    const run = await runNode(['-e', script], { env: { REFOLD_LOG: level, KEY, URL: emulator.url } });
    assert.equal(run.code, 0, run.stderr);
    const output = run.stdout + run.stderr;
    assert.equal(/refold-session: .*attempt 1 failed with server_error/.test(output), expected, output);
    assert.ok(!output.includes(KEY));
    const token = /token (\S+)/.exec(run.stdout)[1];
    assert.equal(output.split(token).length, 2, 'the token only where the script printed it');
  }
});
