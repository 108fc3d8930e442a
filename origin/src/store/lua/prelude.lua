-- Aforo's Redis library: every atomic step of the origin, and no rule of its own.
-- The core plans (which buckets, what limits); these functions only check and apply.
-- It is the files of origin/src/store/lua/ joined in this order by origin/build.rs: prelude
-- (keys, helpers), holds, waitlist, settle, floor, change, resources, maintenance, register (the function
-- names, each with the library's version V).
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

-- What this call gave back: every unit counter that fell, marked where counters fall
-- (add_counts, reseat, change), so that before the call answers the units go to the parties
-- waiting (promote_freed, waitlist.lua; register.lua runs it after each call). OFFER_AT keeps
-- the earliest expiry of the offers made, which the reply's last element then names.
local FREED = {}
local OFFER_AT = nil
local promote_freed

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
  -- One line (most holds: one counter) is one match, a third of the cost of the loop.
  local name, qty, lim = string.match(s, '^([^\t\n]+)\t(%d+)\t(%d+)\n?$')
  if name then return {name}, {tonumber(qty)}, {tonumber(lim)} end
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
    if sign < 0 and per[k] > 0 and not private(k) then FREED[k] = true end
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
    -- One format a change: a number concatenated is formatted on its own, at twice the cost.
    if private(ch[1]) then
    elseif ch[4] then
      parts[#parts + 1] = string.format('{"bucket":"%s","delta":%d,"committed":%d,"remaining":%d}', ch[1], ch[2], ch[3],
                                        math.max(ch[4] - ch[3], 0))
    else
      parts[#parts + 1] = string.format('{"bucket":"%s","delta":%d,"committed":%d}', ch[1], ch[2], ch[3])
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

-- What an entry of the waiting list becomes when the offer made to it ends as `final`.
local OFFER_END = {expired = 'lapsed', released = 'left', void = 'left', cancelled = 'left', consumed = 'accepted'}

-- The entry `eid` (an offer's 'wl'; nil for any other hold) follows its offer's end: it is
-- no longer the buyer's live entry on its date.
local function offer_ended(P, eid, final)
  if not eid then return end
  local ek = P .. 'w:' .. eid
  local e = redis.call('HMGET', ek, 'status', 'date', 'caller')
  if e[1] ~= 'offered' then return end
  redis.call('HSET', ek, 'status', OFFER_END[final] or final, 'ended_at', now_ms())
  local wb = P .. 'wb:' .. e[2]
  if redis.call('HGET', wb, e[3]) == eid then redis.call('HDEL', wb, e[3]) end
end

-- Gives a live hold's units back and ends it as `final` (its expiry entry is the caller's to
-- drop); false when it was not live.
local function end_live(P, id, now, final)
  local hk = P .. 'h:' .. id
  local rec = redis.call('HMGET', hk, 'status', 'takes', 'version', 'wl')
  if rec[1] ~= 'held' and rec[1] ~= 'pending' then return false end
  local per, lims = {}, {}
  gather(per, rec[2], lims)
  local changes = add_counts(P .. 'c', per, -1, lims)
  redis.call('HSET', hk, 'status', final, 'ended_at', now)
  emit(P, final, id, rec[3], changes)
  offer_ended(P, rec[4], final)
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

-- Whether a part is paid for (consumed, and what a consumed booking becomes on the floor):
-- its takes are settled and its record kept as a booking.
local PAID = {consumed = true, seated = true, finished = true, no_show = true}
local function is_paid(st)
  return PAID[st] == true
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

-- The net change from takes `old` to `new` (bucket -> qty each): the buckets that move, sorted,
-- and by how much each.
local function net_change(old, new)
  local names, delta = {}, {}
  for k, q in pairs(new) do
    if q ~= (old[k] or 0) then names[#names + 1] = k; delta[k] = q - (old[k] or 0) end
  end
  for k, q in pairs(old) do
    if new[k] == nil then names[#names + 1] = k; delta[k] = -q end
  end
  table.sort(names)
  return names, delta
end

-- Applies a net change whose rises were checked (`cur` the counters of `names` as read): a
-- buyer's own counter leaves at zero, a paid part's settled ledger `s` moves with it (nil for a
-- held part), and the counters that fell are marked freed. Answers the changes for the event
-- stream.
local function apply_net(c, s, names, cur, delta, lims)
  local set, gone, changes = {}, {}, {}
  for i, k in ipairs(names) do
    local val = math.max((tonumber(cur[i]) or 0) + delta[k], 0)
    if val == 0 and private(k) then gone[#gone + 1] = k else set[#set + 1] = k; set[#set + 1] = val end
    changes[i] = {k, delta[k], val, lims[k]}
    if delta[k] < 0 and not private(k) then FREED[k] = true end
    if s then redis.call('HINCRBY', s, k, delta[k]) end
  end
  hset_pairs(c, set)
  each_part('HDEL', c, gone)
  return changes
end
