-- settle: the actual spend first, then the reservation's release.
-- KEYS[1] the reservation's hash; then per actual charge i: c, h, a keys at KEYS[3i-1], KEYS[3i], KEYS[3i+1].
-- ARGV[1] key prefix, ARGV[2] reservation id, then per charge i at 2 + 3(i-1): key, amount, expiry (ms).
-- The reservation's own counters are read from its hash: the store needs one Redis node (see the docs).
local now = now_ms()
local prefix, id = ARGV[1], ARGV[2]
local n = (#KEYS - 1) / 3
for i = 1, n do
  local c, h, a = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
  local base = 2 + 3 * (i - 1)
  purge(c, h, a, now)
  redis.call('HINCRBY', c, 'spent', ARGV[base + 2])
  extend(c, tonumber(ARGV[base + 3]), now)
end
release_reservation(prefix, id, KEYS[1])
return 1
