-- Appends one message (the acknowledgement point). Atomic: budget check, group creation,
-- XADD of the stream entry, its meta record and the byte counter.
-- KEYS: 1 stream, 2 meta hash, 3 byte counter
-- ARGV: 1 group, 2 delivery ID (32 hex), 3 head record, 4 body, 5 event ID ('' = none),
--       6 charged bytes, 7 bytes this route may hold (max_bytes minus the other routes)
-- Returns {1, stream ID, created ms} | {0, bytes held} (full) | {2} (delivery ID taken)
local size = tonumber(ARGV[6])
local held = tonumber(redis.call('GET', KEYS[3]) or '0')
if held + size > tonumber(ARGV[7]) then
  return {0, held}
end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then
  return {2}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local sid = redis.call('XADD', KEYS[1], '*', 'i', ARGV[2], 'h', ARGV[3], 'b', ARGV[4],
  'e', ARGV[5], 'c', now, 'n', size)
redis.call('HSET', KEYS[2], ARGV[2],
  cjson.encode({sid = sid, size = size, att = 0, c = now, due = now, ev = ARGV[5]}))
redis.call('INCRBY', KEYS[3], size)
return {1, sid, now}
