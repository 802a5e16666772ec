-- reserve: all or nothing.
-- KEYS[1] the reservation's hash; then per charge i: c, h, a keys at KEYS[3i-1], KEYS[3i], KEYS[3i+1].
-- ARGV[1] lease (ms), ARGV[2] reservation id, then per charge i at 2 + 4(i-1): key, amount, limit, expiry (ms).
-- Returns {1, lease end ms, then spent, reserved of each charge's counter as the reservation left it}
-- or {0, i, spent, reserved} for the first charge that does not fit.
local now = now_ms()
local lease_end = now + tonumber(ARGV[1])
local id = ARGV[2]
local n = (#KEYS - 1) / 3
local NO_LIMIT = '9223372036854775807'
for i = 1, n do
  local c, h, a = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
  local base = 2 + 4 * (i - 1)
  local amount, limit = ARGV[base + 2], ARGV[base + 3]
  purge(c, h, a, now)
  if limit ~= NO_LIMIT then
    local v = redis.call('HMGET', c, 'spent', 'reserved')
    local spent, reserved = v[1] or '0', v[2] or '0'
    if not fits(spent, reserved, amount, limit) then
      return {0, i, spent, reserved}
    end
  end
end
local held = false
local reply = {1, lease_end}
for i = 1, n do
  local c, h, a = KEYS[3 * i - 1], KEYS[3 * i], KEYS[3 * i + 1]
  local base = 2 + 4 * (i - 1)
  local key, amount = ARGV[base + 1], ARGV[base + 2]
  local expiry = math.max(tonumber(ARGV[base + 4]), lease_end)
  if amount ~= '0' then
    redis.call('HINCRBY', c, 'reserved', amount)
    redis.call('ZADD', h, lease_end, id)
    redis.call('HSET', a, id, amount)
    redis.call('HSET', KEYS[1], key, amount)
    held = true
  else
    redis.call('HSETNX', c, 'spent', '0')
  end
  extend(c, expiry, now)
  extend(h, expiry, now)
  extend(a, expiry, now)
  local v = redis.call('HMGET', c, 'spent', 'reserved')
  reply[2 * i + 1] = v[1] or '0'
  reply[2 * i + 2] = v[2] or '0'
end
if held then
  redis.call('PEXPIREAT', KEYS[1], lease_end)
end
return reply
