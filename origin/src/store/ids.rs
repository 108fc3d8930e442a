//! Hold ids that reveal nothing: not the resource a hold is on (a seller would learn where else
//! a buyer shopped), not the buyer, not its `Idempotency-Key`.
//!
//! A hold is still found without a global index: its id carries its home resource encrypted
//! under the deployment's id key. `hk_<26 hex>` is a keyed hash of (caller, key), so a retry
//! lands on the same id; the rest is the home resource id, padded to 32 or 80 bytes and
//! XORed with an HMAC-SHA-256 keystream seeded by that hash (unique per hold), in URL-safe
//! base64. Tampered ids fail the padding and id checks and answer 404 before Redis is asked.
//! Ids of earlier releases (`h_<26>_<resource>`) are still read.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::keys;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of opaque hold ids.
const PREFIX: &str = "hk_";
/// Hex characters of the keyed hash of (caller, key).
const TAG_HEX: usize = 26;

/// The longest hold id: prefix, tag, an 80-byte padded home in base64.
pub const MAX_HOLD_ID: usize = PREFIX.len() + TAG_HEX + 107;

/// Makes and reads hold ids under one deployment key (every origin of a deployment shares it).
#[derive(Clone)]
pub struct HoldIds {
    key: Vec<u8>,
}

impl std::fmt::Debug for HoldIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HoldIds(..)")
    }
}

impl HoldIds {
    /// Ids under `secret` (`AFORO_HOLD_ID_SECRET`, or the JWT secret): ids made under one
    /// secret are not found under another.
    pub fn new(secret: &[u8]) -> Self {
        HoldIds { key: mac(b"aforo hold ids", &[secret]).to_vec() }
    }

    /// The id of the hold `caller` makes with its `Idempotency-Key` `key`, at home on `home`.
    pub fn make(&self, caller: &str, key: &str, home: &str) -> String {
        let tag: String =
            mac(&self.key, &[b"tag", caller.as_bytes(), key.as_bytes()]).iter().take(TAG_HEX / 2).map(|b| format!("{b:02x}")).collect();
        let width = if home.len() < 32 { 32 } else { 80 };
        let mut padded = vec![0u8; width];
        padded[0] = home.len() as u8;
        padded[1..=home.len()].copy_from_slice(home.as_bytes());
        self.xor(&tag, &mut padded);
        format!("{PREFIX}{tag}{}", URL_SAFE_NO_PAD.encode(padded))
    }

    /// The home resource of a hold id, if it is one of ours (or of an earlier release).
    pub fn home_of(&self, id: &str) -> Option<String> {
        let Some(rest) = id.strip_prefix(PREFIX) else { return keys::home_of(id).map(str::to_string) };
        if id.len() > MAX_HOLD_ID || rest.len() <= TAG_HEX || !rest.is_char_boundary(TAG_HEX) {
            return None;
        }
        let (tag, body) = rest.split_at(TAG_HEX);
        if !tag.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return None;
        }
        let mut padded = URL_SAFE_NO_PAD.decode(body).ok().filter(|p| p.len() == 32 || p.len() == 80)?;
        self.xor(tag, &mut padded);
        let n = usize::from(padded[0]);
        let (home, pad) = padded.get(1..=n).zip(padded.get(n + 1..))?;
        let home = std::str::from_utf8(home).ok().filter(|h| aforo_core::valid_resource_id(h))?;
        (pad.iter().all(|b| *b == 0) && (padded.len() == 32) == (n < 32)).then(|| home.to_string())
    }

    /// The id of the waiting-list entry `caller` makes with key `key` on `home`: the hold id
    /// the key would give, `wk_` for `hk_` (its home is read the same way).
    pub fn make_entry(&self, caller: &str, key: &str, home: &str) -> String {
        format!("wk_{}", &self.make(caller, key, home)[PREFIX.len()..])
    }

    /// The home resource of a waiting-list entry id, if it is one of ours.
    pub fn entry_home(&self, id: &str) -> Option<String> {
        id.strip_prefix("wk_").and_then(|rest| self.home_of(&format!("{PREFIX}{rest}")))
    }

    /// XORs `buf` with the keystream of hold `tag`.
    fn xor(&self, tag: &str, buf: &mut [u8]) {
        for (i, chunk) in buf.chunks_mut(32).enumerate() {
            let block = mac(&self.key, &[b"stream", tag.as_bytes(), &[i as u8]]);
            for (b, k) in chunk.iter_mut().zip(block) {
                *b ^= k;
            }
        }
    }
}

/// HMAC-SHA-256 of the parts, each followed by a NUL (so that `a`,`bc` and `ab`,`c` differ).
fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // An HMAC takes a key of any length: `new_from_slice` cannot fail.
    let Ok(mut m) = HmacSha256::new_from_slice(key) else { return [0; 32] };
    for p in parts {
        m.update(p);
        m.update(&[0]);
    }
    m.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_their_home_and_reveal_nothing() {
        let ids = HoldIds::new(b"a secret of enough length");
        for home in ["r", "trattoria_1", &"x".repeat(31), &"y".repeat(32), &"z.".repeat(32)] {
            let id = ids.make("buyer-1", "order-7", home);
            assert_eq!(ids.home_of(&id).as_deref(), Some(home), "{id}");
            assert!(id.len() <= MAX_HOLD_ID, "{id}");
            assert!(!id.contains(home) && !id.contains("buyer") && !id.contains("order"), "{id}");
        }
        let id = ids.make("buyer-1", "order-7", "trattoria");
        assert_eq!(id, ids.make("buyer-1", "order-7", "trattoria"), "a retry lands on the same id");
        assert_ne!(id, ids.make("buyer-2", "order-7", "trattoria"));
        assert_ne!(ids.make("a", "bc", "r"), ids.make("ab", "c", "r"));
        assert_eq!(HoldIds::new(b"another secret entirely").home_of(&id), None, "another deployment's key");
        assert_eq!(ids.home_of(&id[..id.len() - 2]), None);
        let mut tampered = id.clone().into_bytes();
        let last = tampered.len() - 5;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(ids.home_of(std::str::from_utf8(&tampered).unwrap_or_default()), None);
        assert_eq!(ids.home_of("hk_zz"), None);
        assert_eq!(ids.home_of(&keys::hold_id("01JD5Q8ZK3M4N5P6Q7R8S9T0VW", "old_r")).as_deref(), Some("old_r"), "ids of earlier releases");
    }
}
