-- Takeover: leases idle for lease_timeout (their holder stopped refreshing them: it died) leave
-- the PEL and are due now, for whichever replica leases next. Attempts are not counted (the
-- attempt's outcome is unknown). Every replica runs this; each lease is reclaimed once.
-- KEYS: 1 stream, 2 due set
-- ARGV: 1 group, 2 lease timeout ms
-- Returns how many leases were reclaimed.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local p = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', tonumber(ARGV[2]), '-', '+', 100)
if #p == 0 then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, e in ipairs(p) do
  redis.call('XACK', KEYS[1], ARGV[1], e[1])
  redis.call('ZADD', KEYS[2], now, e[1])
end
return #p
