'use strict';
// Measures the process's resident memory across worker_threads that start, (optionally) use
// the addon, and are terminated, one after another: anything an environment keeps after its
// worker exits shows up as growth. Not part of `node --test` (timing and memory depend on the
// machine); the README reports its numbers.
//
//   node --expose-gc test/tools/worker-rss.js [bare|load|mint] [cycles=160] [main]
//
//   bare  the worker does not load the addon (the baseline: Node's own per-worker cost)
//   load  the worker requires refold-session and builds a client
//   mint  as load, then mints $CALLS (default 25) tokens at once (REFOLD_BASE_URL / REFOLD_API_KEY / LINKED_ACCOUNT_ID,
//         e.g. a `refold emulator`)
//   inflight  as load, then starts $CALLS calls to a server that never answers (2 s timeout)
//         and is terminated with them in flight
//   main  (third argument) the main thread loads the addon too, so its runtime outlives
//         every worker (a server that uses the addon on its main thread and in workers)
// Prints one JSON line: {mode, cycles, mainLoads, rssStartMB, rssEndMB, growthMB, threadsStart,
// threadsEnd, ms}.

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const mode = process.argv[2] || 'load';
const cycles = Number(process.argv[3] || 160);
const packageDir = path.resolve(__dirname, '..', '..');
const mainLoads = process.argv[4] === 'main';
const calls = Number(process.env.CALLS || 25);
if (mainLoads) require(packageDir);

const body = `
  const { parentPort, workerData } = require('node:worker_threads');
  async function main() {
    if (workerData.mode === 'bare') return 'bare';
    const Refold = require(workerData.packageDir);
    const refold = new Refold({ apiKey: process.env.REFOLD_API_KEY || 'k', baseUrl: process.env.REFOLD_BASE_URL || 'http://127.0.0.1:9' });
    if (workerData.mode === 'inflight') {
      const hung = new Refold({ apiKey: 'k', baseUrl: workerData.hungUrl, timeoutMs: 2000, maxRetries: 0 });
      for (let i = 0; i < workerData.calls; i += 1) hung.getTokenForLinkedAccount('u').catch(() => {});
      return 'started';
    }
    if (workerData.mode === 'mint') {
      const calls = Array.from({ length: workerData.calls }, () => refold.getTokenForLinkedAccount(process.env.LINKED_ACCOUNT_ID));
      return (await Promise.all(calls))[0].linkedAccountId;
    }
    return refold.endpoint;
  }
  main().then((value) => parentPort.postMessage(value), (error) => parentPort.postMessage('error: ' + error));
`;

function cycle() {
  return new Promise((resolve, reject) => {
    const worker = new Worker(body, { eval: true, workerData: { mode, packageDir, calls, hungUrl } });
    worker.once('error', reject);
    worker.once('message', (message) => {
      if (String(message).startsWith('error')) reject(new Error(message));
      worker.terminate().then(() => resolve(message), reject);
    });
  });
}

/** Threads of this process (Linux), to see whether any outlive their worker. */
function threadCount() {
  try {
    return require('node:fs').readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

function settledRss() {
  if (global.gc) global.gc();
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * A loopback server that accepts connections and never answers (for `inflight`), in its own
 * process so that its sockets do not count in this one's memory.
 */
let hungUrl = null;
async function startHungServer() {
  const script =
    "const s = require('node:net').createServer(() => {}); s.listen(0, '127.0.0.1', () => console.log(s.address().port));";
  const child = require('node:child_process').spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill());
  child.unref();
  const port = await new Promise((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk).trim())));
  child.stdout.destroy();
  hungUrl = `http://127.0.0.1:${port}`;
}

async function main() {
  if (mode === 'inflight') await startHungServer();
  // A few cycles first, so one-time costs (loading the shared library, code caches) are
  // not counted as growth.
  for (let i = 0; i < 5; i += 1) await cycle();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const start = settledRss();
  const threadsStart = threadCount();
  const started = performance.now();
  for (let i = 0; i < cycles; i += 1) await cycle();
  // In-flight calls of terminated workers end at their timeout (2 s); then nothing of theirs
  // may remain.
  await new Promise((resolve) => setTimeout(resolve, mode === 'inflight' ? 3000 : 500));
  const end = settledRss();
  const result = {
    mode,
    cycles,
    mainLoads,
    rssStartMB: +start.toFixed(1),
    rssEndMB: +end.toFixed(1),
    growthMB: +(end - start).toFixed(1),
    threadsStart,
    threadsEnd: threadCount(),
    ms: Math.round(performance.now() - started),
  };
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
