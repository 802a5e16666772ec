-- Shared by every script of the Redis accounting store (prepended to each).
-- A counter KEY lives in three keys, all with the same expiry:
--   <prefix>c:KEY  hash   spent, reserved
--   <prefix>h:KEY  zset   reservation id -> lease end (ms, Redis server time)
--   <prefix>a:KEY  hash   reservation id -> amount held
-- and a reservation ID in <prefix>r:ID, a hash KEY -> amount, expiring at its lease end.
-- Amounts are decimal strings: Lua numbers are doubles, so arithmetic on them stays in Redis (HINCRBY),
-- and limits are compared on 9-digit halves, exactly.

-- every script reads TIME before writing: Redis before 7 needs effects replication switched on for that
if redis.replicate_commands then
  redis.replicate_commands()
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function split(s)
  local n = #s
  if n <= 9 then
    return 0, tonumber(s)
  end
  return tonumber(string.sub(s, 1, n - 9)), tonumber(string.sub(s, n - 8))
end

-- whether a + b + c <= limit, for non-negative integers written in decimal
local function fits(a, b, c, limit)
  local ah, al = split(a)
  local bh, bl = split(b)
  local ch, cl = split(c)
  local lh, ll = split(limit)
  local l = al + bl + cl
  local h = ah + bh + ch + math.floor(l / 1e9)
  l = l % 1e9
  return h < lh or (h == lh and l <= ll)
end

-- releases the holds of COUNTER whose leases ended
local function purge(c, h, a, now)
  local ids = redis.call('ZRANGEBYSCORE', h, '-inf', now)
  if #ids == 0 then
    return
  end
  for i = 1, #ids do
    local amount = redis.call('HGET', a, ids[i])
    if amount then
      redis.call('HDEL', a, ids[i])
      redis.call('HINCRBY', c, 'reserved', '-' .. amount)
    end
  end
  redis.call('ZREMRANGEBYSCORE', h, '-inf', now)
end

-- releases what reservation ID holds on one counter, once
local function unhold(c, h, a, id)
  local amount = redis.call('HGET', a, id)
  if amount then
    redis.call('HDEL', a, id)
    redis.call('ZREM', h, id)
    redis.call('HINCRBY', c, 'reserved', '-' .. amount)
  end
end

-- moves the expiry of an existing key later, never earlier
local function extend(k, at, now)
  local ttl = redis.call('PTTL', k)
  if ttl == -2 then
    return
  end
  if ttl == -1 or now + ttl < at then
    redis.call('PEXPIREAT', k, at)
  end
end

-- releases every hold of reservation ID (KEYS[1] is its hash) and deletes it
local function release_reservation(prefix, id, rk)
  local held = redis.call('HGETALL', rk)
  for j = 1, #held, 2 do
    local key = held[j]
    unhold(prefix .. 'c:' .. key, prefix .. 'h:' .. key, prefix .. 'a:' .. key, id)
  end
  redis.call('DEL', rk)
end
