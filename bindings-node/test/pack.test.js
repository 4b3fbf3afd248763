'use strict';
// Packaging as users get it: `npm pack`, then `npm install <tgz>` in a fresh project with no
// Rust toolchain on PATH, then both `require` and `import` mint a token.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const { PACKAGE_DIR, startEmulator, runNode } = require('./helpers');

const KEY = 'sk_test_PACK_DISTINCTIVE_51aa';

/** npm's CLI script, run with this node so PATH can stay minimal. */
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

/** A PATH with only a `node` symlink and the system directories, none of them holding Rust. */
function pathWithoutRust(dir) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const dirs = [bin, '/usr/bin', '/bin'].filter((d) => fs.existsSync(d));
  for (const d of dirs) {
    for (const tool of ['cargo', 'rustc', 'rustup']) {
      assert.ok(!fs.existsSync(path.join(d, tool)), `${tool} found in ${d}: the test needs a PATH without Rust`);
    }
  }
  return dirs.join(path.delimiter);
}

let emulator;
let work;
before(async () => {
  emulator = await startEmulator({ apiKeys: [KEY], linkedAccounts: ['packed-user'] });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'refold-session-pack-'));
});
after(async () => {
  await emulator?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('npm pack → npm install in a fresh project without Rust → require and import mint tokens', async () => {
  const npm = npmCli();
  const packDir = path.join(work, 'pack');
  fs.mkdirSync(packDir);
  const packed = JSON.parse(
    execFileSync(process.execPath, [npm, 'pack', '--json', '--pack-destination', packDir], {
      cwd: PACKAGE_DIR,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const files = packed[0].files.map((f) => f.path).sort();
  for (const wanted of ['index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'package.json', 'README.md', 'refold-session.linux-x64-gnu.node']) {
    assert.ok(files.includes(wanted), `${wanted} is in the package: ${files.join(', ')}`);
  }
  assert.ok(!files.some((f) => /^(src|test|node_modules|examples)\//.test(f) || f === 'Cargo.toml'), `only the runtime files ship: ${files.join(', ')}`);
  const tarball = path.join(packDir, packed[0].filename);
  assert.ok(fs.existsSync(tarball));

  const project = path.join(work, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const PATH = pathWithoutRust(work);
  const cleanEnv = { PATH, HOME: work, npm_config_cache: path.join(work, 'npm-cache'), CARGO_HOME: undefined, RUSTUP_HOME: undefined };
  const install = await runNode([npm, 'install', '--no-audit', '--no-fund', '--offline', tarball], {
    cwd: project,
    env: cleanEnv,
    timeoutMs: 120000,
  });
  assert.equal(install.code, 0, `npm install failed: ${install.stderr}`);
  assert.ok(fs.existsSync(path.join(project, 'node_modules', 'refold-session', 'refold-session.linux-x64-gnu.node')));

  for (const fixture of ['mint-cjs.js', 'mint-esm.mjs']) {
    fs.copyFileSync(path.join(__dirname, 'fixtures', fixture), path.join(project, fixture));
  }
  const env = { ...cleanEnv, REFOLD_API_KEY: KEY, REFOLD_BASE_URL: emulator.url, LINKED_ACCOUNT_ID: 'packed-user' };
  const cjs = await runNode(['mint-cjs.js'], { cwd: project, env });
  assert.equal(cjs.code, 0, cjs.stderr);
  assert.equal(cjs.stdout.trim(), 'cjs packed-user 3 InvalidLinkedAccountError');
  const esm = await runNode(['mint-esm.mjs'], { cwd: project, env });
  assert.equal(esm.code, 0, esm.stderr);
  assert.equal(esm.stdout.trim(), 'esm packed-user 3 InvalidLinkedAccountError');
  // The installed copy, not the working tree, was used.
  const resolved = await runNode(['-p', "require.resolve('refold-session')"], { cwd: project, env });
  assert.equal(resolved.stdout.trim(), path.join(fs.realpathSync(project), 'node_modules', 'refold-session', 'index.js'));
  assert.equal((await emulator.requests()).count, 4);
});
