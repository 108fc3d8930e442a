//! Every Redis key name of Aforo, in one place.

use sha2::{Digest, Sha256};

/// The sorted set of resources whose next hold expiry is due, read by the sweeper.
pub const DUE: &str = "af:due";

/// The audit stream of releases before sharding: still read (until its events pass the
/// retention), no longer written.
pub const AUDIT: &str = "af:audit";

/// Audit shard `i` of a deployment: each its own cluster slot, written in turn, read merged.
pub fn audit_shard(i: usize) -> String {
    format!("af:{{audit:{i}}}")
}

/// Every live resource id, for listings (a sorted set, all scores 0: ordered by id).
pub const RESOURCES: &str = "af:resources";

/// The deployment's default enforcement (`enforce` | `shadow`), for documents that name none.
pub const ENFORCEMENT: &str = "af:enforcement";

/// The read-only switch shared by every origin on this Redis.
pub const MODE: &str = "af:mode";

/// The lease of a compaction round (one origin at a time walks every resource).
pub const COMPACT_LEASE: &str = "af:compact:lease";

/// Set once every seller's quota figures were counted on this Redis (they are kept by every
/// document write from then on; the count is for a Redis that had documents before them).
pub const QUOTAS_COUNTED: &str = "af:quota:counted";

/// Resources whose waiting entries must be planned again: named before a document, stock or
/// pause write and dropped once its entries are planned on the new version, so that an origin
/// dying in between leaves the work to the others' loop (waitlist::plan).
pub const WAIT_REPLAN: &str = "af:waitlist:replan";

/// The pattern of every resource's meta key, for scans.
pub const META_PATTERN: &str = "af:{r:*}:m";

/// The keys of one resource; they share the hash tag `{r:<id>}` (one cluster slot).
#[derive(Debug, Clone)]
pub struct ResourceKeys {
    prefix: String,
}

impl ResourceKeys {
    /// Keys of resource `id` (already validated by the core's id rule).
    pub fn new(id: &str) -> Self {
        ResourceKeys { prefix: format!("af:{{r:{id}}}:") }
    }

    /// Meta hash: doc, owner, version, on_hand, pause.
    pub fn meta(&self) -> String {
        format!("{}m", self.prefix)
    }

    /// Counter hash.
    pub fn counters(&self) -> String {
        format!("{}c", self.prefix)
    }

    /// Expiry zset.
    pub fn expiry(&self) -> String {
        format!("{}x", self.prefix)
    }

    /// Settled ledger: units of consumed holds per bucket.
    pub fn settled(&self) -> String {
        format!("{}s", self.prefix)
    }

    /// Availability change stream for downstream consumers (docs/events.md).
    pub fn events(&self) -> String {
        format!("{}e", self.prefix)
    }

    /// One hold's record on this resource.
    pub fn hold(&self, hold_id: &str) -> String {
        format!("{}h:{hold_id}", self.prefix)
    }

    /// The entry of a caller's `Idempotency-Key` on a stock change: the payload hash and the
    /// answer, in the resource's slot so that the change and the entry are one atomic step.
    pub fn stock_entry(&self, caller: &str, key: &str) -> String {
        format!("{}i:{}", self.prefix, digest(&[b"stock", caller.as_bytes(), key.as_bytes()]))
    }

    /// The bookings index: one member per hold item, ordered by start (docs/retention.md).
    pub fn bookings(&self) -> String {
        format!("{}b", self.prefix)
    }

    /// Where the compaction of old dates stands.
    pub fn compaction(&self) -> String {
        format!("{}z", self.prefix)
    }

    /// The pattern of every hold record of this resource (the one-off upgrade's scan).
    pub fn hold_pattern(&self) -> String {
        format!("{}h:*", self.prefix)
    }

    /// The ids of the holds of a date (kept for resources with tables: the host view).
    pub fn date_index(&self, date: &str) -> String {
        format!("{}j:{date}", self.prefix)
    }

    /// One waiting-list entry (a hash; lua/waitlist.lua).
    pub fn wait_entry(&self, entry_id: &str) -> String {
        format!("{}w:{entry_id}", self.prefix)
    }

    /// The entries waiting on a date (`all` for undated stock), by arrival.
    pub fn wait_queue(&self, date: &str) -> String {
        format!("{}wq:{date}", self.prefix)
    }

    /// Every entry of a date, by arrival, ended ones included (the seller's list).
    pub fn wait_all(&self, date: &str) -> String {
        format!("{}wa:{date}", self.prefix)
    }

    /// Buyer -> its live entry on a date.
    pub fn wait_buyers(&self, date: &str) -> String {
        format!("{}wb:{date}", self.prefix)
    }

    /// The dates with entries waiting.
    pub fn wait_dates(&self) -> String {
        format!("{}wd", self.prefix)
    }
}

/// The counter of the units a buyer holds (not yet consumed) on a resource: `~h:<digest>`.
/// Counters under `~` are the library's own: never in events, snapshots or the drift check.
pub fn buyer_held(buyer: &str) -> String {
    format!("~h:{}", digest(&[b"buyer", buyer.as_bytes()]))
}

/// The counter of the units a buyer holds or bought on `date` (`all` for undated stock):
/// `~u:<date>:<digest>`, dropped by compaction once the date is old.
pub fn buyer_on(date: &str, buyer: &str) -> String {
    format!("~u:{date}:{}", digest(&[b"buyer", buyer.as_bytes()]))
}

