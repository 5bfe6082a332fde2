-- Dedup release: only the claim's owner may free the ID, so a late release of an expired claim
-- never frees the claim another replica took over.
-- KEYS[1] = dedup key; ARGV[1] = owner token (hex)
-- Returns 1 released, 0 stale.
if redis.call('GET', KEYS[1]) == 'f:' .. ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
