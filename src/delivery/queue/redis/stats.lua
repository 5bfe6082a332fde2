-- One route's counts: {entries in the stream, leased (PEL), dead letters, bytes held,
-- creation ms of the oldest entry or -1}.
-- KEYS: 1 stream, 2 dead-letter stream, 3 byte counter
-- ARGV: 1 group
local len = redis.call('XLEN', KEYS[1])
local leased = 0
local oldest = -1
if len > 0 then
  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1])
  if type(p) == 'table' and p[1] then leased = p[1] end
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
  local fields = first[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'c' then oldest = tonumber(fields[i + 1]) end
  end
end
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
return {len, leased, redis.call('XLEN', KEYS[2]), bytes, oldest}
