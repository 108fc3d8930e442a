//! A hold's steps in Redis: take one resource's part (`aforo_hold`), the caller's claim on
//! its idempotency key, finish a cart, release, consume, retake, and the records they leave.

use std::collections::HashMap;
use std::time::Duration;

use aforo_core::{HoldPlan, ItemView, Take};
use chrono::NaiveDate;
use fred::prelude::*;

use super::client::Store;
use super::error::StoreError;
use super::keys::{buyer_held, buyer_on, claim, ResourceKeys};
use super::records::{HoldRecord, HoldStatus};
use super::reply::{HoldReply, PartReply};

/// One table or join a hold may seat: the label its record keeps, and what it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The table type or join, as the record's `table` names it.
    pub label: String,
    /// The table counters it takes, on top of the part's takes.
    pub takes: Vec<Take>,
}

impl Choice {
    /// The choices of a plan, best fit first.
    pub fn of_plan(plan: &HoldPlan) -> Vec<Choice> {
        plan.choices.iter().zip(&plan.choice_labels).map(|(takes, label)| Choice { label: label.clone(), takes: takes.clone() }).collect()
    }
}

/// What only the home part (the first item's resource) of a hold keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// Every item of the hold as answered, in request order.
    pub body: Vec<ItemView>,
    /// The other resources of a cart, in order (empty for one resource).
    pub parts: Vec<String>,
}

/// A buyer's share of one resource's part (`per_buyer`, docs/abuse.md): its counters are
/// checked and taken with the units, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerShare {
    /// The buyer's `sub`.
    pub buyer: String,
    /// Units the part holds.
    pub units: u32,
    /// The most the buyer may hold at once.
    pub max_held: u32,
    /// Units per date (`YYYY-MM-DD`, `all` for undated stock), with `max_units_per_date`;
    /// empty without that limit.
    pub dates: Vec<(String, u32)>,
    /// `max_units_per_date`.
    pub max_per_date: u32,
}

impl BuyerShare {
    /// Its take lines, as [`encode_takes`] writes a unit's.
    pub fn encode(&self) -> String {
        let mut s = format!("{}\t{}\t{}\n", buyer_held(&self.buyer), self.units, self.max_held);
        for (date, n) in &self.dates {
            s.push_str(&format!("{}\t{n}\t{}\n", buyer_on(date, &self.buyer), self.max_per_date));
        }
        s
    }
}

/// An expired part taken again at consume, as planned anew.
#[derive(Debug, Clone, Copy)]
pub struct Retake<'a> {
    /// The version planned against.
    pub version: u64,
    /// Its takes.
    pub takes: &'a [Take],
    /// Its table choices.
    pub choices: &'a [Choice],
    /// The buyer's share.
    pub buyer: Option<&'a BuyerShare>,
    /// How long after its expiry a part may still be taken again.
    pub grace: Duration,
}

/// One resource's part of a hold, as `aforo_hold` takes it: all of its takes and one choice
/// that fits are taken, or nothing.
#[derive(Debug, Clone)]
pub struct HoldArgs {
    /// The resource.
    pub resource: String,
    /// The document version the takes were planned against (refused if it moved).
    pub version: u64,
    /// The hold id (the same on every resource of a cart).
    pub hold_id: String,
    /// The hash of the request's payload: the same key with another payload is refused.
    pub payload_hash: String,
    /// How long the units stay taken.
    pub ttl: Duration,
    /// How long the record stays (it is the key's idempotency entry too).
    pub record_ttl: Duration,
    /// The buyer's `sub`.
    pub caller: String,
    /// `held`, or `pending` for the home part of a cart until every part is taken.
    pub status: HoldStatus,
    /// Counters to add to, each within its limit.
    pub takes: Vec<Take>,
    /// Tables or joins, best fit first: the first that fits is taken too.
    pub choices: Vec<Choice>,
    /// The date whose host-view index lists the hold (resources with tables).
    pub date_index: Option<NaiveDate>,
    /// The end of the part's last date in the resource's timezone (ms; `None` for undated
    /// stock: the hold's creation). Consumed, the part is kept until then + `retention`.
    pub retain_until_ms: Option<i64>,
    /// How long a consumed part is kept after `retain_until_ms`.
    pub retention: Duration,
    /// Each item's start (ms) in the bookings index (`None`: undated, the creation).
    pub starts_ms: Vec<Option<i64>>,
    /// This part's items.
    pub items: Vec<ItemView>,
    /// The home part's extra fields.
    pub home: Option<Home>,
    /// Shadow enforcement: limits checked and recorded, not refused.
    pub shadow: bool,
    /// The buyer's share, for a hold a buyer makes.
    pub buyer: Option<BuyerShare>,
    /// The role of the caller when it is not a buyer (a walk-in's seller, ops): holds are
    /// owned by role and subject.
    pub role: Option<String>,
    /// Who the booking is for: kept on the record, never in an event.
    pub guest: Option<aforo_core::Guest>,
}

