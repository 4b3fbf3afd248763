'use strict';
// One Node client of the refold-session benchmark (bench/README.md).
//   node bench.js --client ours|undici|fetch|axios --url URL --key KEY --n N --concurrency C
//                 [--warmup W] [--prefix P]
// Each call POSTs the session-token request with a distinct linked_account_id, parses the JSON
// and returns the token. Prints one line: BENCH_JSON {...} (see bench/run.py).

const path = require('node:path');
const { performance } = require('node:perf_hooks');

const SESSION_PATH = '/api/v2/public/session-token';

function parseArgs(argv) {
  const args = { warmup: 0, prefix: 'node' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    args[key] = argv[i + 1];
  }
  for (const k of ['n', 'concurrency', 'warmup']) args[k] = Number(args[k]);
  return args;
}

function makeClient(name, url, key) {
  const endpoint = url + SESSION_PATH;
  const headers = {
    'x-api-key': key,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  switch (name) {
    case 'ours': {
      const root = process.env.REFOLD_BINDINGS_NODE || path.resolve(__dirname, '../../bindings-node');
      const Refold = require(root);
      const client = new Refold({ apiKey: key, baseUrl: url });
      return async (id) => (await client.getTokenForLinkedAccount(id)).token;
    }
    case 'undici': {
      const { request } = require('undici');
      return async (id) => {
        const { statusCode, body } = await request(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ linked_account_id: id }),
        });
        const json = await body.json();
        if (statusCode !== 200) throw new Error(`status ${statusCode}`);
        return json.token;
      };
    }
    case 'fetch': {
      return async (id) => {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ linked_account_id: id }),
        });
        const json = await res.json();
        if (!res.ok) throw new Error(`status ${res.status}`);
        return json.token;
      };
    }
    case 'axios': {
      // The way @cobaltio/cobalt's getTokenForLinkedAccount drives axios.
      const axios = require('axios');
      return async (id) => {
        const res = await axios.post(endpoint, { linked_account_id: id }, { headers: { 'x-api-key': key } });
        return res.data.token;
      };
    }
    default:
      throw new Error(`unknown client ${name}`);
  }
}

async function runPhase(call, prefix, start, count, concurrency, latencies) {
  let next = 0;
  let errors = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const id = `${prefix}-${start + i}`;
      const t0 = performance.now();
      try {
        const token = await call(id);
        if (typeof token !== 'string' || token.length === 0) errors++;
      } catch (error) {
        errors++;
        if (errors <= 3) process.stderr.write(`request failed: ${error && error.message}\n`);
      }
      if (latencies) latencies[i] = performance.now() - t0;
    }
  }
  const workers = [];
  for (let w = 0; w < Math.min(concurrency, count); w++) workers.push(worker());
  await Promise.all(workers);
  return errors;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.min(rank, sorted.length - 1)];
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const call = makeClient(args.client, args.url, args.key);
  if (args.warmup > 0) {
    await runPhase(call, `${args.prefix}-w`, 0, args.warmup, args.concurrency, null);
  }
  const latencies = new Float64Array(args.n);
  const t0 = performance.now();
  const errors = await runPhase(call, args.prefix, 0, args.n, args.concurrency, latencies);
  const seconds = (performance.now() - t0) / 1000;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const result = {
    client: args.client,
    n: args.n,
    concurrency: args.concurrency,
    seconds,
    rps: args.n / seconds,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    errors,
    runtime: `node ${process.version}`,
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack}\n`);
  process.exit(1);
});
