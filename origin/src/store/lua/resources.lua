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