/// Encodes takes for the library: `bucket\tqty\tlimit\n` per take.
pub fn encode_takes(takes: &[Take]) -> String {
    let mut s = String::with_capacity(takes.len() * 32);
    for t in takes {
        s.push_str(&format!("{}\t{}\t{}\n", t.bucket, t.qty, t.limit));
    }
    s
}

/// Encodes table choices for the library: per choice its label, a newline, its take lines;
/// choices separated by the ASCII record separator.
pub fn encode_choices(choices: &[Choice]) -> String {
    choices.iter().map(|c| format!("{}\n{}", c.label, encode_takes(&c.takes))).collect::<Vec<_>>().join("\u{1e}")
}

/// Encodes item starts for the library: ms, ',' joined, `u` for undated (the creation).
pub fn encode_starts(starts: &[Option<i64>]) -> String {
    starts.iter().map(|s| s.map_or_else(|| "u".to_string(), |t| t.to_string())).collect::<Vec<_>>().join(",")
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Reply("hold arguments", e.to_string()))
}

/// The positions of a hold's arguments in a call of `aforo_hold` (1-based, as Lua reads them),
/// the same as `A` in lua/holds.lua (a test holds the two equal).
pub mod arg {
    /// The document version planned against.
    pub const VERSION: usize = 1;
    /// The hold id.
    pub const ID: usize = 2;
    /// The payload hash.
    pub const HASH: usize = 3;
    /// Milliseconds the units stay taken.
    pub const TTL: usize = 4;
    /// Milliseconds the record lives.
    pub const LIFE: usize = 5;
    /// The caller's `sub`.
    pub const CALLER: usize = 6;
    /// `held`, `pending` or `consumed`.
    pub const STATUS: usize = 7;
    /// The takes (units and the buyer's share).
    pub const TAKES: usize = 8;
    /// The table choices.
    pub const CHOICES: usize = 9;
    /// The items (JSON).
    pub const ITEMS: usize = 10;
    /// The end of the last date (ms), or empty.
    pub const RETAIN: usize = 11;
    /// The retention (ms).
    pub const RETENTION: usize = 12;
    /// The items' starts.
    pub const STARTS: usize = 13;
    /// The first of the extra field/value pairs for the record.
    pub const EXTRA: usize = 14;
}

/// The positions of the keys of a call of `aforo_hold` (1-based), the same as `K` in
/// lua/holds.lua: the resource's, then per hold its record and, if it has one, its date index.
pub mod key {
    /// Meta hash.
    pub const META: usize = 1;
    /// Counters.
    pub const COUNTERS: usize = 2;
    /// Expiry zset.
    pub const EXPIRY: usize = 3;
    /// Bookings index.
    pub const BOOKINGS: usize = 4;
    /// Settled ledger.
    pub const SETTLED: usize = 5;
    /// The first key of the holds'.
    pub const HOLDS: usize = 6;
}

