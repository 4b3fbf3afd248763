'use strict';
// Test helpers: a real `refold emulator` process over loopback and its control plane.
// Nothing is mocked: every test talks HTTP to the emulator through the native addon.

const { spawn } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const REPO_DIR = path.resolve(PACKAGE_DIR, '..');

/** The variables the core reads itself; tests start from none of them. */
const CORE_ENV = [
  'REFOLD_API_KEY',
  'COBALT_API_KEY',
  'REFOLD_ENVIRONMENT',
  'REFOLD_BASE_URL',
  'REFOLD_CACHE_REDIS_URL',
  'REFOLD_CACHE_ENCRYPTION_KEY',
];
for (const name of CORE_ENV) delete process.env[name];

function refoldBin() {
  if (process.env.REFOLD_BIN) return process.env.REFOLD_BIN;
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(REPO_DIR, 'target');
  return path.join(targetDir, 'debug', 'refold');
}

/**
 * Starts `refold emulator --addr 127.0.0.1:0` and resolves once it prints its address.
 * @param {{apiKeys?: string[], linkedAccounts?: string[], anyLinkedAccount?: boolean, nice?: number, legacy?: boolean}} options
 */
async function startEmulator({ apiKeys = [], linkedAccounts = [], anyLinkedAccount = false, nice = 0, legacy = false } = {}) {
  const bin = refoldBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} not found: build the workspace first (make build)`);
  }
  // Refold's rate limit (on by default in the emulator) is not what these tests test.
  const args = ['emulator', '--addr', '127.0.0.1:0', '--rate-limit', 'off'];
  for (const key of apiKeys) args.push('--api-key', key);
  for (const id of linkedAccounts) args.push('--linked-account', id);
  if (anyLinkedAccount) args.push('--any-linked-account');
  // The older guide's session-token answer (token only, 500 for an unknown account).
  if (legacy) args.push('--legacy-session-token');
  // `nice` lowers the emulator's CPU priority (load tests: the process under test keeps the
  // CPU it needs on a small shared machine).
  const child = nice
    ? spawn('nice', ['-n', String(nice), bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${stderr}`)), 20000);
    const lines = readline.createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (match) resolve(match[1]);
      else reject(new Error(`unexpected first line from the emulator: ${line}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code}: ${stderr}`));
    });
  });
  child.stdout.resume();
  // Never outlive the test process, even when a test fails before `stop()`.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return new Emulator(child, url);
}

class Emulator {
  constructor(child, url) {
    this.child = child;
    this.url = url;
  }

  async control(method, route, body) {
    const response = await fetch(`${this.url}/__emulator/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`emulator ${route}: ${response.status} ${text}`);
    return JSON.parse(text);
  }

  reset() {
    return this.control('POST', 'reset');
  }

  faults(list) {
    return this.control('POST', 'faults', list);
  }

  /** `{count, requests}` of session-token requests since the last reset. */
  requests() {
    return this.control('GET', 'requests');
  }

  async createLinkedAccount(apiKey, id) {
    const response = await fetch(`${this.url}/api/v2/public/linked-account`, {
      method: 'PUT',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ linked_account_id: id }),
    });
    if (!response.ok) throw new Error(`create linked account: ${response.status}`);
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

/** The decoded payload of a JWT (no verification: tests only read claims). */
function jwtClaims(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a JWT: ${parts.length} parts`);
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

/**
 * Runs `node` on a script with extra environment, resolving to {code, signal, stdout,
 * stderr, ms}. Kills it after `timeoutMs`.
 */
function runNode(args, { env = {}, cwd = PACKAGE_DIR, timeoutMs = 30000, nodePath = process.execPath } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const childEnv = { ...process.env, ...env };
    for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
    const child = spawn(nodePath, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, signal, stdout, stderr, ms });
    });
  });
}

module.exports = { PACKAGE_DIR, REPO_DIR, CORE_ENV, startEmulator, jwtClaims, runNode, refoldBin };
