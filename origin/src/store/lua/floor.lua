-- The statuses a part may be moved to, each with the statuses it may come from (a live one
-- is 'held' or 'pending' and not expired). '' is a move: the status stays.
local FROM = {
  [''] = {held = true, pending = true, consumed = true, seated = true},
  seated = {consumed = true},
  finished = {seated = true},
  no_show = {consumed = true},
  cancelled = {held = true, pending = true, consumed = true},
}

-- reseat: KEYS m, c, h, s, x ; ARGV version, the record's takes as the caller read them, the
-- new takes, the new table label, the event kind, the status to move to ('' to keep it),
-- extra field/value pairs for the record — a step of a booking after its sale (a move, a
-- seating, a finish, a no-show, a cancellation), atomic with its counters: compare-and-set on
-- the record's takes, then per bucket the net change new - old is applied, and only buckets
-- that rise are checked against their limit (a seating never collides with itself). A paid
-- part's settled ledger moves with it. The buyer's shares go along unchanged, except on a
-- cancellation, which gives them back (a held part's '~h:' too; a paid part's '~h:' left the
-- counters when it was paid). A held part cancelled leaves the expiry index. Moving to the
-- status a part has already answers 'ok' (the step is idempotent by its target). Answers 'ok'
-- and the status it had; 'not_found'; 'not_active' and the status shown (a held part past
-- its expiry is 'expired'); 'changed' (the takes moved since they were read); 'version' and
-- the counters' version; 'taken', the bucket, its count and its limit.
local function reseat(keys, args)
  local c, h, to = keys[2], keys[3], args[6]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'takes', 'expires_at')
  local st = rec[1]
  if not st then return {'not_found'} end
  if to ~= '' and st == to then return {'ok', st} end
  local now = now_ms()
  local live = st == 'held' or st == 'pending'
  if live and tonumber(rec[3]) <= now then return {'not_active', 'expired'} end
  if not FROM[to][st] then return {'not_active', st} end
  if rec[2] ~= args[2] then return {'changed', st} end
  local v = redis.call('HGET', c, '~v')
  if v ~= args[1] then return {'version', v or ''} end
  local takes = args[3]
  if to ~= 'cancelled' then takes = takes .. private_lines(rec[2]) end
  local old, new, lims = {}, {}, {}
  gather(old, rec[2])
  gather(new, takes, lims)
  if not live then
    -- A paid part's '~h:' lines are in neither the counters nor the ledger.
    for k in pairs(old) do
      if string.sub(k, 1, 3) == '~h:' then old[k], new[k] = nil, nil end
    end
  end
  local names, delta = net_change(old, new)
  local cur = hmget(c, names)
  for i, k in ipairs(names) do
    local have = tonumber(cur[i]) or 0
    if delta[k] > 0 and have + delta[k] > lims[k] then return {'taken', k, tostring(have), tostring(lims[k])} end
  end
  local changes = apply_net(c, not live and keys[4] or nil, names, cur, delta, lims)
  local fields = {'takes', takes, 'table', args[4], 'version', args[1]}
  if to ~= '' then
    fields[#fields + 1] = 'status'
    fields[#fields + 1] = to
    fields[#fields + 1] = to .. '_at'
    fields[#fields + 1] = now
  end
  for k = 7, #args do fields[#fields + 1] = args[k] end
  redis.call('HSET', h, unpack(fields))
  local id = string.sub(h, #P + 3)
  if live and to == 'cancelled' then
    redis.call('ZREM', keys[5], id)
    offer_ended(P, redis.call('HGET', h, 'wl') or nil, 'cancelled')
  end
  emit(P, args[5], id, args[1], changes)
  return {'ok', st}
end

-- extend: KEYS x, h ; ARGV the new expiry (ms) — a held part expires later (the origin
-- bounds it by `hold_max_s`). Answers 'ok' and the expiry; 'not_found'; 'not_active' and the
-- status shown.
local function extend(keys, args)
  local h = keys[2]
  local rec = redis.call('HMGET', h, 'status', 'expires_at')
  local st = rec[1]
  if not st then return {'not_found'} end
  if st ~= 'held' and st ~= 'pending' then return {'not_active', st} end
  if tonumber(rec[2]) <= now_ms() then return {'not_active', 'expired'} end
  local at = tonumber(args[1])
  if at > tonumber(rec[2]) then
    redis.call('HSET', h, 'expires_at', at)
    redis.call('ZADD', keys[1], at, string.sub(h, #prefix_of(keys[1]) + 3))
    keep_until(h, at)
  end
  return {'ok', tostring(math.max(at, tonumber(rec[2])))}
end

-- bookings: KEYS bookings ; ARGV min, max (ZRANGE BYLEX bounds), limit, status ('' for any),
-- q ('' for any: else a lowercased piece of the guest's name, phone or email) —
-- one page of the bookings index with each item's record. Looks at most BOOKINGS_SCAN members
-- per call and skips those whose record is gone or voided, or whose status is not the one
-- asked (a live hold past its expiry counts as expired), or whose guest does not match q.
-- Answers now, the member to go on after ('' at the end), then per booking: member, status,
-- items, expires_at, created_at, consumed_at, caller, table, guest ('' without).
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
    local r = id and redis.call('HMGET', P .. 'h:' .. id, 'status', 'items', 'expires_at', 'created_at', 'consumed_at', 'caller', 'table', 'body', 'guest', 'guest_q')
    if r and r[1] and r[1] ~= 'void' then
      local st = r[1]
      if (st == 'held' or st == 'pending') and tonumber(r[3]) <= now then st = 'expired' end
      local q = args[5] or ''
      if (args[4] == '' or args[4] == st) and (q == '' or string.find(r[10] or '', q, 1, true)) then
        found = found + 1
        -- A one-resource hold keeps its items once, as its body.
        local rest = {m, st, r[2] or r[8], r[3], r[4], r[5] or '', r[6], r[7] or '', r[9] or ''}
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
  if is_paid(f[1]) then retain(keys[1], keys[2]) end
  return 'indexed'
end

-- guest: KEYS h ; ARGV the guest (JSON, '' to erase), its search text, 'if' and the erase
-- match ('' to set unconditionally: email, phone, buyer as lines) — sets or erases a part's
-- guest, never creating a record that is gone. Answers '1' when the part changed, else '0'.
local function guest(keys, args)
  local h = keys[1]
  local rec = redis.call('HMGET', h, 'status', 'guest_q', 'caller')
  if not rec[1] or rec[1] == 'void' then return {'0'} end
  if args[3] == 'if' then
    local email, phone, buyer = string.match(args[4], '^([^\n]*)\n([^\n]*)\n([^\n]*)$')
    local _n, p, e = string.match(rec[2] or '', '^([^\n]*)\n([^\n]*)\n([^\n]*)$')
    local hit = (email ~= '' and e == email) or (phone ~= '' and p == phone) or (buyer ~= '' and rec[3] == buyer)
    if not hit or not rec[2] then return {'0'} end
  end
  if args[1] == '' then
    redis.call('HDEL', h, 'guest', 'guest_q')
    redis.call('HSET', h, 'guest_erased', '1')
  else
    redis.call('HSET', h, 'guest', args[1], 'guest_q', args[2])
  end
  return {'1'}
end
