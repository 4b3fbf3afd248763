'use strict';
// One Node client of the refold-session benchmark (bench/README.md).
//   node bench.js --client NAME --url URL --key KEY --n N --concurrency C [--warmup W] [--prefix P]
//                 [--accounts K] [--redis-url R --encryption-key B64 --key-prefix KP]
//                 [--value-bytes V]
// NAME:
//   ours, undici, fetch, axios — each call POSTs the session-token request with a distinct
//     linked_account_id, parses the JSON and returns the token (ours: no cache, every call mints);
//   cache-hit — ours with `cache: true`: K accounts are minted first, then every call is a hit
//     (the ids cycle over the K);
//   store-hit — ours with `cache: {store}`: a separate client first mints W + N accounts (Redis
//     warm), then a fresh client (empty in-process cache) asks for each once, so every timed call
//     is an in-process miss answered by Redis;
//   ioredis, node-redis — the raw-GET peers: one shared client (its one pipelined connection)
//     GETs a V-byte value per call (W + N values SET first);
//   fleet — ours with `cache: {store}`, N calls over K accounts; prints READY and waits for a line
//     on stdin before calling (bench/run.py releases every language's fleet process together);
//   ours-otel-api — ours (every call mints) with @opentelemetry/api resolvable (NODE_PATH: this
//     directory's node_modules) and no SDK: the cost of the bridge when nobody records;
//   ours-otel-sdk — the same with the SDK's tracer and meter providers registered, spans to a
//     BatchSpanProcessor and metrics to a periodic reader, both into exporters that drop them.
// Prints one line: BENCH_JSON {...} (see bench/run.py).

const path = require('node:path');
const readline = require('node:readline');
const { performance } = require('node:perf_hooks');

const SESSION_PATH = '/api/v2/public/session-token';

function parseArgs(argv) {
  const args = { warmup: 0, prefix: 'node', accounts: 1000, 'key-prefix': 'bench:', 'value-bytes': 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    args[key] = argv[i + 1];
  }
  for (const k of ['n', 'concurrency', 'warmup', 'accounts', 'value-bytes']) args[k] = Number(args[k]);
  return args;
}

function loadOurs() {
  return require(loadOurs.root());
}
loadOurs.root = () => process.env.REFOLD_BINDINGS_NODE || path.resolve(__dirname, '../../bindings-node');

// The OpenTelemetry SDK as a service would register it, exporting into no-op exporters.
function registerOpenTelemetrySdk() {
  const { trace, metrics } = require('@opentelemetry/api');
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
  const dropped = (_items, done) => done({ code: 0 });
  const spans = { export: dropped, shutdown: async () => {}, forceFlush: async () => {} };
  const points = {
    export: dropped,
    shutdown: async () => {},
    forceFlush: async () => {},
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
  };
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(
    new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: points, exportIntervalMillis: 10000 })] }),
  );
}

function ids(prefix, count) {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

// Ours with the given cache option; checks the binding really has the cache API (a binding
// without it would ignore the option and every "hit" would be a mint).
async function cachedClient(args, cache) {
  const Refold = loadOurs();
  const client = new Refold({ apiKey: args.key, baseUrl: args.url, cache });
  if (typeof client.cacheStats !== 'function' || (await client.cacheStats()) == null) {
    throw new Error('this build of refold-session has no session cache (cacheStats() missing or null)');
  }
  return client;
}

function storeOption(args) {
  return {
    store: { redisUrl: args['redis-url'], encryptionKey: args['encryption-key'], keyPrefix: args['key-prefix'] },
  };
}

function oursCall(client) {
  return async (id) => (await client.getTokenForLinkedAccount(id)).token;
}

// The timed phase's counters (after − before), in the harness's field names.
function statsDelta(before, after) {
  if (!before || !after) return null;
  const d = (k) => (after[k] ?? 0) - (before[k] ?? 0);
  return {
    hits: d('hits'),
    misses: d('misses'),
    coalesced: d('coalesced'),
    store_hits: d('storeHits'),
    store_errors: d('storeErrors'),
  };
}

function waitForGo() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.once('line', () => {
      rl.close();
      resolve();
    });
  });
}

