-- Every function of the library, named with its version (V, set by the build: a hash of the
-- whole source), so that during a rolling deploy each origin calls its own release's code
-- and the libraries of two releases live side by side.
-- Each call starts with nothing freed; what it freed goes to the waiting list before it
-- answers, and a call that made offers ends its reply with '\31offers:<resource>|<earliest
-- expiry>' so that the origin schedules the sweep that lapses them (store/client.rs).
local function fn(name, callback, flags)
  local function call(keys, args)
    -- Nothing allocated on the way when nothing was freed (most calls).
    if next(FREED) ~= nil then FREED = {} end
    OFFER_AT = nil
    local out = callback(keys, args)
    if next(FREED) ~= nil then promote_freed(prefix_of(keys[1])) end
    if OFFER_AT and type(out) == 'table' then
      out[#out + 1] = '\31offers:' .. string.match(keys[1], '{r:(.*)}') .. '|' .. OFFER_AT
    end
    return out
  end
  redis.register_function{function_name = name .. '_' .. V, callback = call, flags = flags}
end

fn('aforo_hold', hold)
-- Steps that only read, finish or undo what a hold took run even at Redis's memory ceiling
-- (allow-oom): reads go on, a paid booking is still consumed, a cart step still undone, an
-- expired hold's units still come back. Steps that take or add (hold, put, stock) are
-- refused there. An archive frees far more than it writes (its document, counters and
-- stream), and a quota step moves two fields: both run there too.
fn('aforo_finish', finish, {'allow-oom'})
fn('aforo_release', release, {'allow-oom'})
fn('aforo_consume', consume, {'allow-oom'})
fn('aforo_retake', retake, {'allow-oom'})
-- A cancellation gives back, a no-show and a finish free: they run at the ceiling too.
fn('aforo_reseat', reseat, {'allow-oom'})
fn('aforo_extend', extend)
fn('aforo_change', change)
fn('aforo_guest', guest, {'allow-oom'})
fn('aforo_wait_join', wait_join)
-- Leaving gives an offer's units back: it runs at the ceiling too.
fn('aforo_wait_leave', wait_leave, {'allow-oom'})
fn('aforo_wait_replan', wait_replan)
fn('aforo_read', read, {'allow-oom'})
fn('aforo_put', put)
fn('aforo_stock', stock)
fn('aforo_pause', pause)
fn('aforo_archive', archive, {'allow-oom'})
fn('aforo_quota', quota, {'allow-oom'})
fn('aforo_sweep', sweep, {'allow-oom'})
fn('aforo_due_claim', due_claim)
fn('aforo_due_done', due_done)
fn('aforo_check', check)
fn('aforo_bookings', bookings, {'no-writes', 'allow-oom'})
fn('aforo_index', index, {'allow-oom'})
fn('aforo_compact', compact, {'allow-oom'})
