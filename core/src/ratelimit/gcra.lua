-- One ask to a fleet's request budget: the GCRA of local.rs, on Redis's own clock so the
-- processes' clocks do not matter. Keys share one hash tag (one cluster slot).
-- KEYS[1]  the theoretical arrival time, in microseconds of Redis's clock
-- KEYS[2]  the fleet's members: a sorted set of process ids by last ask
-- ARGV     interval (µs), burst, reserve, member id, hold (µs; 0 for an ask)
-- Returns  {1 if admitted else 0, µs until a slot would be free, members seen in the last minute}
-- A hold (after a 429) admits nothing: it moves the arrival time so that nobody goes before
-- now + hold, then one per interval.
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local hold = tonumber(ARGV[5])
local window = 60000000

redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('PEXPIRE', KEYS[2], window / 1000)
local members = redis.call('ZCARD', KEYS[2])

local tat = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
if tat < now then tat = now end
local function keep(value)
  redis.call('SET', KEYS[1], string.format('%d', value), 'PX',
    math.ceil((value - now) / 1000) + 1000)
end

if hold > 0 then
  local held = now + hold + (burst - 1) * interval
  if held > tat then keep(held) end
  return {0, 0, members}
end

local arrival = tat + interval
local wait = arrival - (now + (burst - reserve) * interval)
if wait > 0 then return {0, wait, members} end
keep(arrival)
return {1, 0, members}
