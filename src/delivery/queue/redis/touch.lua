-- Heartbeat: refreshes this consumer's leases (resets their idle time) and reports those it no
-- longer holds (taken over after lease_timeout, or removed).
-- KEYS: 1 stream
-- ARGV: 1 group, 2 consumer, 3.. stream IDs
-- Returns the stream IDs no longer held.
local lost = {}
for i = 3, #ARGV do
  local p = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if type(p) == 'table' and #p > 0 and p[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    lost[#lost + 1] = ARGV[i]
  end
end
return lost
