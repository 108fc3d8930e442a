#!lua name=reference
-- The least a correct hold does in Redis, the yardstick of BENCHMARKS.md's per-hold cost: the
-- clock, a replay check, the counter checked and taken, a record with its lifetime, an expiry
-- entry. KEYS counters, expiry, record ; ARGV hold id, qty, limit, ttl ms.
redis.register_function('reference_hold', function(keys, args)
  if redis.call('EXISTS', keys[3]) == 1 then return 'replay' end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local q, ttl = tonumber(args[2]), tonumber(args[4])
  local have = tonumber(redis.call('HGET', keys[1], 'stock')) or 0
  if have + q > tonumber(args[3]) then return 'sold_out' end
  redis.call('HINCRBY', keys[1], 'stock', q)
  redis.call('HSET', keys[3], 'status', 'held', 'qty', q, 'expires_at', now + ttl, 'created_at', now)
  redis.call('PEXPIRE', keys[3], ttl * 10)
  redis.call('ZADD', keys[2], now + ttl, args[1])
  return 'ok'
end)
