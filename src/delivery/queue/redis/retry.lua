-- The lease holder's attempt failed: out of the PEL, into the due set at Redis time + delay,
-- one more attempt counted. Anyone else's call (a lease taken over) changes nothing.
-- KEYS: 1 stream, 2 due set, 3 meta hash
-- ARGV: 1 group, 2 consumer, 3 delivery ID, 4 delay ms, 5 last error
-- Returns 1 when rescheduled, 0 when stale.
local raw = redis.call('HGET', KEYS[3], ARGV[3])
if not raw then
  return 0
end
local m = cjson.decode(raw)
if m.dead then
  return 0
end
local p = redis.call('XPENDING', KEYS[1], ARGV[1], m.sid, m.sid, 1)
if #p == 0 or p[1][2] ~= ARGV[2] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = now + tonumber(ARGV[4])
redis.call('XACK', KEYS[1], ARGV[1], m.sid)
redis.call('ZADD', KEYS[2], due, m.sid)
m.att = m.att + 1
m.err = ARGV[5]
m.due = due
redis.call('HSET', KEYS[3], ARGV[3], cjson.encode(m))
return 1
