-- read counters without their expired holds: per counter i, c, h, a keys at KEYS[3i-2], KEYS[3i-1], KEYS[3i].
-- Returns per counter: spent, reserved, expiry (ms; -1 when the counter does not exist).
local now = now_ms()
local out = {}
for i = 1, #KEYS / 3 do
  local c, h, a = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  purge(c, h, a, now)
  local v = redis.call('HMGET', c, 'spent', 'reserved')
  local ttl = redis.call('PTTL', c)
  out[#out + 1] = v[1] or '0'
  out[#out + 1] = v[2] or '0'
  if ttl == -2 then
    out[#out + 1] = '-1'
  elseif ttl == -1 then
    out[#out + 1] = '9223372036854775807'
  else
    out[#out + 1] = string.format('%d', now + ttl)
  end
end
return out
