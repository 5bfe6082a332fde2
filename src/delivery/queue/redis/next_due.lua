-- Milliseconds until the route's earliest retry is due (0 when due now), or -1 when none waits.
-- KEYS: 1 due set
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first == 0 then
  return -1
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return math.max(0, tonumber(first[2]) - now)
