-- Holds: the one decision that sells the last unit once (take_in), the one record writer, and
-- the one entry that takes them (hold): a single hold, a walk-in and a group commit are all a
-- group of holds of one resource, decided in arrival order.

-- A hold's arguments by name. store/holds.rs `arg` has the same positions; a test holds the
-- two equal.
local A = {version = 1, id = 2, hash = 3, ttl = 4, life = 5, caller = 6, status = 7, takes = 8,
           choices = 9, items = 10, retain = 11, retention = 12, starts = 13, extra = 14}
-- The keys of a call of `hold` by name, then per hold its record and, if it has one, its date
-- index (store/holds.rs `key`).
local K = {meta = 1, counters = 2, expiry = 3, bookings = 4, settled = 5, holds = 6}

-- Decides one hold against counters already read: `cur` maps bucket -> units and is moved on
-- when the hold is taken, so that the next hold of a group sees it. Checks every take against
-- its limit and, when there are choices (tables), finds the first choice that fits too.
-- Returns the takes taken, the choice's label, the changes ({bucket, delta, committed, limit})
-- and the buckets taken past their limit; or nil, the bucket that did not fit ('no_table' for
-- choices, 'version' when the document moved), its count and its limit.
-- In shadow nothing is refused: every take and a choice (the first that fits, else the first)
-- are added, and the buckets that passed their limit returned. A buyer's own counters ('~')
-- are never reported as past a limit.
-- `parsed` holds the takes as parse_takes returns them. Choices travel as groups separated by
-- \30, each "label\n" then its take lines.
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
      -- Read before the takes above apply: a table counter is never a cover counter.
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

-- Reads the version and every counter `names` lists after '~v' into a map.
local function read_counters(c, names)
  local vals = hmget(c, names)
  local cur = {}
  for i = 2, #names do cur[names[i]] = tonumber(vals[i]) or 0 end
  return vals[1], cur
end

-- Whether the hold's extra pairs ask for shadow enforcement.
local function shadow_of(a)
  for k = A.extra, #a - 1, 2 do
    if a[k] == 'enforcement' and a[k + 1] == 'shadow' then return true end
  end
  return false
end

