-- release: KEYS c, x, h ; ARGV mode ('release' | 'void')
-- 'void' undoes a cart step: the units come back and the key counts as never used.
local function release(keys, args)
  local h = keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'takes', 'expires_at', 'version', 'wl')
  local st = rec[1]
  if not st then return {'not_found'} end
  if is_paid(st) or st == 'cancelled' then return {'not_active', st} end
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
  offer_ended(P, rec[5], final)
  return {'ok', final}
end

-- consume: KEYS c, x, h, s, bookings — a consumed part is kept until its date has passed
-- plus the retention (never less than it lives already).
local function consume(keys, args)
  local h = keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'expires_at', 'takes', 'version', 'wl')
  local st = rec[1]
  if not st then return done({'not_found'}) end
  if is_paid(st) then
    retain(h, keys[5])
    return done({'ok', st})
  end
  if st == 'released' or st == 'void' or st == 'cancelled' then return done({'not_active', st}) end
  local now = now_ms()
  local expired = {}
  if st == 'held' or st == 'pending' then
    if tonumber(rec[2]) > now then
      redis.call('HSET', h, 'status', 'consumed', 'consumed_at', now)
      redis.call('ZREM', keys[2], string.sub(h, #P + 3))
      settle(keys[1], keys[4], rec[3])
      retain(h, keys[5])
      -- No unit moves, but downstream hears that the booking is paid (hold.consumed).
      emit(P, 'consumed', string.sub(h, #P + 3), rec[4], {})
      offer_ended(P, rec[5], 'consumed')
      return done({'ok', 'consumed'})
    end
    local _n
    _n, expired = reclaim(P, now, 64)
  end
  return done({'expired'}, expired)
end

-- retake: KEYS m, c, h, s, bookings ; ARGV version, takes, choices, grace ms — consume an
-- expired hold if its units (and a table) are free, within `grace` of its expiry ('gone'
-- after: a lapsed hold is no option on the units).
local function retake(keys, args)
  local h = keys[3]
  local P = prefix_of(keys[1])
  local rec = redis.call('HMGET', h, 'status', 'expires_at', 'wl')
  local st = rec[1]
  if not st then return {'not_found'} end
  if is_paid(st) then
    retain(h, keys[5])
    return {'ok', st}
  end
  if st ~= 'expired' then return {'not_active', st} end
  -- A lapsed offer went to the next party: it is not taken again.
  if rec[3] then return {'gone'} end
  if (tonumber(rec[2]) or 0) + tonumber(args[4] or '0') < now_ms() then return {'gone'} end
  -- Decided as a hold is (take_in), against the counters as they stand.
  local parsed = {parse_takes(args[2])}
  local names = {'~v'}
  names_of(names, {}, parsed[1], args[3])
  local ver, cur = read_counters(keys[2], names)
  local taken, label, changes, lim = take_in(cur, ver, args[1], args[2], parsed, args[3], false)
  if not taken then
    if label == 'version' then return {'version'} end
    return {'sold_out', label, tostring(changes), tostring(lim)}
  end
  local set = {}
  for _, ch in ipairs(changes) do
    set[#set + 1] = ch[1]
    set[#set + 1] = ch[3]
  end
  hset_pairs(keys[2], set)
  local now = now_ms()
  redis.call('HSET', h, 'status', 'consumed', 'consumed_at', now, 'takes', taken, 'table', label, 'version', args[1])
  settle(keys[2], keys[4], taken)
  retain(h, keys[5])
  emit(P, 'retaken', string.sub(h, #P + 3), args[1], changes)
  return {'ok', 'consumed'}
end