// Returns { call, warmIds, timedIds, stats?, close? } for one client kind.
async function makeBench(name, args) {
  const { url, key } = args;
  const endpoint = url + SESSION_PATH;
  const headers = {
    'x-api-key': key,
    'content-type': 'application/json',
    accept: 'application/json',
  };
  const warmIds = ids(`${args.prefix}-w`, args.warmup);
  const timedIds = ids(args.prefix, args.n);
  switch (name) {
    case 'ours': {
      const Refold = loadOurs();
      const client = new Refold({ apiKey: key, baseUrl: url });
      return { call: oursCall(client), warmIds, timedIds };
    }
    case 'ours-otel-api':
    case 'ours-otel-sdk': {
      // Fails loudly when the API is not where the binding looks for it.
      require.resolve('@opentelemetry/api', { paths: [loadOurs.root()] });
      if (name === 'ours-otel-sdk') registerOpenTelemetrySdk();
      const Refold = loadOurs();
      const client = new Refold({ apiKey: key, baseUrl: url });
      return { call: oursCall(client), warmIds, timedIds };
    }
    case 'cache-hit': {
      const client = await cachedClient(args, true);
      const call = oursCall(client);
      const accounts = ids(args.prefix, args.accounts);
      if ((await runPhase(call, accounts, accounts.length, 64, null)) !== 0) {
        throw new Error('minting the accounts to hit failed');
      }
      return { call, warmIds: accounts, timedIds: accounts, stats: () => client.cacheStats() };
    }
    case 'store-hit': {
      const warmer = await cachedClient(args, storeOption(args));
      for (const set of [warmIds, timedIds]) {
        if ((await runPhase(oursCall(warmer), set, set.length, 64, null)) !== 0) {
          throw new Error('warming the store failed');
        }
      }
      const client = await cachedClient(args, storeOption(args));
      return { call: oursCall(client), warmIds, timedIds, stats: () => client.cacheStats() };
    }
    case 'fleet': {
      const client = await cachedClient(args, storeOption(args));
      process.stdout.write('READY\n');
      await waitForGo();
      return { call: oursCall(client), warmIds: [], timedIds: ids(args.prefix, args.accounts), stats: () => client.cacheStats() };
    }
    case 'ioredis': {
      const Redis = require('ioredis');
      const redis = new Redis(args['redis-url']);
      const value = require('node:crypto').randomBytes(args['value-bytes']);
      for (const set of [warmIds, timedIds]) {
        for (let i = 0; i < set.length; i += 1000) {
          const pipe = redis.pipeline();
          for (const id of set.slice(i, i + 1000)) pipe.set(id, value);
          await pipe.exec();
        }
      }
      const expected = args['value-bytes'];
      const call = async (id) => {
        const got = await redis.getBuffer(id);
        if (!got || got.length !== expected) throw new Error(`GET returned ${got && got.length} bytes`);
        return 'ok';
      };
      return { call, warmIds, timedIds, close: () => redis.disconnect() };
    }
    case 'node-redis': {
      const { createClient, RESP_TYPES } = require('redis');
      const plain = createClient({ url: args['redis-url'] });
      await plain.connect();
      const redis = plain.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      const value = require('node:crypto').randomBytes(args['value-bytes']);
      for (const set of [warmIds, timedIds]) {
        for (let i = 0; i < set.length; i += 1000) {
          const multi = plain.multi();
          for (const id of set.slice(i, i + 1000)) multi.set(id, value);
          await multi.execAsPipeline();
        }
      }
      const expected = args['value-bytes'];
      const call = async (id) => {
        const got = await redis.get(id);
        if (!got || got.length !== expected) throw new Error(`GET returned ${got && got.length} bytes`);
        return 'ok';
      };
      return { call, warmIds, timedIds, close: () => plain.close() };
    }
    case 'undici': {
      const { request } = require('undici');
      const call = async (id) => {
        const { statusCode, body } = await request(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ linked_account_id: id }),
        });
        const json = await body.json();
        if (statusCode !== 200) throw new Error(`status ${statusCode}`);
        return json.token;
      };
      return { call, warmIds, timedIds };
    }
    case 'fetch': {
      const call = async (id) => {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ linked_account_id: id }),
        });
        const json = await res.json();
        if (!res.ok) throw new Error(`status ${res.status}`);
        return json.token;
      };
      return { call, warmIds, timedIds };
    }
    case 'axios': {
      // The way @cobaltio/cobalt's getTokenForLinkedAccount drives axios.
      const axios = require('axios');
      const call = async (id) => {
        const res = await axios.post(endpoint, { linked_account_id: id }, { headers: { 'x-api-key': key } });
        return res.data.token;
      };
      return { call, warmIds, timedIds };
    }
    default:
      throw new Error(`unknown client ${name}`);
  }
}

// `count` calls by `concurrency` async loops; call i uses ids[i % ids.length].
async function runPhase(call, idList, count, concurrency, latencies) {
  let next = 0;
  let errors = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const id = idList[i % idList.length];
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
  const setup = performance.now();
  const bench = await makeBench(args.client, args);
  const setupSeconds = (performance.now() - setup) / 1000;
  if (args.warmup > 0 && bench.warmIds.length > 0) {
    await runPhase(bench.call, bench.warmIds, args.warmup, args.concurrency, null);
  }
  const before = bench.stats ? await bench.stats() : null;
  const latencies = new Float64Array(args.n);
  const t0 = performance.now();
  const errors = await runPhase(bench.call, bench.timedIds, args.n, args.concurrency, latencies);
  const seconds = (performance.now() - t0) / 1000;
  const after = bench.stats ? await bench.stats() : null;
  if (bench.close) await bench.close();
  const sorted = latencies.sort();
  const result = {
    client: args.client,
    n: args.n,
    concurrency: args.concurrency,
    seconds,
    rps: args.n / seconds,
    p50_ms: percentile(sorted, 50),
    p99_ms: percentile(sorted, 99),
    errors,
    setup_s: setupSeconds,
    stats: statsDelta(before, after),
    runtime: `node ${process.version}`,
  };
  process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
  // Clients with background resources (a Redis connection, the store's) would keep the loop alive.
  process.exit(0);
}

module.exports = { registerOpenTelemetrySdk };

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${error && error.stack}\n`);
    process.exit(1);
  });
}