-- Writes hold `a`'s record `h` (the key's idempotency entry too): the takes taken, the table,
-- the buckets passed in shadow, and its extra pairs. Answers its expiry. What is empty is not
-- written (a hold's record is most of what Redis keeps of it): no table, no date index, and no
-- 'items' when the origin sends none (a one-resource hold's items are its 'body').
local function write_record(h, j, a, now, taken, label, over)
  local exp_at = now + tonumber(a[A.ttl])
  local rec = {'status', a[A.status], 'takes', taken, 'expires_at', exp_at, 'created_at', now, 'caller', a[A.caller],
               'version', a[A.version], 'hash', a[A.hash], 'keep_until', (tonumber(a[A.retain]) or now) + tonumber(a[A.retention])}
  if a[A.items] ~= '' then
    rec[#rec + 1] = 'items'
    rec[#rec + 1] = a[A.items]
  end
  if label ~= '' then
    rec[#rec + 1] = 'table'
    rec[#rec + 1] = label
  end
  if j then
    rec[#rec + 1] = 'jkey'
    rec[#rec + 1] = j
  end
  for k = A.extra, #a do rec[#rec + 1] = a[k] end
  if over ~= '' then
    rec[#rec + 1] = 'over'
    rec[#rec + 1] = over
  end
  if is_paid(a[A.status]) then
    rec[#rec + 1] = 'consumed_at'
    rec[#rec + 1] = now
    if a[A.status] == 'seated' then
      rec[#rec + 1] = 'seated_at'
      rec[#rec + 1] = now
    end
  end
  redis.call('HSET', h, unpack(rec))
  redis.call('PEXPIRE', h, a[A.life])
  return exp_at
end

-- The status of the record `h` when it holds or held units ('void', a cart step undone, never
-- counted as a use of its key): false when there is none. One HGET, the cheapest miss: most
-- holds are new.
local function live_status(h)
  local st = redis.call('HGET', h, 'status')
  return st and st ~= 'void' and st
end

-- Adds hold `id` to the date index `key` in `dates` (its list of {key, ids, life}, in first-seen
-- order): a group writes each date index once, with the longest life of its holds.
local function add_to(dates, key, id, life)
  for _, d in ipairs(dates) do
    if d.key == key then
      d.ids[#d.ids + 1] = id
      d.life = math.max(d.life, life)
      return
    end
  end
  dates[#dates + 1] = {key = key, ids = {id}, life = life}
end

-- Appends to `bs` (ZADD score/member pairs) the bookings index members of a hold's items,
-- whose starts travel ',' joined ('u': undated, the creation `now`).
local function add_bookings(bs, starts, id, now)
  if starts == '' then return end
  if not string.find(starts, ',', 1, true) then
    bs[#bs + 1] = '0'
    bs[#bs + 1] = booking(tonumber(starts) or now, id, 0)
    return
  end
  local i = 0
  for start in string.gmatch(starts, '[^,]+') do
    bs[#bs + 1] = '0'
    bs[#bs + 1] = booking(tonumber(start) or now, id, i)
    i = i + 1
  end
end

-- `at` (ms) rounded up to the next whole minute: an index's expiry is extended at most once a
-- minute (not at every hold), and lives at most a minute longer than the records it finds.
local function to_minute(at)
  return math.ceil(at / 60000) * 60000
end

-- Splits the group's arguments: ARGV n, then per hold its key count (1 | 2), its argument
-- count and its arguments (A); its keys follow the fixed ones (K.holds on).
local function holds_of(keys, args)
  local holds, ki, ai = {}, K.holds, 2
  for i = 1, tonumber(args[1]) do
    local nk, na = tonumber(args[ai]), tonumber(args[ai + 1])
    holds[i] = {h = keys[ki], j = nk > 1 and keys[ki + 1] or nil, a = {unpack(args, ai + 2, ai + 1 + na)}}
    ki, ai = ki + nk, ai + 2 + na
  end
  return holds
end

-- hold: KEYS (K) meta, counters, expiry, bookings, settled, then per hold its record and date
-- index; ARGV (holds_of) — N holds of one resource in arrival order (N = 1 for a single hold),
-- each decided on its own (its replay, refusal or shadow) against the counters the holds
-- before it left. The fixed costs are paid once: TIME, the reclaim, one read of the version and
-- of every counter named, one counter write, one ZADD each for expiries and bookings (its
-- expiry checked, and moved at most once a minute), one SADD per date index, one event. A hold
-- made paid ('seated': a walk-in, seated now) takes no expiry entry: its takes are settled and
-- its record kept as a paid one is. Answers per hold the length of its reply, then its reply:
-- 'ok' id status expires_at table over | 'replay' id status expires_at | 'reused' | 'version'
-- version | 'sold_out' bucket count limit; then the ids expired.
local function hold(keys, args)
  local c, x, bk, s = keys[K.counters], keys[K.expiry], keys[K.bookings], keys[K.settled]
  local P = prefix_of(keys[K.meta])
  local holds = holds_of(keys, args)
  -- Replays first: before the clock and the reclaim. A voided cart step never counted as a
  -- use of its key. A key used twice in one group replays what the group made of it.
  local pend, fresh, names, seen = {}, 0, {'~v'}, {}
  for _, e in ipairs(holds) do
    local st = not pend[e.h] and live_status(e.h)
    if st then
      local f = redis.call('HMGET', e.h, 'expires_at', 'hash')
      if f[2] ~= e.a[A.hash] then e.reply = {'reused'} else e.reply = {'replay', e.a[A.id], st, f[1]} end
    else
      fresh = fresh + 1
      pend[e.h] = true
      e.p = {parse_takes(e.a[A.takes])}
      names_of(names, seen, e.p[1], e.a[A.choices])
    end
  end
  local now, expired, cur, ver = 0, {}, {}, nil
  if fresh > 0 then
    now = now_ms()
    local _n
    _n, expired = reclaim(P, now, 64)
    -- Units the reclaim gave back go to the parties waiting before these holds decide.
    promote_freed(P)
    ver, cur = read_counters(c, names)
  end
  local made, touched, order, agg = {}, {}, {}, {}
  local xs, bs, ids, paid, dates = {}, {}, {}, {}, {}
  local life = now
  for _, e in ipairs(holds) do
    local a = e.a
    local m = made[e.h]
    if m then
      if m[3] ~= a[A.hash] then e.reply = {'reused'} else e.reply = {'replay', a[A.id], m[1], m[2]} end
    elseif not e.reply then
      local taken, label, changes, over = take_in(cur, ver, a[A.version], a[A.takes], e.p, a[A.choices], shadow_of(a))
      if not taken then
        if label == 'version' then
          e.reply = {'version', changes}
        else
          e.reply = {'sold_out', label, tostring(changes), tostring(over)}
        end
      else
        over = table.concat(over, ',')
        local exp_at = string.format('%d', write_record(e.h, e.j, a, now, taken, label, over))
        made[e.h] = {a[A.status], exp_at, a[A.hash]}
        if is_paid(a[A.status]) then
          -- Seated now: settled once the counters are written, below.
          paid[#paid + 1] = {e.h, taken}
        else
          xs[#xs + 1] = exp_at
          xs[#xs + 1] = a[A.id]
        end
        add_bookings(bs, a[A.starts], a[A.id], now)
        local until_ = now + tonumber(a[A.life])
        life = math.max(life, until_)
        if e.j then add_to(dates, e.j, a[A.id], until_) end
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
        ids[#ids + 1] = a[A.id]
        e.reply = {'ok', a[A.id], a[A.status], exp_at, label, over}
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
    keep_until(bk, to_minute(life))
    for _, d in ipairs(dates) do
      each_part('SADD', d.key, d.ids)
      keep_until(d.key, to_minute(d.life))
    end
    for _, p in ipairs(paid) do
      settle(c, s, p[2])
      retain(p[1], bk)
    end
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
