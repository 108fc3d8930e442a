-- reseat: KEYS m, c, h, s ; ARGV version, the record's takes as the caller read them, the new
-- takes, the new table label, the event kind ('moved' | 'finished'), extra field/value pairs
-- for the record — swaps a live part's takes atomically (compare-and-set on its takes): per
-- bucket the net change new - old is applied, and only buckets that rise are checked against
-- their limit (a seating never collides with itself). A consumed part's settled ledger moves
-- with it. Answers 'ok' and the status; 'not_found'; 'not_active' and the status shown (a held
-- part past its expiry is 'expired'); 'changed' (the takes moved since they were read);
-- 'version' and the counters' version; 'taken', the bucket, its count and its limit.
local function reseat(keys, args)
  local c, h = keys[2], keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'takes', 'expires_at')
  local st = rec[1]
  if not st then return {'not_found'} end
  local now = now_ms()
  if st == 'held' or st == 'pending' then
    if tonumber(rec[3]) <= now then return {'not_active', 'expired'} end
  elseif st ~= 'consumed' then
    return {'not_active', st}
  end
  if rec[2] ~= args[2] then return {'changed', st} end
  local v = redis.call('HGET', c, '~v')
  if v ~= args[1] then return {'version', v or ''} end
  -- The buyer's shares are not the host's to move: they go along unchanged.
  local takes = args[3] .. private_lines(rec[2])
  local old, new, lims = {}, {}, {}
  gather(old, rec[2])
  gather(new, takes, lims)
  local names, delta = {}, {}
  for k, q in pairs(new) do
    if q ~= (old[k] or 0) then names[#names + 1] = k; delta[k] = q - (old[k] or 0) end
  end
  for k, q in pairs(old) do
    if new[k] == nil then names[#names + 1] = k; delta[k] = -q end
  end
  table.sort(names)
  local cur = hmget(c, names)
  for i, k in ipairs(names) do
    local have = tonumber(cur[i]) or 0
    if delta[k] > 0 and have + delta[k] > lims[k] then return {'taken', k, tostring(have), tostring(lims[k])} end
  end
  local set, changes = {}, {}
  for i, k in ipairs(names) do
    local val = (tonumber(cur[i]) or 0) + delta[k]
    if val < 0 then val = 0 end
    set[#set + 1] = k
    set[#set + 1] = val
    changes[i] = {k, delta[k], val, lims[k]}
    if st == 'consumed' then redis.call('HINCRBY', keys[4], k, delta[k]) end
  end
  hset_pairs(c, set)
  local fields = {'takes', takes, 'table', args[4], 'version', args[1]}
  for k = 6, #args do fields[#fields + 1] = args[k] end
  redis.call('HSET', h, unpack(fields))
  emit(P, args[5], string.sub(h, #P + 3), args[1], changes)
  return {'ok', st}
end

-- bookings: KEYS bookings ; ARGV min, max (ZRANGE BYLEX bounds), limit, status ('' for any) —
-- one page of the bookings index with each item's record. Looks at most BOOKINGS_SCAN members
-- per call and skips those whose record is gone or voided, or whose status is not the one
-- asked (a live hold past its expiry counts as expired). Answers now, the member to go on
-- after ('' at the end), then per booking: member, status, items, expires_at, created_at,
-- consumed_at, caller, table.
local BOOKINGS_SCAN = 1000
local function bookings(keys, args)
  local P = prefix_of(keys[1])
  local now = now_ms()
  local limit = tonumber(args[3])
  local members = redis.call('ZRANGE', keys[1], args[1], args[2], 'BYLEX', 'LIMIT', 0, BOOKINGS_SCAN)
  local out = {tostring(now), ''}
  local found = 0
  for k, m in ipairs(members) do
    local id = string.match(m, '^%d+|([^|]+)|%d+$')
    local r = id and redis.call('HMGET', P .. 'h:' .. id, 'status', 'items', 'expires_at', 'created_at', 'consumed_at', 'caller', 'table', 'body')
    if r and r[1] and r[1] ~= 'void' then
      local st = r[1]
      if (st == 'held' or st == 'pending') and tonumber(r[3]) <= now then st = 'expired' end
      if args[4] == '' or args[4] == st then
        found = found + 1
        -- A one-resource hold keeps its items once, as its body.
        local rest = {m, st, r[2] or r[8], r[3], r[4], r[5] or '', r[6], r[7] or ''}
        for _, v in ipairs(rest) do out[#out + 1] = v end
        if found >= limit then
          if k < #members or #members == BOOKINGS_SCAN then out[2] = m end
          return out
        end
      end
    end
  end
  if #members == BOOKINGS_SCAN then out[2] = members[#members] end
  return out
end

-- index: KEYS h, bookings ; ARGV retain_until_ms ('' for undated), retention_ms, item starts
-- (as hold's) — brings a record made before the bookings index up to date, once: its
-- 'keep_until', its index members, and (consumed) its longer life.
local function index(keys, args)
  local f = redis.call('HMGET', keys[1], 'status', 'keep_until', 'created_at')
  if not f[1] then return 'gone' end
  if f[2] then return 'done' end
  local created = tonumber(f[3]) or now_ms()
  local keep = (tonumber(args[1]) or created) + tonumber(args[2])
  redis.call('HSET', keys[1], 'keep_until', keep)
  local P = prefix_of(keys[2])
  local id = string.sub(keys[1], #P + 3)
  local i = 0
  for start in string.gmatch(args[3], '[^,]+') do
    redis.call('ZADD', keys[2], 0, booking(tonumber(start) or created, id, i))
    i = i + 1
  end
  local life = redis.call('PEXPIRETIME', keys[1])
  if life > 0 then keep_until(keys[2], life) end
  if f[1] == 'consumed' then retain(keys[1], keys[2]) end
  return 'indexed'
end