impl HoldArgs {
    /// This hold's own keys (its record, its date index if any) and its arguments, in the
    /// positions of [`arg`].
    pub(super) fn wire(&self) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let k = ResourceKeys::new(&self.resource);
        let mut keys = vec![k.hold(&self.hold_id)];
        keys.extend(self.date_index.map(|d| k.date_index(&d.to_string())));
        let mut args = vec![String::new(); arg::EXTRA - 1];
        let mut put = |i: usize, v: String| args[i - 1] = v;
        put(arg::VERSION, self.version.to_string());
        put(arg::ID, self.hold_id.clone());
        put(arg::HASH, self.payload_hash.clone());
        put(arg::TTL, self.ttl.as_millis().to_string());
        put(arg::LIFE, self.record_ttl.as_millis().to_string());
        put(arg::CALLER, self.caller.clone());
        put(arg::STATUS, self.status.as_str().to_string());
        put(arg::TAKES, encode_takes(&self.takes) + &self.buyer.as_ref().map(BuyerShare::encode).unwrap_or_default());
        put(arg::CHOICES, encode_choices(&self.choices));
        // A one-resource hold's items are its body: kept once (HoldRecord reads them there).
        let once = self.home.as_ref().is_some_and(|h| h.parts.is_empty() && h.body == self.items);
        put(arg::ITEMS, if once { String::new() } else { to_json(&self.items)? });
        put(arg::RETAIN, self.retain_until_ms.map(|t| t.to_string()).unwrap_or_default());
        put(arg::RETENTION, self.retention.as_millis().to_string());
        put(arg::STARTS, encode_starts(&self.starts_ms));
        if let Some(h) = &self.home {
            args.extend(["body".to_string(), to_json(&h.body)?, "parts".to_string(), h.parts.join(",")]);
        }
        if self.shadow {
            args.extend(["enforcement".to_string(), "shadow".to_string()]);
        }
        if let Some(role) = &self.role {
            args.extend(["role".to_string(), role.clone()]);
        }
        if let Some(g) = &self.guest {
            args.extend(["guest".to_string(), to_json(g)?, "guest_q".to_string(), g.search_text()]);
        }
        Ok((keys, args))
    }
}

impl Store {
    /// Takes one resource's part of a hold atomically (`hold` in the library): every take and
    /// one fitting choice, or nothing; a replay of the same key answers the part as it is.
    pub async fn hold_part(&self, a: &HoldArgs) -> Result<HoldReply, StoreError> {
        let mut replies = self.hold_group(&a.resource, std::slice::from_ref(a)).await?;
        replies.pop().ok_or_else(|| StoreError::Reply("aforo_hold", "no answer for the hold".into()))
    }

    /// Claims a caller's idempotency key for `value` (`<payload hash> <home> <nonce>`) for
    /// `ttl`, unless it is claimed already: `None` when this call claimed it, else the value
    /// of the claim that stands (`SET NX GET`, one round trip).
    pub async fn claim(&self, caller: &str, key: &str, value: &str, ttl: Duration) -> Result<Option<String>, StoreError> {
        let args = vec![claim(caller, key), value.to_string(), "NX".into(), "PX".into(), ttl.as_millis().max(1).to_string(), "GET".into()];
        let v: Value = self.guarded("claim", self.pool.next().custom(fred::cmd!("SET"), args)).await?;
        match v {
            Value::Null => Ok(None),
            other => Ok(Some(other.convert::<String>().map_err(|e| StoreError::Reply("claim", e.to_string()))?)),
        }
    }

    /// Drops a claim this request made, if it still holds `value` (a compare-and-delete, so
    /// that another request's claim is never dropped).
    pub async fn unclaim(&self, caller: &str, key: &str, value: &str) -> Result<(), StoreError> {
        const DROP: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
        self.guarded("unclaim", self.pool.next().eval::<i64, _, _, _>(DROP, vec![claim(caller, key)], vec![value.to_string()])).await?;
        Ok(())
    }

    /// Turns a cart's pending home part into held; answers the part's status after it
    /// (`None` when there is no such part).
    pub async fn finish(&self, id: &str, hold_id: &str) -> Result<Option<HoldStatus>, StoreError> {
        let out = self.fcall("aforo_finish", vec![ResourceKeys::new(id).hold(hold_id)], Vec::new()).await?.into_inner();
        match out.first().map(String::as_str).unwrap_or("") {
            "" => Ok(None),
            s => s.parse().map(Some).map_err(|_| StoreError::Reply("aforo_finish", s.to_string())),
        }
    }

