//! Re-enabling a disabled webhook endpoint (docs/webhooks.md, "Disabled, and enabled
//! again"), in two atomic steps on the endpoint's keys. [`Store::wh_enable_begin`] ends the
//! failure streak and either drops the backlog (the endpoint is `enabled` at once: events
//! from now on) or keeps it: the endpoint is then `resuming`: the fan-out queues its new
//! events behind the backlog, but nothing is sent yet. The caller gathers the events of the
//! gap (committed while it was disabled, from the resources' streams) and
//! [`Store::wh_enable_finish`] puts them between the backlog and the events queued since the
//! first step, each event once, and sets it `enabled`.

use fred::prelude::*;

use super::webhooks::{ep, VERSION};
use super::{Store, StoreError};

// KEYS: record, queue. ARGV: 'keep' or 'drop', now ms. Returns {-1} gone, {0} already
// enabled, else {1, disabled_at ms, dropped}. Keeps `resume_mark`, the last entry of the
// queue when the endpoint stopped (events after it were queued since), across a re-run.
const BEGIN: &str = r"
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {-1} end
if st == 'enabled' then return {0} end
local disabled_at = tonumber(redis.call('HGET', KEYS[1], 'disabled_at') or '0') or 0
if st == 'disabled' then
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  local mark = '0-0'
  if #last > 0 then mark = last[1][1] end
  redis.call('HSET', KEYS[1], 'resume_mark', mark, 'resume_from', disabled_at)
end
local dropped = 0
local next = 'resuming'
if ARGV[1] == 'drop' then
  dropped = redis.call('XLEN', KEYS[2])
  redis.call('DEL', KEYS[2])
  next = 'enabled'
end
redis.call('HSET', KEYS[1], 'status', next, 'attempt', '0', 'head', '', 'next_at', '0', 'first_fail_ms', '0',
  'disabled_at', '0', 'enabled_at', ARGV[2])
if dropped > 0 then redis.call('HINCRBY', KEYS[1], 'dropped', dropped) end
local from = tonumber(redis.call('HGET', KEYS[1], 'resume_from') or '') or disabled_at
if next == 'enabled' then redis.call('HDEL', KEYS[1], 'resume_mark', 'resume_from') end
return {1, from, dropped}
";

// KEYS: record, queue. ARGV: cap, then per event id, type, resource, at_ms, body (the gap,
// in order). The queue becomes: its entries up to the mark, the gap's events, the entries
// queued since; each event id once; past the cap the oldest dropped. Returns {-1} when the
// endpoint is no longer resuming, else {events added, dropped}.
const FINISH: &str = r"
if redis.call('HGET', KEYS[1], 'status') ~= 'resuming' then return {-1} end
local mark = redis.call('HGET', KEYS[1], 'resume_mark') or '0-0'
local seen = {}
for _, e in ipairs(redis.call('XRANGE', KEYS[2], '-', mark)) do
  for i = 1, #e[2], 2 do if e[2][i] == 'id' then seen[e[2][i + 1]] = true end end
end
local since = redis.call('XRANGE', KEYS[2], '(' .. mark, '+')
for _, e in ipairs(since) do redis.call('XDEL', KEYS[2], e[1]) end
local added = 0
for i = 2, #ARGV, 5 do
  if not seen[ARGV[i]] then
    seen[ARGV[i]] = true
    redis.call('XADD', KEYS[2], '*', 'id', ARGV[i], 'type', ARGV[i + 1], 'resource', ARGV[i + 2], 'at', ARGV[i + 3], 'body', ARGV[i + 4])
    added = added + 1
  end
end
for _, e in ipairs(since) do
  local f = e[2]
  local id
  for i = 1, #f, 2 do if f[i] == 'id' then id = f[i + 1] end end
  if id and not seen[id] then
    seen[id] = true
    redis.call('XADD', KEYS[2], '*', unpack(f))
  end
end
local dropped = 0
local cap = tonumber(ARGV[1])
if redis.call('XLEN', KEYS[2]) > cap then
  dropped = redis.call('XTRIM', KEYS[2], 'MAXLEN', '=', cap)
  redis.call('HINCRBY', KEYS[1], 'dropped', dropped)
end
redis.call('HSET', KEYS[1], 'status', 'enabled')
redis.call('HDEL', KEYS[1], 'resume_mark', 'resume_from')
return {added, dropped}
";

/// What the first step of a re-enabling found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begun {
    /// No such endpoint.
    Gone,
    /// It was enabled already: nothing changed.
    AlreadyEnabled,
    /// Enabled (`drop`) or resuming (`keep`): when it had been disabled (ms), the events its
    /// backlog lost (`drop`).
    Started {
        /// When it was disabled, ms (the gap starts there).
        disabled_at: i64,
        /// Events dropped from its backlog.
        dropped: u64,
    },
}

impl Store {
    /// First step of re-enabling endpoint `id` (see the module); `keep`: its backlog stays.
    /// Bumps the endpoints' version, so that every fan-out reads the new status before it
    /// handles another entry.
    pub async fn wh_enable_begin(&self, id: &str, keep: bool, now_ms: i64) -> Result<Begun, StoreError> {
        let args = vec![if keep { "keep" } else { "drop" }.to_string(), now_ms.to_string()];
        let r: Vec<Value> = self.script("wh_enable_begin", BEGIN, vec![ep(id, "h"), ep(id, "q")], args).await?;
        let num = |i: usize| r.get(i).and_then(|v| v.as_i64()).unwrap_or(0);
        let begun = match num(0) {
            -1 => return Ok(Begun::Gone),
            0 => return Ok(Begun::AlreadyEnabled),
            _ => Begun::Started { disabled_at: num(1), dropped: u64::try_from(num(2)).unwrap_or(0) },
        };
        self.wh_bump().await?;
        Ok(begun)
    }

    /// Moves the endpoints' version: every origin reloads them before its next step.
    async fn wh_bump(&self) -> Result<(), StoreError> {
        let c = self.pool.next().clone();
        self.guarded("incr", async move { c.incr(VERSION).await }).await.map(|_: i64| ())
    }

    /// Second step: the gap's `events` (id, type, resource, at ms, body; in order) placed
    /// after the backlog, then `enabled`. `None` when it is no longer resuming (another
    /// call finished it, or it was deleted); else (events added, events dropped by `cap`).
    pub async fn wh_enable_finish(&self, id: &str, cap: u64, events: Vec<[String; 5]>) -> Result<Option<(u64, u64)>, StoreError> {
        let mut args = vec![cap.to_string()];
        args.extend(events.into_iter().flatten());
        let r: Vec<i64> = self.script("wh_enable_finish", FINISH, vec![ep(id, "h"), ep(id, "q")], args).await?;
        let [a, d] = r.as_slice() else { return Ok(None) };
        self.wh_bump().await?;
        Ok(Some((u64::try_from(*a).unwrap_or(0), u64::try_from(*d).unwrap_or(0))))
    }
}
