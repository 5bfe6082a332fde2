-- GCRA (governor's algorithm) on integer microseconds of the server's clock (TIME), so replica
-- clocks never matter. Mirrors src/state/gcra.rs.
-- KEYS[1] = {prefix}:{route}:rl[:{client ip}]  (value: TAT in µs)
-- ARGV[1] = emission interval T in µs, ARGV[2] = tolerance tau = T*(burst-1) in µs
-- Returns 0 allowed, or the wait in µs (> 0) until a request would be allowed.
-- µs since the epoch (~1.8e15) are exact in Lua's doubles (< 2^53); written back with %.0f
-- because tostring() would round them to 14 significant digits.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local t = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then
  tat = now
end
local allow_at = tat - tau
if now < allow_at then
  return allow_at - now
end
local new_tat = tat + t
-- Once TAT <= now the key means what an absent key means, so it may expire then.
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', string.format('%.0f', ttl_ms))
return 0