    /// Releases a part (`void`: a cart step undone, as if its key had never been used).
    pub async fn release(&self, id: &str, hold_id: &str, void: bool) -> Result<PartReply, StoreError> {
        let k = ResourceKeys::new(id);
        let mode = if void { "void" } else { "release" };
        let keys = vec![k.counters(), k.expiry(), k.hold(hold_id)];
        PartReply::parse(&self.fcall("aforo_release", keys, vec![mode.to_string()]).await?)
    }

    /// Consumes a part.
    pub async fn consume(&self, id: &str, hold_id: &str) -> Result<PartReply, StoreError> {
        let k = ResourceKeys::new(id);
        let keys = vec![k.counters(), k.expiry(), k.hold(hold_id), k.settled(), k.bookings()];
        PartReply::parse(&self.fcall_reclaiming("aforo_consume", id, keys, vec![]).await?)
    }

    /// Consumes an expired part by taking its units (and a table) again.
    pub async fn retake(&self, id: &str, hold_id: &str, r: &Retake<'_>) -> Result<PartReply, StoreError> {
        let k = ResourceKeys::new(id);
        let keys = vec![k.meta(), k.counters(), k.hold(hold_id), k.settled(), k.bookings()];
        let takes = encode_takes(r.takes) + &r.buyer.map(BuyerShare::encode).unwrap_or_default();
        let args = vec![r.version.to_string(), takes, encode_choices(r.choices), r.grace.as_millis().to_string()];
        PartReply::parse(&self.fcall("aforo_retake", keys, args).await?)
    }

    /// The ids of the holds of a date on a resource with tables.
    pub async fn holds_of_date(&self, id: &str, date: &str) -> Result<Vec<String>, StoreError> {
        self.guarded("smembers", self.pool.next().smembers(ResourceKeys::new(id).date_index(date))).await
    }

    /// A hold part's record, if there is one.
    pub async fn hold_record(&self, id: &str, hold_id: &str) -> Result<Option<HoldRecord>, StoreError> {
        let h: HashMap<String, String> = self.guarded("hgetall", self.pool.next().hgetall(ResourceKeys::new(id).hold(hold_id))).await?;
        HoldRecord::parse(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `name = n` pairs of the Lua table `local <table> = {...}` in lua/holds.lua.
    fn lua_table(table: &str) -> Vec<(String, usize)> {
        let src = include_str!("lua/holds.lua");
        let start = src.find(&format!("local {table} = {{")).unwrap_or_else(|| panic!("no table {table} in holds.lua"));
        let body = &src[start..start + src[start..].find('}').unwrap_or(0)];
        let body = body.split_once('{').map_or("", |(_, b)| b);
        body.split(',').filter_map(|p| p.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim().parse().unwrap_or(0))).collect()
    }

    #[test]
    fn argument_and_key_positions_are_the_same_in_rust_and_lua() {
        let args = [
            ("version", arg::VERSION),
            ("id", arg::ID),
            ("hash", arg::HASH),
            ("ttl", arg::TTL),
            ("life", arg::LIFE),
            ("caller", arg::CALLER),
            ("status", arg::STATUS),
            ("takes", arg::TAKES),
            ("choices", arg::CHOICES),
            ("items", arg::ITEMS),
            ("retain", arg::RETAIN),
            ("retention", arg::RETENTION),
            ("starts", arg::STARTS),
            ("extra", arg::EXTRA),
        ];
        let keys = [
            ("meta", key::META),
            ("counters", key::COUNTERS),
            ("expiry", key::EXPIRY),
            ("bookings", key::BOOKINGS),
            ("settled", key::SETTLED),
            ("holds", key::HOLDS),
        ];
        let want = |pairs: &[(&str, usize)]| pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect::<Vec<_>>();
        assert_eq!(lua_table("A"), want(&args));
        assert_eq!(lua_table("K"), want(&keys));
    }
}
