-- Consumer clean-up: every process leases under a consumer name of its own, new at each start,
-- so the group would keep one consumer per replica that ever ran. Deletes the consumers that own
-- no pending entry and have been idle (no read, claim or lease refresh) for longer than the bound.
-- Atomic, so a consumer is never deleted with leases (XGROUP DELCONSUMER drops its PEL entries,
-- which would strand those messages); a live replica deleted while idle is recreated by its next
-- read. Never this process's own consumer.
-- KEYS: 1 stream
-- ARGV: 1 group, 2 own consumer, 3 idle bound ms
-- Returns how many consumers were deleted.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if type(consumers) ~= 'table' or consumers.err then
  return 0
end
local bound = tonumber(ARGV[3])
local deleted = 0
for _, c in ipairs(consumers) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f.name ~= ARGV[2] and tonumber(f.pending) == 0 and tonumber(f.idle) > bound then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f.name)
    deleted = deleted + 1
  end
end
return deleted
