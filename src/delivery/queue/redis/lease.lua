-- Leases up to ARGV[3] due messages to this consumer: retries whose time has come first
-- (XCLAIM ... FORCE puts them back in the PEL), then unread entries (XREADGROUP, never BLOCK).
-- KEYS: 1 stream, 2 due set, 3 meta hash
-- ARGV: 1 group, 2 consumer, 3 most to lease
-- Returns {{stream ID, {field, value, ...}, meta JSON}, ...}
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
local g, c, max = ARGV[1], ARGV[2], tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}

local function add(entry)
  local fields = entry[2]
  local id, size, created, event
  for i = 1, #fields, 2 do
    local k = fields[i]
    if k == 'i' then id = fields[i + 1]
    elseif k == 'n' then size = tonumber(fields[i + 1])
    elseif k == 'c' then created = tonumber(fields[i + 1])
    elseif k == 'e' then event = fields[i + 1] end
  end
  local meta = redis.call('HGET', KEYS[3], id)
  if not meta then
    -- Heal an entry whose meta record was lost (a partial delete): rebuild it from the entry.
    meta = cjson.encode({sid = entry[1], size = size, att = 0, c = created, due = now, ev = event})
    redis.call('HSET', KEYS[3], id, meta)
  end
  out[#out + 1] = {entry[1], fields, meta}
end

local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, max)
if #due > 0 then
  local args = {'XCLAIM', KEYS[1], g, c, 0}
  for _, sid in ipairs(due) do args[#args + 1] = sid end
  args[#args + 1] = 'FORCE'
  local claimed = redis.call(unpack(args))
  redis.call('ZREM', KEYS[2], unpack(due))
  for _, entry in ipairs(claimed) do
    if type(entry) == 'table' and entry[2] then add(entry) end
  end
end
local want = max - #out
if want > 0 then
  local r = redis.call('XREADGROUP', 'GROUP', g, c, 'COUNT', want, 'STREAMS', KEYS[1], '>')
  if r then
    for _, entry in ipairs(r[1][2]) do add(entry) end
  end
end
return out
