-- Makes a waiting or dead message due now with its attempts reset. A dead letter goes back to
-- the stream as a new entry (read as unread by any replica). A leased message is left alone.
-- KEYS: 1 stream, 2 due set, 3 meta hash, 4 dead-letter stream
-- ARGV: 1 group, 2 delivery ID
-- Returns 1 when replayed, 0 when unknown or leased.
local raw = redis.call('HGET', KEYS[3], ARGV[2])
if not raw then
  return 0
end
local m = cjson.decode(raw)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if m.dead then
  local e = redis.call('XRANGE', KEYS[4], m.dsid, m.dsid)
  if #e == 0 then
    return 0
  end
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
  end
  m.sid = redis.call('XADD', KEYS[1], '*', unpack(e[1][2]))
  redis.call('XDEL', KEYS[4], m.dsid)
  m.dead = nil
  m.dsid = nil
else
  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], m.sid, m.sid, 1)
  if type(p) == 'table' and #p > 0 then
    return 0
  end
  if redis.call('ZSCORE', KEYS[2], m.sid) then
    redis.call('ZADD', KEYS[2], now, m.sid)
  end
end
m.att = 0
m.err = nil
m.due = now
redis.call('HSET', KEYS[3], ARGV[2], cjson.encode(m))
return 1
