-- The load generator's request: the same POST every client sends, with a distinct
-- linked_account_id per request (thread id + per-thread counter).
--   wrk -s bench/wrk/session.lua -H "x-api-key: KEY" ... http://127.0.0.1:PORT
-- It prints one JSON line (prefixed "BENCH_JSON ") with requests, duration and latency
-- percentiles, which bench/run.py reads.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local counter = 0
local prefix = os.getenv("BENCH_PREFIX") or "wrk"

function init(args)
  wrk.method = "POST"
  wrk.path = "/api/v2/public/session-token"
  wrk.headers["content-type"] = "application/json"
  wrk.headers["accept"] = "application/json"
  wrk.headers["user-agent"] = "wrk-bench"
end

function request()
  counter = counter + 1
  local body = '{"linked_account_id":"' .. prefix .. '-' .. tid .. '-' .. counter .. '"}'
  return wrk.format(nil, nil, nil, body)
end


function done(summary, latency, requests)
  local errors = summary.errors
  local non2xx = summary.errors.status or 0
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, errors.connect, errors.read, errors.write, errors.timeout, non2xx))
end