/// The live resource ids of one owner (a sorted set like [`RESOURCES`]).
pub fn owned_by(owner: &str) -> String {
    format!("af:owner:{}", digest(&[b"owner", owner.as_bytes()]))
}

/// One seller's footprint: a hash of `resources` (live documents) and `bytes` (stored
/// document bytes, archived summaries included), in a slot of its own (`{s:<hash of the
/// owner>}`): a resource's library call cannot reach it, so the origin keeps it around the
/// document writes (docs/limits.md, "Seller quotas").
pub fn seller_quota(owner: &str) -> String {
    format!("af:{{s:{}}}:q", digest(&[b"seller", owner.as_bytes()]))
}

/// 32 hex characters of SHA-256 over the parts, each followed by a NUL (so that `a`,`bc` and
/// `ab`,`c` differ).
fn digest(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
        h.update([0]);
    }
    h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The resource id of a meta key (`af:{r:<id>}:m`).
pub fn resource_of_meta(key: &str) -> Option<&str> {
    key.strip_prefix("af:{r:")?.strip_suffix("}:m").filter(|id| aforo_core::valid_resource_id(id))
}

/// A hold id of releases before opaque ids (`super::ids`), still read: it names its home
/// resource in clear, `h_<26 characters>_<resource id>`.
pub fn hold_id(ulid: &str, home: &str) -> String {
    format!("h_{ulid}_{home}")
}

/// The id a hold made by a release before opaque ids has: derived from (caller, key) and its
/// home, so that a retry of such a hold's key lands on it.
pub fn legacy_hold_id(caller: &str, key: &str, home: &str) -> String {
    let mut h = Sha256::new();
    h.update(caller.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    hold_id(&hex[..26], home)
}

/// The claim of a caller's idempotency key: `af:{k:<hash of caller and key>}`, holding the
/// payload hash and home resource of the request that first used the key. A key belongs to
/// its caller across resources (the hold id alone, derived from the home resource too, would
/// let the same key make a hold on each resource). The claim is its own cluster slot, so it
/// is a separate call before the hold's.
pub fn claim(caller: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"claim\0");
    h.update(caller.as_bytes());
    h.update([0]);
    h.update(key.as_bytes());
    let hex: String = h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("af:{{k:{hex}}}")
}

/// The home resource of a hold id, if the id is well formed.
pub fn home_of(hold_id: &str) -> Option<&str> {
    let rest = hold_id.strip_prefix("h_")?;
    if rest.len() < 28 || !rest.is_char_boundary(26) || rest.as_bytes()[26] != b'_' {
        return None;
    }
    let (ulid, home) = (&rest[..26], &rest[27..]);
    (ulid.bytes().all(|b| b.is_ascii_alphanumeric()) && aforo_core::valid_resource_id(home)).then_some(home)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_ids_round_trip_their_home() {
        let id = hold_id("01JD5Q8ZK3M4N5P6Q7R8S9T0VW", "trattoria_1");
        assert_eq!(home_of(&id), Some("trattoria_1"));
        assert_eq!(home_of("h_short_x"), None);
        assert_eq!(home_of("x_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_a"), None);
        assert_eq!(home_of("h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_"), None);
        assert_eq!(home_of("h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_a b"), None);
    }

    #[test]
    fn keys_share_the_hash_tag() {
        let k = ResourceKeys::new("r1");
        for key in [
            k.meta(),
            k.counters(),
            k.expiry(),
            k.hold("h"),
            k.date_index("2027-01-01"),
            k.settled(),
            k.events(),
            k.bookings(),
            k.compaction(),
        ] {
            assert!(key.starts_with("af:{r:r1}:"), "{key}");
        }
    }

    #[test]
    fn buyer_counters_are_private_and_name_no_buyer() {
        let h = buyer_held("ana@example.com");
        assert!(h.starts_with("~h:") && !h.contains("ana"), "{h}");
        assert_ne!(h, buyer_held("bob"));
        let u = buyer_on("2027-01-01", "ana@example.com");
        assert!(u.starts_with("~u:2027-01-01:") && u.ends_with(&h[3..]), "{u}");
    }

    #[test]
    fn stock_entries_are_per_caller_and_key_in_the_resource_slot() {
        let k = ResourceKeys::new("shop");
        let e = k.stock_entry("seller-1", "sync-7");
        assert!(e.starts_with("af:{r:shop}:i:"), "{e}");
        assert_ne!(e, k.stock_entry("seller-2", "sync-7"));
        assert_ne!(k.stock_entry("a", "bc"), k.stock_entry("ab", "c"));
        assert_ne!(owned_by("a"), owned_by("b"));
        assert_ne!(seller_quota("a"), seller_quota("b"));
        assert!(seller_quota("a").starts_with("af:{s:") && seller_quota("a").ends_with("}:q"));
    }

    #[test]
    fn claims_are_per_caller_and_key_in_their_own_slot() {
        let c = claim("buyer-1", "order-7");
        assert_eq!(c, claim("buyer-1", "order-7"));
        assert!(c.starts_with("af:{k:") && c.ends_with('}') && c.len() == "af:{k:}".len() + 32, "{c}");
        assert_ne!(c, claim("buyer-2", "order-7"));
        assert_ne!(claim("a", "bc"), claim("ab", "c"));
    }
}
