//! Every Redis key name of Aforo, in one place.

use sha2::{Digest, Sha256};

/// The sorted set of resources whose next hold expiry is due, read by the sweeper.
pub const DUE: &str = "af:due";

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

    /// One hold's record on this resource.
    pub fn hold(&self, hold_id: &str) -> String {
        format!("{}h:{hold_id}", self.prefix)
    }

    /// The ids of the holds of a date (kept for resources with tables: the host view).
    pub fn date_index(&self, date: &str) -> String {
        format!("{}j:{date}", self.prefix)
    }

    /// Idempotency entry of a caller's key (hashed: keys are caller-chosen text), for the
    /// `part`-th resource of a request.
    pub fn idempotency(&self, caller: &str, key: &str, part: usize) -> String {
        let mut h = Sha256::new();
        h.update(caller.as_bytes());
        h.update([0]);
        h.update(key.as_bytes());
        h.update([0]);
        h.update(part.to_le_bytes());
        let d = h.finalize();
        let hex: String = d[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("{}i:{hex}", self.prefix)
    }
}

/// A hold id names its home resource so that the hold is found without a global index:
/// `h_<26-char ULID>_<resource id>`.
pub fn hold_id(ulid: &str, home: &str) -> String {
    format!("h_{ulid}_{home}")
}

/// The home resource of a hold id, if the id is well formed.
pub fn home_of(hold_id: &str) -> Option<&str> {
    let rest = hold_id.strip_prefix("h_")?;
    if rest.len() < 28 || !rest.is_char_boundary(26) || rest.as_bytes()[26] != b'_' {
        return None;
    }
    let (ulid, home) = (&rest[..26], &rest[27..]);
    (ulid.bytes().all(|b| b.is_ascii_alphanumeric()) && aforo_core::plan::valid_resource_id(home)).then_some(home)
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
        for key in [k.meta(), k.counters(), k.expiry(), k.hold("h"), k.idempotency("c", "k", 0)] {
            assert!(key.starts_with("af:{r:r1}:"), "{key}");
        }
        assert_ne!(k.idempotency("a", "bc", 0), k.idempotency("ab", "c", 0));
        assert_ne!(k.idempotency("a", "b", 0), k.idempotency("a", "b", 1));
    }
}
