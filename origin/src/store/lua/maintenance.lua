-- sweep: KEYS m ; reclaims expired holds of an idle resource, returns the next expiry.
local function sweep(keys, args)
  local P = prefix_of(keys[1])
  local n, expired = reclaim(P, now_ms(), 1000)
  redis.call('XTRIM', P .. 'e', 'MAXLEN', '~', EVENTS_MAXLEN)
  return done({tostring(n), next_expiry(P)}, expired)
end

-- compact: KEYS m, c, s, bookings, events, state ; ARGV clock offset ms (tests), retention
-- days, budget — one bounded step of dropping what is older than the retention: dates
-- before T = today (UTC) - retention - 2 days, so that no date in any timezone whose end +
-- the retention is still to come is touched. Each call does one phase's step, in turn:
--   c  counters (HSCAN of about `budget` fields): a dated field before T is dropped from the
--      counters and the settled ledger together, and only where both agree (no live hold
--      holds units on it: the drift check's sum stays true);
--   b  bookings index members starting before T (at most `budget`);
--   j  host-view date sets of dates before T (at most 100 dates a call, from where the last
--      call stopped);
--   e  event stream entries before T (XTRIM MINID ~, at most `budget`).
-- Answers 'more' or 'done' (a round is over), and how many fields or entries it dropped.
local function compact(keys, args)
  local P = prefix_of(keys[1])
  if not redis.call('HGET', keys[1], 'version') then return {'done', '0'} end
  local now = now_ms() + tonumber(args[1])
  local budget = tonumber(args[3])
  local t = math.floor(now / 86400000) - tonumber(args[2]) - 2
  local cutoff = civil(t)
  local st = redis.call('HMGET', keys[6], 'phase', 'cursor', 'jlow')
  local phase = st[1] or 'c'
  local dropped = 0
  if phase == 'c' then
    local r = redis.call('HSCAN', keys[2], st[2] or '0', 'COUNT', budget)
    local old = {}
    for i = 1, #r[2], 2 do
      local d = bucket_date(r[2][i])
      if d and d < cutoff then old[#old + 1] = r[2][i] end
    end
    if #old > 0 then
      local cv, sv = hmget(keys[2], old), hmget(keys[3], old)
      local drop = {}
      for i, name in ipairs(old) do
        if (tonumber(cv[i]) or 0) == (tonumber(sv[i]) or 0) then drop[#drop + 1] = name end
      end
      each_part('HDEL', keys[2], drop)
      each_part('HDEL', keys[3], drop)
      dropped = #drop
    end
    if r[1] == '0' then
      redis.call('HSET', keys[6], 'phase', 'b', 'cursor', '0')
    else
      redis.call('HSET', keys[6], 'cursor', r[1])
    end
  elseif phase == 'b' then
    local old = redis.call('ZRANGE', keys[4], '-', '(' .. string.format('%015d', t * 86400000), 'BYLEX', 'LIMIT', 0, budget)
    each_part('ZREM', keys[4], old)
    dropped = #old
    if #old < budget then redis.call('HSET', keys[6], 'phase', 'j') end
  elseif phase == 'j' then
    local low = tonumber(st[3]) or (t - 400)
    local high = math.min(t, low + 100)
    for d = low, high - 1 do dropped = dropped + redis.call('DEL', P .. 'j:' .. civil(d)) end
    redis.call('HSET', keys[6], 'jlow', high)
    if high >= t then redis.call('HSET', keys[6], 'phase', 'e') end
  else
    dropped = redis.call('XTRIM', keys[5], 'MINID', '~', tostring(t * 86400000), 'LIMIT', budget)
    redis.call('HSET', keys[6], 'phase', 'c', 'cursor', '0', 'round_at', now)
    return {'done', tostring(dropped)}
  end
  return {'more', tostring(dropped)}
end

-- due_claim: KEYS due ; ARGV lease_ms, limit — leases the resources whose next expiry passed,
-- so that several origins do not sweep the same resource at once.
-- Also answers Redis's now and the oldest due time (the sweeper's lag is their difference).
local function due_claim(keys, args)
  local now = now_ms()
  local oldest = redis.call('ZRANGE', keys[1], 0, 0, 'WITHSCORES')[2] or ''
  local ids = redis.call('ZRANGEBYSCORE', keys[1], '-inf', now, 'LIMIT', 0, tonumber(args[2]))
  local lease = now + tonumber(args[1])
  local out = {tostring(lease), tostring(now), oldest}
  for _, id in ipairs(ids) do
    redis.call('ZADD', keys[1], lease, id)
    out[#out + 1] = id
  end
  return out
end

-- due_done: KEYS due ; ARGV resource id, lease — drops the lease unless a hold moved it.
local function due_done(keys, args)
  local s = redis.call('ZSCORE', keys[1], args[1])
  if s and tonumber(s) == tonumber(args[2]) then redis.call('ZREM', keys[1], args[1]) end
  return 1
end

-- check: KEYS m, c, x, s ; ARGV repair ('1' | '0') — recomputes every counter as settled +
-- the takes of the live holds, after reclaiming every expired one. Answers JSON: drift
-- [[bucket, counter, expected]], stale expiry entries, the counters as they stand after it.
-- With repair, the counters are set to what they should be and stale entries dropped.
local function check(keys, args)
  local P = prefix_of(keys[1])
  if not redis.call('HGET', keys[1], 'version') then return done({'not_found'}) end
  local now = now_ms()
  local expired = {}
  while true do
    local n, ids = reclaim(P, now, 1000)
    for _, id in ipairs(ids) do expired[#expired + 1] = id end
    if n < 1000 then break end
  end
  local expected = {}
  local settled = redis.call('HGETALL', keys[4])
  for i = 1, #settled, 2 do expected[settled[i]] = tonumber(settled[i + 1]) or 0 end
  local stale = {}
  for _, id in ipairs(redis.call('ZRANGE', keys[3], 0, -1)) do
    local rec = redis.call('HMGET', P .. 'h:' .. id, 'status', 'takes')
    if rec[1] == 'held' or rec[1] == 'pending' then
      gather(expected, rec[2])
    else
      stale[#stale + 1] = id
    end
  end
  for k in pairs(expected) do
    if private(k) then expected[k] = nil end
  end
  local counters = {}
  local cur = redis.call('HGETALL', keys[2])
  for i = 1, #cur, 2 do
    if not private(cur[i]) then counters[cur[i]] = tonumber(cur[i + 1]) or 0 end
  end
  local drift = {}
  local names = {}
  for k in pairs(counters) do names[#names + 1] = k end
  for k in pairs(expected) do if counters[k] == nil then names[#names + 1] = k end end
  table.sort(names)
  for _, k in ipairs(names) do
    local have, want = counters[k] or 0, expected[k] or 0
    if have ~= want then drift[#drift + 1] = {k, have, want} end
  end
  if args[1] == '1' and (#drift > 0 or #stale > 0) then
    local changes = {}
    for i, d in ipairs(drift) do
      if d[3] == 0 then redis.call('HDEL', keys[2], d[1]) else redis.call('HSET', keys[2], d[1], d[3]) end
      counters[d[1]] = d[3]
      changes[i] = {d[1], d[3] - d[2], d[3]}
    end
    each_part('ZREM', keys[3], stale)
    emit(P, 'repaired', '', redis.call('HGET', keys[1], 'version'), changes)
  end
  local flat = {}
  for k, v in pairs(counters) do if v ~= 0 then flat[k] = v end end
  local report = {drift = drift, stale = stale, counters = flat, at = now}
  if #drift == 0 then report.drift = nil end
  if #stale == 0 then report.stale = nil end
  redis.call('XTRIM', P .. 'e', 'MAXLEN', '~', EVENTS_MAXLEN)
  if next(flat) == nil then report.counters = nil end
  return done({'ok', cjson.encode(report)}, expired)
end
