-- Dedup commit: only the claim's owner may mark the ID delivered (compare-and-set on the token,
-- as in the unlock script of Redis's distributed-lock docs).
-- KEYS[1] = dedup key; ARGV[1] = owner token (hex); ARGV[2] = dedup ttl in ms
-- Returns 1 committed, 0 stale (the key no longer holds this token).
if redis.call('GET', KEYS[1]) == 'f:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[2])
  return 1
end
return 0
