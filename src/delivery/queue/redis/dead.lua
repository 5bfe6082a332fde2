-- The lease holder gives up: the entry moves, body and all, to the dead-letter stream (its bytes
-- stay charged until it is replayed or dropped). Anyone else's call changes nothing.
-- KEYS: 1 stream, 2 due set, 3 meta hash, 4 dead-letter stream
-- ARGV: 1 group, 2 consumer, 3 delivery ID, 4 reason, 5 attempts to add (0 or 1)
-- Returns 1 when dead-lettered, 0 when stale.
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
local e = redis.call('XRANGE', KEYS[1], m.sid, m.sid)
if #e == 0 then
  return 0
end
local dsid = redis.call('XADD', KEYS[4], '*', unpack(e[1][2]))
redis.call('XACK', KEYS[1], ARGV[1], m.sid)
redis.call('XDEL', KEYS[1], m.sid)
redis.call('ZREM', KEYS[2], m.sid)
m.dead = true
m.dsid = dsid
m.att = m.att + tonumber(ARGV[5])
m.err = ARGV[4]
redis.call('HSET', KEYS[3], ARGV[3], cjson.encode(m))
return 1
