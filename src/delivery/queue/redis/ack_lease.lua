-- Acks a delivered message and leases the worker's next: remove.lua then lease.lua, run as the
-- functions `remove` and `lease` (scripts.rs wraps them), in one round trip instead of two.
-- KEYS: 1 stream, 2 due set, 3 meta hash, 4 byte counter, 5 dead-letter stream
-- ARGV: 1 group, 2 delivery ID delivered, 3 consumer, 4 most to lease
-- Returns {1 removed | 0 unknown, lease.lua's answer}
local removed = remove(KEYS, {ARGV[1], ARGV[2]})
return {removed, lease({KEYS[1], KEYS[2], KEYS[3]}, {ARGV[1], ARGV[3], ARGV[4]})}
