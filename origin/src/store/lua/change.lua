-- Change: a booking moved to another date, slot, party or area of its resource, in one
-- atomic step — the new units are taken and the old returned together, so that the booking
-- holds the old or the new at every moment and a refusal leaves it untouched.

-- change: KEYS m, c, h, s, bookings, the old date index ('' key name if none), the new date
-- index (likewise) ; ARGV version, the record's takes as read, the new takes (the buyer's
-- shares included), the new table choices (as hold's), the new items (JSON, '' to keep them
-- as the body), the new body (JSON, '' for a part that has none), the old starts, the new
-- starts (as hold's), keep_until (ms), the change's hash, then field/value pairs for the
-- record (a cart's home: its new `parts` and the `changed_from` it had) — swaps a held or paid part's takes:
-- per bucket the net change is applied and only what rises is checked against its limit; the
-- first choice that fits is seated. A paid part's ledger moves with it and its '~h:' lines
-- stay out of the counters. The bookings and date indexes follow the new starts and date.
-- Answers 'ok' and the table label; 'replay' (this change is the record's last); 'not_found';
-- 'not_active' and the status shown; 'changed'; 'version' and the version; 'taken', the
-- bucket, its count and its limit ('no_table' when no choice fits).
local function change(keys, args)
  local c, h, s, bk = keys[2], keys[3], keys[4], keys[5]
  local P = prefix_of(keys[1])
  local id = string.sub(h, #P + 3)
  local rec = redis.call('HMGET', h, 'status', 'takes', 'expires_at', 'change_hash')
  local st = rec[1]
  if not st then return {'not_found'} end
  if rec[4] and rec[4] == args[10] then return {'replay'} end
  local live = st == 'held' or st == 'pending'
  local now = now_ms()
  if live and tonumber(rec[3]) <= now then return {'not_active', 'expired'} end
  if not live and st ~= 'consumed' then return {'not_active', st} end
  if rec[2] ~= args[2] then return {'changed', st} end
  local v = redis.call('HGET', c, '~v')
  if v ~= args[1] then return {'version', v or ''} end
  local old, base, lims = {}, {}, {}
  gather(old, rec[2])
  gather(base, args[3], lims)
  if not live then
    for k in pairs(old) do if string.sub(k, 1, 3) == '~h:' then old[k] = nil end end
    for k in pairs(base) do if string.sub(k, 1, 3) == '~h:' then base[k] = nil end end
  end
  -- The choices: the first whose tables fit beside the new takes (none: the takes alone).
  local options = {}
  for group in string.gmatch(args[4], '([^\30]+)') do
    local name, rest = string.match(group, '^([^\n]*)\n(.*)$')
    options[#options + 1] = {name = name, rest = rest}
  end
  if #options == 0 then options[1] = {name = '', rest = ''} end
  -- Every option takes the same units beside its tables: a unit that does not fit refuses
  -- them all; tables that do not fit refuse only their option.
  local refusal
  for _, o in ipairs(options) do
    local new = {}
    for k, q in pairs(base) do new[k] = q end
    gather(new, o.rest, lims)
    local names, delta = net_change(old, new)
    local cur = hmget(c, names)
    local fits = true
    for i, k in ipairs(names) do
      local have = tonumber(cur[i]) or 0
      if delta[k] > 0 and have + delta[k] > lims[k] then
        fits = false
        if o.name == '' or string.sub(k, 1, 2) ~= 't:' then return {'taken', k, tostring(have), tostring(lims[k])} end
        refusal = {'taken', 'no_table', '0', '0'}
        break
      end
    end
    if fits then
      local changes = apply_net(c, not live and s or nil, names, cur, delta, lims)
      local fields = {'takes', args[3] .. o.rest, 'table', o.name, 'version', args[1], 'keep_until', args[9], 'change_hash', args[10], 'changed_at', now}
      if args[5] ~= '' then fields[#fields + 1] = 'items'; fields[#fields + 1] = args[5] end
      if args[6] ~= '' then fields[#fields + 1] = 'body'; fields[#fields + 1] = args[6] end
      for k = 11, #args do fields[#fields + 1] = args[k] end
      if keys[7] ~= keys[6] then
        if redis.call('EXISTS', keys[6]) == 1 then redis.call('SREM', keys[6], id) end
        if string.sub(keys[7], -1) ~= ':' then
          redis.call('SADD', keys[7], id)
          fields[#fields + 1] = 'jkey'
          fields[#fields + 1] = keys[7]
        end
      end
      redis.call('HSET', h, unpack(fields))
      local i = 0
      for start in string.gmatch(args[7], '[^,]+') do
        redis.call('ZREM', bk, booking(tonumber(start) or 0, id, i))
        i = i + 1
      end
      i = 0
      for start in string.gmatch(args[8], '[^,]+') do
        redis.call('ZADD', bk, 0, booking(tonumber(start) or now, id, i))
        i = i + 1
      end
      if not live then retain(h, bk) end
      emit(P, 'changed', id, args[1], changes)
      return {'ok', o.name}
    end
  end
  return refusal
end
