#!lua name=aforo_v1
-- Aforo's Redis library: every atomic step of the origin, and no rule of its own.
-- The core plans (which buckets, what limits); these functions only check and apply.
--
-- Keys of one resource share the hash tag {r:<id>} (one cluster slot):
--   P..'m'        hash  meta: doc, owner, version, on_hand, pause
--   P..'c'        hash  counters: bucket -> units held + consumed, and '~v' the version
--                       (beside the counters so that one HMGET reads both)
--   P..'x'        zset  hold id -> expires_at (ms) of holds still taking units
--   P..'h:'..id   hash  one hold's part on this resource. The hold id is derived from the
--                       caller and its idempotency key, so the record is also the key's
--                       idempotency entry (with the payload hash), kept as long as it lives.
--   P..'j:'..date set   hold ids of a date (resources with tables: the host view)
--   P..'s'        hash  settled: bucket -> units of consumed holds. The counters always
--                       equal settled + the takes of the holds in P..'x', which is what the
--                       drift check recomputes (hold records may expire; the ledger stays).
--   P..'e'        stream availability changes, in order, for downstream consumers
--                       (docs/events.md): type, hold, version, changes (JSON)
--   P..'b'        zset  the bookings index: one member per hold item, all scored 0 and
--                       ordered by name, "<start ms, 15 digits>|<hold id>|<item index>"
--                       (undated stock: the hold's creation). Lives as long as its records.
--   P..'z'        hash  where the compaction of old dates stands (docs/retention.md)
--                       Counters named '~…' are the library's own, never a unit's: '~v' the
--                       version; '~h:<buyer>' the units a buyer holds now and
--                       '~u:<date | all>:<buyer>' those it holds or bought on a date (per_buyer,
--                       docs/abuse.md). They travel as takes, so the all-or-nothing check covers
--                       them, but never reach the event stream, the snapshot or the drift check;
--                       '~h:' leaves the counters when its hold is consumed (private below).
-- where P is 'af:{r:<id>}:'. Takes travel as "bucket\tqty\tlimit\n..." lines.
-- Every function reads Redis TIME: the one clock for expiry.
-- Functions that reclaim expired holds end their reply with the ids they expired, joined by
-- ',' (the origin audits them).

local EVENTS_MAXLEN = 10000
-- Lua's unpack() fails past ~8000 values ("too many results to unpack"): lists that grow with
-- a document or a backlog go to Redis in parts of this size.
local CHUNK = 1000

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- HMGET of any number of fields, in parts; false where a field is absent.
local function hmget(key, names)
  local out = {}
  for i = 1, #names, CHUNK do
    local part = redis.call('HMGET', key, unpack(names, i, math.min(i + CHUNK - 1, #names)))
    for k = 1, #part do out[#out + 1] = part[k] end
  end
  return out
end

-- A command taking a key and a list (ZREM, HDEL), in parts.
local function each_part(cmd, key, list)
  for i = 1, #list, CHUNK do
    redis.call(cmd, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end

-- HSET of field/value pairs {f1, v1, f2, v2, ...}, in parts.
local function hset_pairs(key, pairs)
  for i = 1, #pairs, 2 * CHUNK do
    redis.call('HSET', key, unpack(pairs, i, math.min(i + 2 * CHUNK - 1, #pairs)))
  end
end

local function prefix_of(key)
  return string.sub(key, 1, -2)
end

-- Whether a counter is the library's own (a buyer's share, the version), not a unit's.
local function private(name)
  return string.byte(name, 1) == 126
end

-- The take lines of the library's own counters in `takes`.
local function private_lines(takes)
  local out = {}
  for line in string.gmatch(takes, '[^\n]+') do
    if private(line) then out[#out + 1] = line .. '\n' end
  end
  return table.concat(out)
end

local function parse_takes(s)
  local b, q, l = {}, {}, {}
  for name, qty, lim in string.gmatch(s, '([^\t\n]+)\t(%d+)\t(%d+)') do
    b[#b + 1] = name
    q[#q + 1] = tonumber(qty)
    l[#l + 1] = tonumber(lim)
  end
  return b, q, l
end

-- Adds sign*qty of every take in `per` (bucket -> qty) to the counters, never below zero.
-- Returns the changes for the event stream ({bucket, delta, committed, limit} each, limits
-- from `lims` when given).
local function add_counts(c, per, sign, lims)
  local names = {}
  for k in pairs(per) do names[#names + 1] = k end
  if #names == 0 then return {} end
  table.sort(names)
  local cur = hmget(c, names)
  local set, changes, gone = {}, {}, {}
  for i, k in ipairs(names) do
    local v = (tonumber(cur[i]) or 0) + sign * per[k]
    if v < 0 then v = 0 end
    if v == 0 and private(k) then
      gone[#gone + 1] = k
    else
      set[#set + 1] = k
      set[#set + 1] = v
    end
    changes[#changes + 1] = {k, sign * per[k], v, lims and lims[k]}
  end
  hset_pairs(c, set)
  each_part('HDEL', c, gone)
  return changes
end

local function gather(per, takes, lims)
  local b, q, l = parse_takes(takes)
  for i = 1, #b do
    per[b[i]] = (per[b[i]] or 0) + q[i]
    if lims then lims[b[i]] = l[i] end
  end
end

-- Appends one availability change to the resource's event stream. `changes` holds
-- {bucket, delta, committed, limit (or nil)} per bucket; remaining = limit - committed.
-- The stream id carries the time; the stream is trimmed by the sweeper, not here, to keep
-- holds cheap.
local function emit(P, kind, hold_id, version, changes)
  local parts = {}
  for _, ch in ipairs(changes or {}) do
    if not private(ch[1]) then
      local rem = ''
      if ch[4] then rem = ',"remaining":' .. math.max(ch[4] - ch[3], 0) end
      parts[#parts + 1] = '{"bucket":"' .. ch[1] .. '","delta":' .. ch[2] .. ',"committed":' .. ch[3] .. rem .. '}'
    end
  end
  redis.call('XADD', P .. 'e', '*', 'type', kind, 'hold', hold_id or '', 'version', tostring(version or ''),
             'changes', '[' .. table.concat(parts, ',') .. ']')
end

-- Sets a key's expiry to `at` (ms) unless it already lives longer; a key without an expiry
-- gets this one. Records and their indexes only ever live longer (docs/retention.md).
local function keep_until(key, at)
  local cur = redis.call('PEXPIRETIME', key)
  if cur == -2 then return end
  if cur == -1 or cur < at then redis.call('PEXPIREAT', key, at) end
end

-- A consumed part is kept until its 'keep_until' (end of its last date + the retention), with
-- the bookings index and the date index that find it.
local function retain(h, b)
  local f = redis.call('HMGET', h, 'keep_until', 'jkey')
  local keep = tonumber(f[1])
  if not keep then return end
  keep_until(h, keep)
  keep_until(b, keep)
  if f[2] and f[2] ~= '' then keep_until(f[2], keep) end
end

-- The bookings index member of item `i` of hold `id`, starting at `start` ms.
local function booking(start, id, i)
  return string.format('%015d|%s|%d', start, id, i)
end

local function done(out, ids)
  out[#out + 1] = table.concat(ids or {}, ',')
  return out
end

-- Gives a live hold's units back and ends it as `final` (its expiry entry is the caller's to
-- drop); false when it was not live.
local function end_live(P, id, now, final)
  local hk = P .. 'h:' .. id
  local rec = redis.call('HMGET', hk, 'status', 'takes', 'version')
  if rec[1] ~= 'held' and rec[1] ~= 'pending' then return false end
  local per, lims = {}, {}
  gather(per, rec[2], lims)
  local changes = add_counts(P .. 'c', per, -1, lims)
  redis.call('HSET', hk, 'status', final, 'ended_at', now)
  emit(P, final, id, rec[3], changes)
  return true
end

-- Returns the units of holds whose expiry has passed (at most `limit` per call): the number
-- of entries dropped and the ids of the holds that expired.
local function reclaim(P, now, limit)
  local x = P .. 'x'
  local ids = redis.call('ZRANGEBYSCORE', x, '-inf', now, 'LIMIT', 0, limit)
  local expired = {}
  if #ids == 0 then return 0, expired end
  for _, id in ipairs(ids) do
    if end_live(P, id, now, 'expired') then expired[#expired + 1] = id end
  end
  redis.call('ZREM', x, unpack(ids))
  return #ids, expired
end

local function next_expiry(P)
  local first = redis.call('ZRANGE', P .. 'x', 0, 0, 'WITHSCORES')
  return first[2] or ''
end

-- Checks every take against its limit and, when there are choices (tables), finds the first
-- choice that fits too; on success adds the takes and that choice. Returns the takes taken,
-- the choice's label, the changes made (for the event stream) and the buckets taken past
-- their limit, or nil and the bucket that did not fit ('no_table' for choices).
-- In shadow nothing is refused: every take and a choice (the first that fits, else the
-- first) are added, and the buckets that passed their limit are returned.
-- Choices travel as groups separated by \30, each "label\n" then its take lines.
local function try_take(c, version, takes, choices, shadow)
  local b, q, l = parse_takes(takes)
  local set, changes, over = {}, {}, {}
  -- The version and the counters in one HMGET when they fit in one (a hold's usual case).
  local cur
  if #b < CHUNK then
    cur = redis.call('HMGET', c, '~v', unpack(b))
  else
    cur = hmget(c, b)
    table.insert(cur, 1, redis.call('HGET', c, '~v'))
  end
  if cur[1] ~= version then return nil, 'version', cur[1] or '', 0 end
  for i = 1, #b do
    local have = tonumber(cur[i + 1]) or 0
    if have + q[i] > l[i] then
      if not shadow then return nil, b[i], have, l[i] end
      if not private(b[i]) then over[#over + 1] = b[i] end
    end
    set[#set + 1] = b[i]
    set[#set + 1] = have + q[i]
    changes[i] = {b[i], q[i], have + q[i], l[i]}
  end
  local all, label = takes, ''
  if choices and choices ~= '' then
    local first, found = nil, nil
    for group in string.gmatch(choices, '([^\30]+)') do
      local name, rest = string.match(group, '^([^\n]*)\n(.*)$')
      local cb, cq, cl = parse_takes(rest or '')
      if #cb > 0 then
        local cur = hmget(c, cb)
        local fits = true
        for i = 1, #cb do
          if (tonumber(cur[i]) or 0) + cq[i] > cl[i] then fits = false break end
        end
        local choice = {name = name, rest = rest, b = cb, q = cq, l = cl, cur = cur}
        first = first or choice
        if fits then found = choice break end
      end
    end
    if not found and not (shadow and first) then return nil, 'no_table', 0, 0 end
    local ch = found or first
    for i = 1, #ch.b do
      local v = (tonumber(ch.cur[i]) or 0) + ch.q[i]
      if v > ch.l[i] then over[#over + 1] = ch.b[i] end
      set[#set + 1] = ch.b[i]
      set[#set + 1] = v
      changes[#changes + 1] = {ch.b[i], ch.q[i], v, ch.l[i]}
    end
    all, label = takes .. ch.rest, ch.name
  end
  hset_pairs(c, set)
  return all, label, changes, over
end

-- hold: KEYS m, c, x, h, bookings, [date index]
-- ARGV version, hold_id, payload_hash, ttl_ms, record_ttl_ms, caller, status ('held' |
--      'pending'), takes, choices, items, retain_until_ms ('' for undated: the creation),
--      retention_ms, item starts (ms, ',' joined, 'u' for undated), extra field/value pairs...
-- The pair 'enforcement' 'shadow' asks for shadow enforcement (try_take); the record keeps
-- it, and 'over' (the buckets passed, joined by ',') when there are any.
local function hold(keys, args)
  local c, h = keys[2], keys[4]
  local P = prefix_of(keys[1])
  local seen = redis.call('HMGET', h, 'status', 'expires_at', 'hash')
  -- A voided cart step never counted as a use of the key: it is taken afresh.
  if seen[1] and seen[1] ~= 'void' then
    if seen[3] ~= args[3] then return done({'reused'}) end
    return done({'replay', args[2], seen[1], seen[2]})
  end
  local now = now_ms()
  local _, expired = reclaim(P, now, 64)
  local shadow = false
  for k = 14, #args - 1, 2 do
    if args[k] == 'enforcement' and args[k + 1] == 'shadow' then shadow = true end
  end
  local taken, label, have, lim = try_take(c, args[1], args[8], args[9], shadow)
  if not taken then
    if label == 'version' then return done({'version', have}, expired) end
    return done({'sold_out', label, tostring(have), tostring(lim)}, expired)
  end
  local over = table.concat(lim or {}, ',')
  local exp_at = now + tonumber(args[4])
  local keep = (tonumber(args[11]) or now) + tonumber(args[12])
  local rec = {'status', args[7], 'takes', taken, 'items', args[10], 'expires_at', exp_at,
               'created_at', now, 'caller', args[6], 'version', args[1], 'table', label, 'hash', args[3],
               'keep_until', keep, 'jkey', keys[6] or ''}
  for k = 14, #args do rec[#rec + 1] = args[k] end
  if over ~= '' then
    rec[#rec + 1] = 'over'
    rec[#rec + 1] = over
  end
  redis.call('HSET', h, unpack(rec))
  redis.call('PEXPIRE', h, tonumber(args[5]))
  redis.call('ZADD', keys[3], exp_at, args[2])
  local life = now + tonumber(args[5])
  local i = 0
  for start in string.gmatch(args[13], '[^,]+') do
    redis.call('ZADD', keys[5], 0, booking(tonumber(start) or now, args[2], i))
    i = i + 1
  end
  keep_until(keys[5], life)
  if keys[6] then
    redis.call('SADD', keys[6], args[2])
    keep_until(keys[6], life)
  end
  emit(P, 'held', args[2], args[1], have)
  return done({'ok', args[2], args[7], tostring(exp_at), label, over}, expired)
end

-- The group commit (hold_group below): a hold decided against counters already read, as
-- try_take decides it against Redis. `cur` maps bucket -> units and is moved on when the hold
-- is taken, so the next hold of the group sees it. Same answers as try_take.
-- `parsed` holds the takes as parse_takes returns them (parsed once, when the group reads).
local function take_in(cur, ver, version, takes, parsed, choices, shadow)
  if ver ~= version then return nil, 'version', ver or '', 0 end
  local b, q, l = parsed[1], parsed[2], parsed[3]
  local set, changes, over = {}, {}, {}
  for i = 1, #b do
    local have = cur[b[i]] or 0
    if have + q[i] > l[i] then
      if not shadow then return nil, b[i], have, l[i] end
      if not private(b[i]) then over[#over + 1] = b[i] end
    end
    set[#set + 1] = {b[i], have + q[i]}
    changes[i] = {b[i], q[i], have + q[i], l[i]}
  end
  local all, label = takes, ''
  if choices and choices ~= '' then
    local first, found = nil, nil
    for group in string.gmatch(choices, '([^\30]+)') do
      local name, rest = string.match(group, '^([^\n]*)\n(.*)$')
      local cb, cq, cl = parse_takes(rest or '')
      if #cb > 0 then
        local fits = true
        for i = 1, #cb do
          if (cur[cb[i]] or 0) + cq[i] > cl[i] then fits = false break end
        end
        local choice = {name = name, rest = rest, b = cb, q = cq, l = cl}
        first = first or choice
        if fits then found = choice break end
      end
    end
    if not found and not (shadow and first) then return nil, 'no_table', 0, 0 end
    local ch = found or first
    for i = 1, #ch.b do
      -- Read before the takes above apply, as try_take reads them in one HMGET.
      local v = (cur[ch.b[i]] or 0) + ch.q[i]
      if v > ch.l[i] then over[#over + 1] = ch.b[i] end
      set[#set + 1] = {ch.b[i], v}
      changes[#changes + 1] = {ch.b[i], ch.q[i], v, ch.l[i]}
    end
    all, label = takes .. ch.rest, ch.name
  end
  for _, s in ipairs(set) do cur[s[1]] = s[2] end
  return all, label, changes, over
end

-- Every bucket a hold's takes (parsed) and choices name, added to `names` once (`seen`
-- marks them).
local function names_of(names, seen, b, choices)
  for i = 1, #b do
    if not seen[b[i]] then
      seen[b[i]] = true
      names[#names + 1] = b[i]
    end
  end
  if choices == '' then return end
  for name in string.gmatch(choices, '([^\t\n\30]+)\t%d+\t%d+') do
    if not seen[name] then
      seen[name] = true
      names[#names + 1] = name
    end
  end
end

local function shadow_of(a)
  for k = 14, #a - 1, 2 do
    if a[k] == 'enforcement' and a[k + 1] == 'shadow' then return true end
  end
  return false
end

-- hold_group: KEYS m, c, x, bookings, then per hold its record h and, if it has one, its
-- date index. ARGV n, then per hold: its key count (1 | 2), its argument count, and the
-- arguments `hold` takes. N holds of one resource in arrival order, each decided as `hold`
-- decides it (its own replay, refusal or shadow) against the counters the holds before it
-- left; the fixed costs are paid once: TIME, the reclaim, one read of the version and of
-- every counter named, one counter write, one ZADD each for expiries and bookings, one
-- event. Answers per hold the length of its reply, then `hold`'s reply (without the
-- expired ids); then the ids expired.
local function hold_group(keys, args)
  local c, x, bk = keys[2], keys[3], keys[4]
  local P = prefix_of(keys[1])
  local holds, ki, ai = {}, 5, 2
  for i = 1, tonumber(args[1]) do
    local nk, na = tonumber(args[ai]), tonumber(args[ai + 1])
    holds[i] = {h = keys[ki], j = nk > 1 and keys[ki + 1] or nil, a = {unpack(args, ai + 2, ai + 1 + na)}}
    ki, ai = ki + nk, ai + 2 + na
  end
  -- Replays first, as `hold` answers them: before the clock and the reclaim. A key used
  -- twice in one group replays what the group made of it.
  local pend, fresh, names, seen = {}, 0, {'~v'}, {}
  for _, e in ipairs(holds) do
    -- A key already met in this group is decided below, once the first use of it is.
    local s = pend[e.h] and {} or redis.call('HMGET', e.h, 'status', 'expires_at', 'hash')
    if s[1] and s[1] ~= 'void' then
      if s[3] ~= e.a[3] then e.reply = {'reused'} else e.reply = {'replay', e.a[2], s[1], s[2]} end
    else
      fresh = fresh + 1
      pend[e.h] = true
      e.p = {parse_takes(e.a[8])}
      names_of(names, seen, e.p[1], e.a[9])
    end
  end
  local now, expired = 0, {}
  local cur, ver = {}, nil
  if fresh > 0 then
    now = now_ms()
    local _n
    _n, expired = reclaim(P, now, 64)
    local vals = hmget(c, names)
    ver = vals[1]
    for i = 2, #names do cur[names[i]] = tonumber(vals[i]) or 0 end
  end
  local made, touched, order, agg = {}, {}, {}, {}
  local xs, bs, ids = {}, {}, {}
  local life = now
  for _, e in ipairs(holds) do
    local a = e.a
    local m = made[e.h]
    if m then
      -- The same key earlier in this group: replayed as `hold` would replay it now.
      if m[3] ~= a[3] then e.reply = {'reused'} else e.reply = {'replay', a[2], m[1], m[2]} end
    elseif not e.reply then
      local taken, label, changes, over = take_in(cur, ver, a[1], a[8], e.p, a[9], shadow_of(a))
      if not taken then
        if label == 'version' then
          e.reply = {'version', changes}
        else
          e.reply = {'sold_out', label, tostring(changes), tostring(over)}
        end
      else
        over = table.concat(over, ',')
        local exp_at = now + tonumber(a[4])
        local rec = {'status', a[7], 'takes', taken, 'items', a[10], 'expires_at', exp_at,
                     'created_at', now, 'caller', a[6], 'version', a[1], 'table', label, 'hash', a[3],
                     'keep_until', (tonumber(a[11]) or now) + tonumber(a[12]), 'jkey', e.j or ''}
        for k = 14, #a do rec[#rec + 1] = a[k] end
        if over ~= '' then
          rec[#rec + 1] = 'over'
          rec[#rec + 1] = over
        end
        redis.call('HSET', e.h, unpack(rec))
        redis.call('PEXPIRE', e.h, tonumber(a[5]))
        made[e.h] = {a[7], tostring(exp_at), a[3]}
        xs[#xs + 1] = exp_at
        xs[#xs + 1] = a[2]
        local i = 0
        for start in string.gmatch(a[13], '[^,]+') do
          bs[#bs + 1] = 0
          bs[#bs + 1] = booking(tonumber(start) or now, a[2], i)
          i = i + 1
        end
        life = math.max(life, now + tonumber(a[5]))
        if e.j then
          redis.call('SADD', e.j, a[2])
          keep_until(e.j, now + tonumber(a[5]))
        end
        for _, ch in ipairs(changes) do
          local g = agg[ch[1]]
          if not g then
            g = {ch[1], 0, 0, nil}
            agg[ch[1]] = g
            order[#order + 1] = g
            touched[#touched + 1] = ch[1]
          end
          g[2], g[3], g[4] = g[2] + ch[2], ch[3], ch[4]
        end
        ids[#ids + 1] = a[2]
        e.reply = {'ok', a[2], a[7], tostring(exp_at), label, over}
      end
    end
  end
  if #ids > 0 then
    local set = {}
    for _, name in ipairs(touched) do
      set[#set + 1] = name
      set[#set + 1] = cur[name]
    end
    hset_pairs(c, set)
    each_part('ZADD', x, xs)
    each_part('ZADD', bk, bs)
    keep_until(bk, life)
    -- One entry for the group: its holds' ids joined by ',', each bucket's summed delta and
    -- what it holds after the last of them (docs/events.md).
    emit(P, 'held', table.concat(ids, ','), ver, order)
  end
  local out = {}
  for _, e in ipairs(holds) do
    out[#out + 1] = tostring(#e.reply)
    for _, v in ipairs(e.reply) do out[#out + 1] = v end
  end
  return done(out, expired)
end

-- finish: KEYS h — a cart's home part turns from pending to held once every part is taken.
local function finish(keys, args)
  local st = redis.call('HGET', keys[1], 'status')
  if st == 'pending' then redis.call('HSET', keys[1], 'status', 'held') return 'held' end
  return st or ''
end

-- release: KEYS c, x, h ; ARGV mode ('release' | 'void')
-- 'void' undoes a cart step: the units come back and the key counts as never used.
local function release(keys, args)
  local h = keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'takes', 'expires_at', 'version')
  local st = rec[1]
  if not st then return {'not_found'} end
  if st == 'consumed' then return {'not_active', st} end
  if st ~= 'held' and st ~= 'pending' then return {'ok', st} end
  local now = now_ms()
  local per, lims = {}, {}
  gather(per, rec[2], lims)
  local changes = add_counts(keys[1], per, -1, lims)
  local id = string.sub(h, #P + 3)
  redis.call('ZREM', keys[2], id)
  local final = 'released'
  if args[1] == 'void' then
    final = 'void'
  elseif tonumber(rec[3]) <= now then
    final = 'expired'
  end
  redis.call('HSET', h, 'status', final, 'ended_at', now)
  emit(P, final, id, rec[4], changes)
  return {'ok', final}
end

-- Moves a consumed hold's takes into the settled ledger; the units a buyer holds ('~h:')
-- are held no longer and leave the counters.
local function settle(c, s, takes)
  local b, q = parse_takes(takes)
  local held = {}
  for i = 1, #b do
    if string.sub(b[i], 1, 3) == '~h:' then
      held[b[i]] = (held[b[i]] or 0) + q[i]
    else
      redis.call('HINCRBY', s, b[i], q[i])
    end
  end
  add_counts(c, held, -1)
end

-- consume: KEYS c, x, h, s, bookings — a consumed part is kept until its date has passed
-- plus the retention (never less than it lives already).
local function consume(keys, args)
  local h = keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'expires_at', 'takes')
  local st = rec[1]
  if not st then return done({'not_found'}) end
  if st == 'consumed' then
    retain(h, keys[5])
    return done({'ok', st})
  end
  if st == 'released' or st == 'void' then return done({'not_active', st}) end
  local now = now_ms()
  local expired = {}
  if st == 'held' or st == 'pending' then
    if tonumber(rec[2]) > now then
      redis.call('HSET', h, 'status', 'consumed', 'consumed_at', now)
      redis.call('ZREM', keys[2], string.sub(h, #P + 3))
      settle(keys[1], keys[4], rec[3])
      retain(h, keys[5])
      return done({'ok', 'consumed'})
    end
    local _n
    _n, expired = reclaim(P, now, 64)
  end
  return done({'expired'}, expired)
end

-- walk_in: KEYS m, c, x, h, bookings, date index, s ; ARGV as hold's (status 'consumed') — a
-- party seated by the host now: taken as a hold is (every take and a table, or nothing, the
-- record being the key's idempotency entry), consumed in the same step (no expiry entry, its
-- takes settled, kept as a consumed part is).
local function walk_in(keys, args)
  local out = hold({keys[1], keys[2], keys[3], keys[4], keys[5], keys[6]}, args)
  if out[1] ~= 'ok' then return out end
  local h = keys[4]
  redis.call('ZREM', keys[3], args[2])
  redis.call('HSET', h, 'status', 'consumed', 'consumed_at', now_ms())
  settle(keys[2], keys[7], redis.call('HGET', h, 'takes'))
  retain(h, keys[5])
  out[3] = 'consumed'
  return out
end

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

-- retake: KEYS m, c, h, s, bookings ; ARGV version, takes, choices, grace ms — consume an
-- expired hold if its units (and a table) are free, within `grace` of its expiry ('gone'
-- after: a lapsed hold is no option on the units).
local function retake(keys, args)
  local h = keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'expires_at')
  local st = rec[1]
  if not st then return {'not_found'} end
  if st == 'consumed' then
    retain(h, keys[5])
    return {'ok', st}
  end
  if st ~= 'expired' then return {'not_active', st} end
  if (tonumber(rec[2]) or 0) + tonumber(args[4] or '0') < now_ms() then return {'gone'} end
  local taken, label, changes, lim = try_take(keys[2], args[1], args[2], args[3])
  if not taken then
    if label == 'version' then return {'version'} end
    return {'sold_out', label, tostring(changes), tostring(lim)}
  end
  local now = now_ms()
  redis.call('HSET', h, 'status', 'consumed', 'consumed_at', now, 'takes', taken, 'table', label, 'version', args[1])
  settle(keys[2], keys[4], taken)
  retain(h, keys[5])
  emit(P, 'retaken', string.sub(h, #P + 3), args[1], changes)
  return {'ok', 'consumed'}
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
    local r = id and redis.call('HMGET', P .. 'h:' .. id, 'status', 'items', 'expires_at', 'created_at', 'consumed_at', 'caller', 'table')
    if r and r[1] and r[1] ~= 'void' then
      local st = r[1]
      if (st == 'held' or st == 'pending') and tonumber(r[3]) <= now then st = 'expired' end
      if args[4] == '' or args[4] == st then
        found = found + 1
        local rest = {m, st, r[2], r[3], r[4], r[5] or '', r[6], r[7] or ''}
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

-- read: KEYS m, c ; ARGV how many names the whole read has, then the first of them — reclaims
-- first so a read never counts an expired hold. Answers now, the version, then either 'all'
-- and every field/value pair of the counters, when the hash is small and has fewer fields than
-- the read names (Redis keeps a small hash as a list, where each HMGET field is a scan), or
-- 'some' and the values of the names given; the origin reads the rest of a long snapshot with
-- plain HMGETs (Store::read), so that no call runs long.
local READ_WHOLE = 512
local function read(keys, args)
  local P = prefix_of(keys[1])
  local now = now_ms()
  local _, expired = reclaim(P, now, 256)
  local version = redis.call('HGET', keys[2], '~v')
  local out = {tostring(now), version or ''}
  if not version then return done(out, expired) end
  local fields = redis.call('HLEN', keys[2])
  if fields <= READ_WHOLE and fields < tonumber(args[1]) then
    out[3] = 'all'
    local all = redis.call('HGETALL', keys[2])
    for k = 1, #all do out[#out + 1] = all[k] end
  else
    out[3] = 'some'
    local names = {unpack(args, 2, #args)}
    local vals = hmget(keys[2], names)
    for k = 1, #names do out[#out + 1] = vals[k] or '0' end
  end
  return done(out, expired)
end

-- put: KEYS m, c ; ARGV doc, caller, is_ops, on_hand ('' when no stock), if_match ('' none,
--      '*' any stored version, else the version the writer last read), checks, fields, force.
-- An archived resource is gone for writes: its id is not reused.
-- `checks` ("bucket\tlimit\n" lines) are the counters the origin found committed, with the
-- limits of the new document; `fields` is how many fields it saw in the counter hash. A
-- counter added since ('moved') is read again by the origin. Counters past their new limit
-- refuse the write ('over') unless forced; a forced write records them in the meta hash
-- ('overcommitted', "bucket\tcommitted\tlimit\n" lines) so that the drift check counts them
-- as the seller's decision, not as oversells. 'created' and 'replaced' end with the bytes of
-- the document replaced (0 for a new one): the seller's quota is settled with them.
local function put(keys, args)
  local P = prefix_of(keys[1])
  local now = now_ms()
  local _, expired = reclaim(P, now, 256)
  local meta = redis.call('HMGET', keys[1], 'owner', 'version', 'archived')
  local owner = meta[1]
  if meta[3] then return done({'archived'}, expired) end
  if owner and owner ~= args[2] and args[3] ~= '1' then return done({'forbidden', owner}, expired) end
  local want = args[5] or ''
  if want ~= '' and (not meta[2] or (want ~= '*' and want ~= meta[2])) then
    return done({'precondition', meta[2] or ''}, expired)
  end
  if (args[7] or '') ~= '' and redis.call('HLEN', keys[2]) ~= tonumber(args[7]) then return done({'moved'}, expired) end
  local over = {}
  local names, lims = {}, {}
  for name, lim in string.gmatch(args[6] or '', '([^\t\n]+)\t(%d+)') do
    names[#names + 1] = name
    lims[#lims + 1] = tonumber(lim)
  end
  local have = hmget(keys[2], names)
  for i = 1, #names do
    local n = tonumber(have[i]) or 0
    if n > lims[i] then over[#over + 1] = names[i] .. '\t' .. n .. '\t' .. lims[i] end
  end
  if #over > 0 and args[8] ~= '1' then return done({'over', table.concat(over, '\n')}, expired) end
  if args[4] ~= '' then
    local committed = tonumber(redis.call('HGET', keys[2], 'stock')) or 0
    if tonumber(args[4]) < committed then return done({'below', tostring(committed)}, expired) end
    redis.call('HSET', keys[1], 'on_hand', args[4])
  else
    redis.call('HDEL', keys[1], 'on_hand')
  end
  if #over > 0 then
    redis.call('HSET', keys[1], 'overcommitted', table.concat(over, '\n'))
  else
    redis.call('HDEL', keys[1], 'overcommitted')
  end
  local v = redis.call('HINCRBY', keys[1], 'version', 1)
  local prev = redis.call('HSTRLEN', keys[1], 'doc')
  redis.call('HSET', keys[1], 'doc', args[1], 'owner', owner or args[2])
  redis.call('HSET', keys[2], '~v', v)
  emit(P, 'config', '', v, nil)
  if owner then return done({'replaced', tostring(v), owner, table.concat(over, '\n'), tostring(prev)}, expired) end
  return done({'created', tostring(v), args[2], '', '0'}, expired)
end

-- stock: KEYS m, c, [idempotency entry] ; ARGV mode ('set' | 'delta'), n, force ('1' | '0'),
--        max on hand, payload hash, entry ttl ms.
-- With an entry key (the caller's Idempotency-Key), the change is applied once: the entry
-- keeps the payload hash and the answer, a retry gets that answer again, another payload
-- under the key is refused. A refusal is not kept: the same request may pass later.
local function stock(keys, args)
  local P = prefix_of(keys[1])
  local entry = keys[3]
  if entry then
    local seen = redis.call('HMGET', entry, 'hash', 'reply')
    if seen[1] then
      if seen[1] ~= args[5] then return done({'reused'}) end
      local out = {'replay'}
      for part in string.gmatch(seen[2], '[^,]+') do out[#out + 1] = part end
      return done(out)
    end
  end
  local now = now_ms()
  local _, expired = reclaim(P, now, 256)
  local meta = redis.call('HMGET', keys[1], 'on_hand', 'archived')
  local on_hand = meta[1]
  if meta[2] then return done({'not_found'}, expired) end
  if not on_hand then return done({'no_stock'}, expired) end
  local committed = tonumber(redis.call('HGET', keys[2], 'stock')) or 0
  local n = tonumber(args[2])
  local new = n
  if args[1] == 'delta' then new = tonumber(on_hand) + n end
  if new < 0 then return done({'negative', tostring(new)}, expired) end
  if new > tonumber(args[4]) then return done({'out_of_range', string.format('%d', new)}, expired) end
  if new < committed and args[3] ~= '1' then return done({'below', tostring(committed), tostring(new)}, expired) end
  redis.call('HSET', keys[1], 'on_hand', new)
  -- A forced stock below what is committed is the seller's decision: recorded as such.
  local lines = {}
  for line in string.gmatch(redis.call('HGET', keys[1], 'overcommitted') or '', '[^\n]+') do
    if string.sub(line, 1, 6) ~= 'stock\t' then lines[#lines + 1] = line end
  end
  if new < committed then lines[#lines + 1] = 'stock\t' .. committed .. '\t' .. new end
  if #lines > 0 then
    redis.call('HSET', keys[1], 'overcommitted', table.concat(lines, '\n'))
  else
    redis.call('HDEL', keys[1], 'overcommitted')
  end
  local v = redis.call('HINCRBY', keys[1], 'version', 1)
  redis.call('HSET', keys[2], '~v', v)
  emit(P, 'config', '', v, {{'stock', 0, committed, new}})
  local answer = {tostring(new), tostring(committed), tostring(v)}
  if entry then
    redis.call('HSET', entry, 'hash', args[5], 'reply', table.concat(answer, ','))
    redis.call('PEXPIRE', entry, tonumber(args[6]))
  end
  return done({'ok', answer[1], answer[2], answer[3]}, expired)
end

-- pause: KEYS m, c ; ARGV pause JSON, or '' to resume
local function pause(keys, args)
  local meta = redis.call('HMGET', keys[1], 'version', 'archived')
  if not meta[1] or meta[2] then return {'not_found'} end
  if args[1] == '' then
    redis.call('HDEL', keys[1], 'pause')
  else
    redis.call('HSET', keys[1], 'pause', args[1])
  end
  local v = redis.call('HINCRBY', keys[1], 'version', 1)
  redis.call('HSET', keys[2], '~v', v)
  emit(prefix_of(keys[1]), 'config', '', v, nil)
  return {'ok', tostring(v)}
end

-- archive: KEYS m, c, x ; ARGV force ('1' | '0'), summary — retires a resource: reads, holds
-- and writes on it answer not found from now on; its hold records (the bookings: P..'h:',
-- P..'b', P..'j:') stay. Refused while holds are held, unless forced: then each is released,
-- as a release would. Its document gives way to `summary` (what its bookings are read with:
-- name, timezone), its counters and settled ledger go (only the version stays, so that a
-- hold planned before refuses), and so does its event stream (a stream costs 4 KB even with
-- one entry; consumers learn of the archive from the audit trail): a few hundred bytes
-- beyond its bookings. Answers the new version, the ids released (joined by
-- ','), the bytes of the document dropped, then the ids expired.
local function archive(keys, args)
  local P = prefix_of(keys[1])
  local meta = redis.call('HMGET', keys[1], 'version', 'archived')
  if not meta[1] or meta[2] then return done({'not_found'}) end
  local now = now_ms()
  local _, expired = reclaim(P, now, 1000)
  local live = redis.call('ZRANGE', keys[3], 0, -1)
  if #live > 0 and args[1] ~= '1' then return done({'in_use', tostring(#live)}, expired) end
  local released = {}
  for _, id in ipairs(live) do
    if end_live(P, id, now, 'released') then released[#released + 1] = id end
  end
  each_part('ZREM', keys[3], live)
  local bytes = redis.call('HSTRLEN', keys[1], 'doc')
  redis.call('HSET', keys[1], 'archived', now, 'doc', args[2])
  redis.call('HDEL', keys[1], 'on_hand', 'pause', 'overcommitted')
  local v = redis.call('HINCRBY', keys[1], 'version', 1)
  redis.call('UNLINK', keys[2], P .. 's', P .. 'e')
  redis.call('HSET', keys[2], '~v', v)
  return done({'ok', tostring(v), table.concat(released, ','), tostring(bytes)}, expired)
end

-- quota: KEYS seller quota hash ; ARGV resources delta, bytes delta, max resources, max bytes
-- ('' for no check: ops, and settling) — one seller's footprint moved in one step: a delta
-- that grows a figure past its limit is refused whole ('over', which, used, limit); figures
-- never go below 0. Answers 'ok' and the figures after it.
local function quota(keys, args)
  local cur = redis.call('HMGET', keys[1], 'resources', 'bytes')
  local r, b = tonumber(cur[1]) or 0, tonumber(cur[2]) or 0
  local dr, db = tonumber(args[1]), tonumber(args[2])
  if args[3] ~= '' and dr > 0 and r + dr > tonumber(args[3]) then return {'over', 'resources', tostring(r), args[3]} end
  if args[4] ~= '' and db > 0 and b + db > tonumber(args[4]) then return {'over', 'bytes', tostring(b), args[4]} end
  r, b = math.max(r + dr, 0), math.max(b + db, 0)
  redis.call('HSET', keys[1], 'resources', r, 'bytes', b)
  return {'ok', tostring(r), tostring(b)}
end

-- sweep: KEYS m ; reclaims expired holds of an idle resource, returns the next expiry.
local function sweep(keys, args)
  local P = prefix_of(keys[1])
  local n, expired = reclaim(P, now_ms(), 1000)
  redis.call('XTRIM', P .. 'e', 'MAXLEN', '~', EVENTS_MAXLEN)
  return done({tostring(n), next_expiry(P)}, expired)
end

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

redis.register_function('aforo_hold', hold)
redis.register_function('aforo_hold_group', hold_group)
-- Steps that only read, finish or undo what a hold took run even at Redis's memory ceiling
-- (allow-oom): reads go on, a paid booking is still consumed, a cart step still undone, an
-- expired hold's units still come back. Steps that take or add (hold, put, stock) are
-- refused there. An archive frees far more than it writes (its document, counters and
-- stream), and a quota step moves two fields: both run there too.
redis.register_function{function_name = 'aforo_finish', callback = finish, flags = {'allow-oom'}}
redis.register_function{function_name = 'aforo_release', callback = release, flags = {'allow-oom'}}
redis.register_function{function_name = 'aforo_consume', callback = consume, flags = {'allow-oom'}}
redis.register_function{function_name = 'aforo_retake', callback = retake, flags = {'allow-oom'}}
redis.register_function('aforo_walk_in', walk_in)
redis.register_function('aforo_reseat', reseat)
redis.register_function{function_name = 'aforo_read', callback = read, flags = {'allow-oom'}}
redis.register_function('aforo_put', put)
redis.register_function('aforo_stock', stock)
redis.register_function('aforo_pause', pause)
redis.register_function{function_name = 'aforo_archive', callback = archive, flags = {'allow-oom'}}
redis.register_function{function_name = 'aforo_quota', callback = quota, flags = {'allow-oom'}}
redis.register_function{function_name = 'aforo_sweep', callback = sweep, flags = {'allow-oom'}}
redis.register_function('aforo_due_claim', due_claim)
redis.register_function('aforo_due_done', due_done)
redis.register_function('aforo_check', check)
redis.register_function{function_name = 'aforo_bookings', callback = bookings, flags = {'no-writes', 'allow-oom'}}
redis.register_function{function_name = 'aforo_index', callback = index, flags = {'allow-oom'}}
redis.register_function{function_name = 'aforo_compact', callback = compact, flags = {'allow-oom'}}
