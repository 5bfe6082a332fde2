-- Takeover: leases idle for lease_timeout (their holder stopped refreshing them: it died) leave
-- the PEL and are due now, for whichever replica leases next. The cut-off attempt counts as an
-- attempt (its outcome is unknown, but it may have been sent): a message whose worker dies on it
-- every time (a poison message that crashes the process, an upstream that hangs the attempt
-- past a kill) reaches the route's max_attempts and is dead-lettered by the next worker that
-- leases it, before any further attempt. Every replica runs this; each lease is reclaimed once.
-- KEYS: 1 stream, 2 due set, 3 meta hash
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

-- One more attempt on the meta record of stream entry `sid` (if the entry is still there).
local function count_attempt(sid)
  local e = redis.call('XRANGE', KEYS[1], sid, sid)
  if #e == 0 then
    return
  end
  local fields = e[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'i' then
      local raw = redis.call('HGET', KEYS[3], fields[i + 1])
      if raw then
        local m = cjson.decode(raw)
        m.att = m.att + 1
        m.err = 'lease expired: the worker stopped mid-attempt (taken over)'
        m.due = now
        redis.call('HSET', KEYS[3], fields[i + 1], cjson.encode(m))
      end
      return
    end
  end
end

for _, e in ipairs(p) do
  count_attempt(e[1])
  redis.call('XACK', KEYS[1], ARGV[1], e[1])
  redis.call('ZADD', KEYS[2], now, e[1])
end
return #p
