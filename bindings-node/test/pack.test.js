'use strict';
// Installing as the README says today (nothing is published yet): the README's block of
// commands, run exactly as written, builds dist/refold-session-<version>.tgz from this
// checkout (`make node-pack`: a release addon without test hooks) and installs it into a
// fresh project; then both `require` and `import` mint tokens with no Rust on PATH.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { PACKAGE_DIR, REPO_DIR, startEmulator, runNode } = require('./helpers');

const KEY = 'sk_test_PACK_DISTINCTIVE_51aa';
const VERSION = require('../package.json').version;

/** npm's CLI script (its shebang runs it with the `node` on PATH). */
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  try {
    candidates.push(fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()));
  } catch {
    // npm not on PATH: the other candidates remain.
  }
  const found = candidates.find((file) => file && file.endsWith('.js') && fs.existsSync(file));
  if (!found) throw new Error('npm-cli.js not found');
  return found;
}

/**
 * A PATH holding only `node` and `npm` (symlinks in a private directory): no Rust on it, even
 * where the system has one (a distribution's cargo in /usr/bin).
 */
function pathWithoutRust(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync(npmCli(), path.join(bin, 'npm'));
  for (const tool of ['cargo', 'rustc', 'rustup']) {
    assert.ok(!fs.existsSync(path.join(bin, tool)), `${tool} found in ${bin}: the test needs a PATH without Rust`);
  }
  return bin;
}

/** The README's shell block that follows the `pack.test.js runs this block` marker. */
function readmeInstallBlock() {
  const readme = fs.readFileSync(path.join(PACKAGE_DIR, 'README.md'), 'utf8');
  const match = /<!-- pack\.test\.js runs this block[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(match, 'the README marks its install-from-a-checkout block');
  return match[1];
}

let emulator;
let work;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: ['packed-user', '__refold_test_hooks_panic__'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'refold-session-pack-'));
});
after(async () => {
  await emulator?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("the README's install-from-a-checkout lines work in a fresh project; require and import mint tokens without Rust", async () => {
  // The layout the README assumes: the checkout as `refold-session`, next to the user's app.
  const block = readmeInstallBlock();
  assert.match(block, /^make node-pack\b/m);
  assert.match(block, new RegExp(`^npm install \\S+/dist/refold-session-${VERSION.replace(/\./g, '\\.')}\\.tgz`, 'm'));
  fs.symlinkSync(REPO_DIR, path.join(work, 'refold-session'));
  const project = path.join(work, 'your-app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'your-app', version: '1.0.0', private: true }));

  // Run in the checkout, exactly as written; only npm's cache is private to the test (and it
  // may not reach the registry: a local tarball with no dependencies needs nothing from it).
  const env = {
    npm_config_cache: path.join(work, 'npm-cache'),
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    // This test may itself run under make: the README's `make` starts afresh.
    MAKEFLAGS: undefined,
    MFLAGS: undefined,
    MAKELEVEL: undefined,
  };
  const script = `set -eu\ncd ${JSON.stringify(path.join(work, 'refold-session'))}\n${block}`;
  const install = await runNode(['-c', script], {
    nodePath: 'bash',
    env,
    cwd: work,
    timeoutMs: 30 * 60 * 1000, // a first release build of the addon takes minutes on a small machine
  });
  assert.equal(install.code, 0, `the README's lines failed:\n${install.stdout}\n${install.stderr}`);

  const tarball = path.join(REPO_DIR, 'dist', `refold-session-${VERSION}.tgz`);
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
  assert.deepEqual(files, ['README.md', 'api.generated.d.ts', 'api.generated.js', 'index.d.mts', 'index.d.ts', 'index.js', 'index.mjs', 'models.generated.d.ts', 'options.generated.d.ts', 'package.json', 'refold-session.linux-x64-gnu.node', 'telemetry.js']);
  const installed = path.join(project, 'node_modules', 'refold-session');
  const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
  for (const hook of ['preinstall', 'install', 'postinstall']) {
    assert.equal(manifest.scripts?.[hook], undefined, `installing runs no ${hook} script (so needs no Rust)`);
  }

  for (const fixture of ['mint-cjs.js', 'mint-esm.mjs']) {
    fs.copyFileSync(path.join(__dirname, 'fixtures', fixture), path.join(project, fixture));
  }
  const PATH = pathWithoutRust(work);
  const cleanEnv = { PATH, HOME: work, CARGO_HOME: undefined, RUSTUP_HOME: undefined };
  const mintEnv = { ...cleanEnv, REFOLD_API_KEY: KEY, REFOLD_BASE_URL: emulator.url, LINKED_ACCOUNT_ID: 'packed-user' };
  const cjs = await runNode(['mint-cjs.js'], { cwd: project, env: mintEnv });
  assert.equal(cjs.code, 0, cjs.stderr);
  assert.equal(cjs.stdout.trim(), 'cjs packed-user 3 InvalidLinkedAccountError');
  const esm = await runNode(['mint-esm.mjs'], { cwd: project, env: mintEnv });
  assert.equal(esm.code, 0, esm.stderr);
  assert.equal(esm.stdout.trim(), 'esm packed-user 3 InvalidLinkedAccountError');
  // The installed copy, not the working tree, was used.
  const resolved = await runNode(['-p', "require.resolve('refold-session')"], { cwd: project, env: mintEnv });
  assert.equal(resolved.stdout.trim(), path.join(fs.realpathSync(project), 'node_modules', 'refold-session', 'index.js'));
  // A release build: the test-only panic is not in it, so that id is just an id.
  const plain = await runNode(
    ['-e', "new (require('refold-session'))().getTokenForLinkedAccount('__refold_test_hooks_panic__').then((s) => console.log(s.linkedAccountId))"],
    { cwd: project, env: mintEnv },
  );
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout.trim(), '__refold_test_hooks_panic__');
  assert.equal((await emulator.requests()).count, 5);
});
