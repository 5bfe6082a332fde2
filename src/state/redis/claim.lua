-- Dedup claim: one atomic step on one key (works on Redis Cluster), expiry on Redis's clock.
-- KEYS[1] = {prefix}:{route}:d:{event key: 8 raw bytes}
-- ARGV[1] = owner token (hex), ARGV[2] = in-flight limit in ms
-- Delivered IDs hold the integer 1 (Redis's shared object: no allocation per value).
-- Returns {0, 0} claimed, {1, 0} duplicate (delivered), {2, ms left} in flight elsewhere.
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'f:' .. ARGV[1], 'PX', ARGV[2])
  return {0, 0}
end
if v == '1' then
  return {1, 0}
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  -- A claim without expiry (written by hand or by a broken tool) would block the ID forever:
  -- bound it by the in-flight limit like every claim.
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {2, left}
