-- Removes a message whatever its state (ack after delivery, or drop): entry, PEL entry, due
-- member, dead letter, meta record; its bytes are released.
-- KEYS: 1 stream, 2 due set, 3 meta hash, 4 byte counter, 5 dead-letter stream
-- ARGV: 1 group, 2 delivery ID
-- Returns 1 when removed, 0 when unknown.
local raw = redis.call('HGET', KEYS[3], ARGV[2])
if not raw then
  return 0
end
local m = cjson.decode(raw)
if m.dead then
  redis.call('XDEL', KEYS[5], m.dsid)
else
  -- pcall: a lost group must not make the message undeletable.
  redis.pcall('XACK', KEYS[1], ARGV[1], m.sid)
  redis.call('XDEL', KEYS[1], m.sid)
  redis.call('ZREM', KEYS[2], m.sid)
end
redis.call('HDEL', KEYS[3], ARGV[2])
if redis.call('DECRBY', KEYS[4], m.size) <= 0 then
  redis.call('DEL', KEYS[4])
end
return 1
