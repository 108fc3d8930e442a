-- The waiting list: parties waiting on a date of a resource, and the offers made to them in
-- the very call that frees the units, so that no fresh hold can take them first
-- (docs/waitlist.md). The origin plans each entry's candidate starts with the core, as it
-- plans a hold; these functions only keep the entries and decide, as a hold decides (take_in).
--
-- Keys (the resource's hash tag, P as in prelude.lua):
--   P..'w:'..id     hash  an entry: status (waiting | offered | accepted | lapsed | left),
--                         caller, date, hash (the join's payload), seq, ver (the version its
--                         candidates were planned against), req (the entry as asked, JSON),
--                         names (every counter its candidates read, each as '\n'..name..'\t'),
--                         n and per candidate i: 'a'..i the offer's hold arguments (as A,
--                         joined by \31), 'j'..i its date index key ('' for none), 'u'..i the
--                         last ms it may be offered ('' for no end); once offered: hold,
--                         offer_expires_at, offered_at; ended_at
--   P..'wq:'..date  zset  the entries waiting on a date, by arrival
--   P..'wa:'..date  zset  every entry of a date, by arrival (the seller's list)
--   P..'wb:'..date  hash  buyer -> its live (waiting or offered) entry on the date
--   P..'wd'         set   the dates with entries waiting
--   P..'wn'         string the arrival counter

-- The date of `days` since the Unix epoch, 'YYYY-MM-DD' (proleptic Gregorian).
local function civil(days)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02d', y, m, d)
end

-- The date a counter is about: the local date of d: and s:, the UTC date of c:, p:, t:.
local function bucket_date(name)
  return string.match(name, '^[dscp]:(%d%d%d%d%-%d%d%-%d%d)') or string.match(name, '^t:[^@]*@(%d%d%d%d%-%d%d%-%d%d)')
    or string.match(name, '^~u:(%d%d%d%d%-%d%d%-%d%d):')
end

-- The day number of 'YYYY-MM-DD' (civil's inverse).
local function day_number(s)
  local y, m, d = string.match(s, '^(%d+)-(%d+)-(%d+)$')
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end

local US = '\31'

local function split_args(s)
  local out = {}
  for part in string.gmatch(s .. US, '([^\31]*)\31') do out[#out + 1] = part end
  return out
end

-- Whether a candidate's arguments name any counter of `freed` (as a take or a table's).
local function mentions(raw, freed)
  for k in pairs(freed) do
    if string.find(raw, '\n' .. k .. '\t', 1, true) or string.find(raw, US .. k .. '\t', 1, true) then return true end
  end
  return false
end

-- Decides candidate `a` (its arguments, split) against the counters as they stand: the takes
-- taken, the table, the changes; nil when it does not fit (or the version moved).
local function fits(c, a)
  local parsed = {parse_takes(a[A.takes])}
  local names = {'~v'}
  names_of(names, {}, parsed[1], a[A.choices])
  local ver, cur = read_counters(c, names)
  local taken, label, changes = take_in(cur, ver, a[A.version], a[A.takes], parsed, a[A.choices], false)
  return taken, label, changes, ver
end

-- Makes the offer of candidate i of entry `ek` if it fits now: a held hold of the entry's
-- buyer with the offer's TTL, written as a hold is, on the stream as 'offered'. Answers
-- whether it was made and, when not, whether the unit counters refused it.
local function offer(P, ek, i, now, freed)
  local f = redis.call('HMGET', ek, 'a' .. i, 'j' .. i, 'u' .. i)
  if not f[1] then return false end
  local u = tonumber(f[3])
  if u and u < now then return false end
  if freed and not mentions(f[1], freed) then return false end
  local a = split_args(f[1])
  local c = P .. 'c'
  local taken, label, changes, ver = fits(c, a)
  -- label is the counter that did not fit: a unit's ('no_table' for tables) says the same of
  -- every candidate with these takes in this pass; a buyer's own ('~…') only of this one.
  if not taken then return false, label ~= 'version' and not private(label) end
  local set = {}
  for _, ch in ipairs(changes) do
    set[#set + 1] = ch[1]
    set[#set + 1] = ch[3]
  end
  hset_pairs(c, set)
  local id = a[A.id]
  local j = f[2] ~= '' and f[2] or nil
  local exp_at = write_record(P .. 'h:' .. id, j, a, now, taken, label, '')
  redis.call('ZADD', P .. 'x', exp_at, id)
  local bk, life, k = P .. 'b', now + tonumber(a[A.life]), 0
  for start in string.gmatch(a[A.starts], '[^,]+') do
    redis.call('ZADD', bk, 0, booking(tonumber(start) or now, id, k))
    k = k + 1
  end
  keep_until(bk, life)
  if j then
    redis.call('SADD', j, id)
    keep_until(j, life)
  end
  redis.call('HSET', ek, 'status', 'offered', 'hold', id, 'offer_expires_at', exp_at, 'offered_at', now)
  emit(P, 'offered', id, ver, changes)
  if not OFFER_AT or exp_at < OFFER_AT then OFFER_AT = exp_at end
  return true
end

-- Offers what is free on `date` to its waiting entries in arrival order: each gets its first
-- candidate that fits; an entry that fits nothing does not stop the ones behind it. With
-- `freed`, only candidates naming a counter that fell are looked at (no other can have come
-- to fit).
local function promote_date(P, date, now, freed)
  local q = P .. 'wq:' .. date
  local ids = redis.call('ZRANGE', q, 0, -1)
  local ver = redis.call('HGET', P .. 'c', '~v')
  -- Counters only rise during a pass (each offer takes): takes refused once are refused for
  -- the rest of it. Candidates with the same unit takes share a signature ('sigs', one per
  -- candidate, planned by the origin), so that parties waiting for the same start and size
  -- are decided once, not once each.
  local refused, refused_sets = {}, {}
  local gone = {}
  for _, eid in ipairs(ids) do
    local ek = P .. 'w:' .. eid
    local e = redis.call('HMGET', ek, 'status', 'ver', 'sigset')
    if e[1] ~= 'waiting' then
      gone[#gone + 1] = eid
    elseif e[2] == ver and not (e[3] and refused_sets[e[3]]) then
      -- An entry whose every start was refused by the units (or is not concerned) says the
      -- same of every entry waiting for the same starts ('sigset'): those are passed over.
      local f = redis.call('HMGET', ek, 'names', 'n', 'sigs')
      local made, same = false, true
      if not freed or mentions(f[1] or '', freed) then
        local sigs = {}
        for sig in string.gmatch(f[3] or '', '[^,]+') do sigs[#sigs + 1] = sig end
        for i = 1, tonumber(f[2]) or 0 do
          local sig = sigs[i]
          if not (sig and refused[sig]) then
            local by_units
            made, by_units = offer(P, ek, i, now, freed)
            if made then
              gone[#gone + 1] = eid
              break
            end
            if by_units and sig then refused[sig] = true end
            if by_units == false then same = false end
          end
        end
      end
      if not made and same and e[3] then refused_sets[e[3]] = true end
    end
  end
  each_part('ZREM', q, gone)
  if #gone == #ids then redis.call('SREM', P .. 'wd', date) end
end

-- After a call gave units back: the dates with entries near the dates of the counters that
-- fell (a table's or an occupancy counter is dated in UTC, an entry locally) are promoted.
promote_freed = function(P)
  if next(FREED) == nil then return end
  local freed = FREED
  FREED = {}
  local dates = redis.call('SMEMBERS', P .. 'wd')
  if #dates == 0 then return end
  local near, any = {}, false
  for k in pairs(freed) do
    local n = day_number(bucket_date(k) or '')
    if n then
      near[n - 1], near[n], near[n + 1] = true, true, true
    else
      any = true
    end
  end
  local now = now_ms()
  for _, d in ipairs(dates) do
    local n = day_number(d)
    if any or (n and near[n]) then promote_date(P, d, now, freed) end
  end
end

-- The position of a waiting entry (1 = next), or ''.
local function position(P, date, eid)
  local r = redis.call('ZRANK', P .. 'wq:' .. date, eid)
  return r and tostring(r + 1) or ''
end

-- The candidates of a call's arguments from `from` on: their signatures (',' joined), the
-- signature of them all, n, then per candidate a, j, u.
local function candidate_fields(args, from, rec)
  rec[#rec + 1] = 'sigs'
  rec[#rec + 1] = args[from]
  rec[#rec + 1] = 'sigset'
  rec[#rec + 1] = args[from + 1]
  from = from + 2
  local n = tonumber(args[from])
  rec[#rec + 1] = 'n'
  rec[#rec + 1] = n
  for i = 1, n do
    local at = from + 3 * (i - 1)
    for x, name in ipairs({'a', 'j', 'u'}) do
      rec[#rec + 1] = name .. i
      rec[#rec + 1] = args[at + x]
    end
  end
  return n
end

-- wait_join: KEYS m, c, entry, queue (wq), buyers (wb), all (wa) ; ARGV entry id, hash, caller,
-- date, max entries, life ms, req, version, names, sigs, sigset, n, then per candidate a, j, u — a party
-- joins the list of a date, once per key: 'ok' position | 'replay' status position hold
-- offer_expires_at | 'reused' | 'version' | 'duplicate' live id | 'full' | 'available' i
-- (candidate i fits now: hold it instead); then the ids expired.
local function wait_join(keys, args)
  local P = prefix_of(keys[1])
  local ek, q, wb, wa = keys[3], keys[4], keys[5], keys[6]
  local eid, date = args[1], args[4]
  local seen = redis.call('HMGET', ek, 'hash', 'status', 'hold', 'offer_expires_at')
  if seen[1] then
    if seen[1] ~= args[2] then return done({'reused'}) end
    return done({'replay', seen[2], position(P, date, eid), seen[3] or '', seen[4] or ''})
  end
  local now = now_ms()
  local _n, expired = reclaim(P, now, 64)
  promote_freed(P)
  if redis.call('HGET', keys[2], '~v') ~= args[8] then return done({'version'}, expired) end
  local live = redis.call('HGET', wb, args[3])
  if live then
    local st = redis.call('HGET', P .. 'w:' .. live, 'status')
    if st == 'waiting' or st == 'offered' then return done({'duplicate', live}, expired) end
  end
  local max = tonumber(args[5])
  -- Entries that ended stay listed for the seller: four times the waiting bound at most.
  if redis.call('ZCARD', q) >= max or redis.call('ZCARD', wa) >= 4 * max then return done({'full'}, expired) end
  local n = tonumber(args[12])
  for i = 1, n do
    local at = 12 + 3 * (i - 1)
    local u = tonumber(args[at + 3])
    if (not u or u >= now) and fits(keys[2], split_args(args[at + 1])) then return done({'available', tostring(i)}, expired) end
  end
  local seq = redis.call('INCR', P .. 'wn')
  local rec = {'status', 'waiting', 'caller', args[3], 'date', date, 'hash', args[2], 'seq', seq, 'ver', args[8], 'names', args[9],
               'req', args[7], 'created_at', now}
  candidate_fields(args, 10, rec)
  hset_pairs(ek, rec)
  local life = now + tonumber(args[6])
  redis.call('PEXPIREAT', ek, life)
  redis.call('ZADD', q, seq, eid)
  redis.call('ZADD', wa, seq, eid)
  redis.call('HSET', wb, args[3], eid)
  redis.call('SADD', P .. 'wd', date)
  for _, k in ipairs({q, wa, wb}) do keep_until(k, life) end
  return done({'ok', position(P, date, eid)}, expired)
end

-- wait_leave: KEYS m, c, entry — a party leaves: a waiting entry is 'left'; an offered one
-- declines its offer (the hold released, its units to the next party). Answers 'ok' and the
-- status after, or 'not_found'.
local function wait_leave(keys, args)
  local P = prefix_of(keys[1])
  local ek = keys[3]
  local eid = string.sub(ek, #P + 3)
  local e = redis.call('HMGET', ek, 'status', 'date', 'caller', 'hold')
  if not e[1] then return {'not_found'} end
  local now = now_ms()
  if e[1] == 'offered' then
    if end_live(P, e[4], now, 'released') then redis.call('ZREM', P .. 'x', e[4]) end
    -- An offer past its expiry and not yet reclaimed: the reclaim gives its units back.
    reclaim(P, now, 64)
  elseif e[1] == 'waiting' then
    redis.call('HSET', ek, 'status', 'left', 'ended_at', now)
    redis.call('ZREM', P .. 'wq:' .. e[2], eid)
    local wb = P .. 'wb:' .. e[2]
    if redis.call('HGET', wb, e[3]) == eid then redis.call('HDEL', wb, e[3]) end
  end
  return {'ok', redis.call('HGET', ek, 'status')}
end

-- wait_replan: KEYS m, c, entry ; ARGV version, names, sigs, sigset, n, then per candidate a, j, u — a
-- waiting entry's candidates planned again on a new document, then its date promoted in
-- full (a raised capacity reaches the list). 'ok' | 'version' | 'not_waiting' status.
local function wait_replan(keys, args)
  local P = prefix_of(keys[1])
  local ek = keys[3]
  local e = redis.call('HMGET', ek, 'status', 'date', 'n')
  if e[1] ~= 'waiting' then return {'not_waiting', e[1] or ''} end
  if redis.call('HGET', keys[2], '~v') ~= args[1] then return {'version'} end
  local rec = {'ver', args[1], 'names', args[2]}
  local n = candidate_fields(args, 3, rec)
  local stale = {}
  for i = n + 1, tonumber(e[3]) or 0 do
    for _, name in ipairs({'a', 'j', 'u'}) do stale[#stale + 1] = name .. i end
  end
  each_part('HDEL', ek, stale)
  hset_pairs(ek, rec)
  promote_date(P, e[2], now_ms(), nil)
  return {'ok'}
end
