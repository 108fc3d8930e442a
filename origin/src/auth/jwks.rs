//! Tokens of the marketplace's identity provider: RS256, ES256 and EdDSA, verified with the
//! public key its key set (JWKS, `AFORO_JWKS_URL`) names by the token's `kid`, with issuer,
//! audience and the role from a configurable claim.
//!
//! The key set is cached. It is fetched at start and every `refresh` after, and again when a
//! token names a `kid` it does not hold, but never sooner than `min_refetch` after the last
//! fetch: a flood of tokens with made-up `kid`s costs the provider at most one request per
//! `min_refetch`. When a fetch fails the keys already held stay in use. Only asymmetric keys
//! of the three algorithms are taken; a token is verified only with the algorithm its key is
//! for, so an `HS256` token "signed" with a public key, or an `alg: none` one, never passes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{json, Value};

use super::claims::{check_subject_and_lifetime, refusal, refused, Caller, Role, LEEWAY_S};
use super::fetch::Fetcher;
use crate::config::JwksSettings as Settings;
use crate::error::ApiError;

/// Smallest RSA modulus taken, in bits.
const MIN_RSA_BITS: usize = 2048;

/// One usable key.
struct Key {
    alg: Algorithm,
    key: DecodingKey,
}

/// The usable keys by `kid`.
type Keys = HashMap<String, Arc<Key>>;

/// The cache and what the last fetches did.
#[derive(Default)]
struct Cache {
    keys: Keys,
    /// When the last fetch began (monotonic; `None`: never).
    last_attempt: Option<Instant>,
    last_fetch_at: Option<String>,
    last_ok_at: Option<String>,
    last_error: Option<String>,
    fetches: u64,
    /// Keys of the last set that were left out, with why.
    skipped: Vec<String>,
}

/// The provider's keys, and the verification of its tokens.
pub struct Jwks {
    settings: Settings,
    fetcher: Fetcher,
    cache: RwLock<Cache>,
    /// One fetch at a time; requests waiting on it then find its keys.
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Jwks({})", self.settings.url)
    }
}

/// The claims read from a provider's token (the library checks `exp`, `nbf`, `iss`, `aud`).
#[derive(Deserialize)]
struct Raw {
    sub: String,
    exp: f64,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(flatten)]
    rest: serde_json::Map<String, Value>,
}

/// What the provider's claims must be.
const CLAIMS: &str = "sub (string), exp (number), iss, aud, optional iat and nbf, and the role claim";

impl Jwks {
    /// A verifier for `settings`; errs when the URL cannot be used.
    pub fn new(settings: Settings) -> Result<Self, String> {
        let fetcher = Fetcher::new(&settings.url, settings.ca_file.as_deref())?;
        Ok(Jwks { settings, fetcher, cache: RwLock::default(), fetching: tokio::sync::Mutex::new(()) })
    }

    /// The caller of a token the provider signed, or 401 saying why not.
    pub async fn caller(&self, token: &str) -> Result<Caller, ApiError> {
        let header = decode_header(token).map_err(|_| refused("not a well-formed JWT"))?;
        let kid = header.kid.ok_or_else(|| refused("it names no key (kid): the identity provider's tokens must"))?;
        let shown = crate::text::clip(&kid, 64);
        let key = self.key(&kid).await.ok_or_else(|| refused(format!("unknown key (kid {shown:?}) at the identity provider")))?;
        if key.alg != header.alg {
            return Err(refused(format!("key {shown:?} is for {:?}, not {:?}", key.alg, header.alg)));
        }
        let mut v = Validation::new(key.alg);
        v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        v.set_issuer(&[&self.settings.issuer]);
        v.set_audience(&self.settings.audience);
        v.validate_nbf = true;
        v.leeway = LEEWAY_S;
        let raw = decode::<Raw>(token, &key.key, &v)
            .map_err(|e| {
                tracing::debug!(error = %e, kid = %shown, "token refused");
                refused(refusal(e.kind(), CLAIMS))
            })?
            .claims;
        let role = role_of(raw.rest.get(&self.settings.role_claim), &self.settings.role_claim)?;
        let secs = |f: f64| if f.is_finite() && f > 0.0 { f as u64 } else { 0 };
        check_subject_and_lifetime(&raw.sub, secs(raw.exp), raw.iat.map(secs), self.settings.max_lifetime)?;
        Ok(Caller { sub: raw.sub, role })
    }

    /// The key named `kid`: from the cache, or after a fetch when the last one is at least
    /// `min_refetch` old.
    async fn key(&self, kid: &str) -> Option<Arc<Key>> {
        if let Some(k) = self.cached(kid) {
            return Some(k);
        }
        let _one = self.fetching.lock().await;
        if let Some(k) = self.cached(kid) {
            return Some(k);
        }
        if !self.may_fetch() {
            return None;
        }
        self.fetch().await;
        self.cached(kid)
    }

    fn cached(&self, kid: &str) -> Option<Arc<Key>> {
        self.cache.read().ok()?.keys.get(kid).cloned()
    }

    fn may_fetch(&self) -> bool {
        self.cache.read().is_ok_and(|c| c.last_attempt.is_none_or(|t| t.elapsed() >= self.settings.min_refetch))
    }

    /// Fetches the set and, when it is one, replaces the keys (callers hold `fetching`).
    async fn fetch(&self) {
        let now = aforo_core::rfc3339(&chrono::Utc::now());
        if let Ok(mut c) = self.cache.write() {
            c.last_attempt = Some(Instant::now());
            c.last_fetch_at = Some(now.clone());
            c.fetches += 1;
        }
        let got = match self.fetcher.get().await {
            Ok(body) => parse(&body),
            Err(e) => Err(e.to_string()),
        };
        let Ok(mut c) = self.cache.write() else { return };
        match got {
            Ok((keys, skipped)) => {
                tracing::info!(url = %self.settings.url, keys = keys.len(), skipped = skipped.len(), "identity provider keys loaded");
                for s in &skipped {
                    tracing::warn!(url = %self.settings.url, key = %s, "identity provider key left out");
                }
                c.keys = keys;
                c.skipped = skipped;
                c.last_ok_at = Some(now);
                c.last_error = None;
            }
            Err(e) => {
                tracing::warn!(url = %self.settings.url, error = %e, held = c.keys.len(), "identity provider keys not fetched; the keys held stay in use");
                c.last_error = Some(e);
            }
        }
    }

    /// Fetches the set at start and every `refresh` (every `min_refetch` while it cannot be
    /// fetched) until `shutdown`.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            {
                let _one = self.fetching.lock().await;
                if self.may_fetch() {
                    self.fetch().await;
                }
            }
            let healthy = self.cache.read().is_ok_and(|c| c.last_error.is_none() && c.last_ok_at.is_some());
            let wait = if healthy { self.settings.refresh } else { self.settings.min_refetch };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// The state of the key set, for `/v1/monitoring/health`.
    pub fn report(&self) -> Value {
        let Ok(c) = self.cache.read() else { return json!({"state": "unknown"}) };
        let state = match (&c.last_ok_at, &c.last_error) {
            (Some(_), None) => "ok",
            (Some(_), Some(_)) => "stale",
            (None, None) => "not_fetched_yet",
            (None, Some(_)) => "unreachable",
        };
        let mut keys: Vec<Value> = c.keys.iter().map(|(kid, k)| json!({"kid": kid, "alg": format!("{:?}", k.alg)})).collect();
        keys.sort_by(|a, b| a["kid"].as_str().cmp(&b["kid"].as_str()));
        json!({
            "url": self.settings.url,
            "state": state,
            "keys": keys,
            "skipped": c.skipped,
            "fetches": c.fetches,
            "last_fetch_at": c.last_fetch_at,
            "last_ok_at": c.last_ok_at,
            "last_error": c.last_error,
            "issuer": self.settings.issuer,
            "audience": self.settings.audience,
            "role_claim": self.settings.role_claim,
            "min_refetch_s": self.settings.min_refetch.as_secs(),
        })
    }
}

/// The role a token's role claim names: a string, or a list of which exactly one entry is
/// one of Aforo's roles (others ignored: a provider's list may hold roles of other services).
fn role_of(v: Option<&Value>, claim: &str) -> Result<Role, ApiError> {
    const ROLES: &str = "buyer, seller, ops or edge";
    match v {
        None | Some(Value::Null) => Err(refused(format!("the role claim {claim:?} is missing (it must be {ROLES})"))),
        Some(Value::String(s)) => {
            Role::of_claim(s).ok_or_else(|| refused(format!("the role claim {claim:?} is {:?}, not {ROLES}", crate::text::clip(s, 32))))
        }
        Some(Value::Array(items)) => {
            let known: Vec<Role> = items.iter().filter_map(|i| i.as_str().and_then(Role::of_claim)).collect();
            match known.as_slice() {
                [one] => Ok(*one),
                [] => Err(refused(format!("the role claim {claim:?} names none of {ROLES}"))),
                _ => Err(refused(format!("the role claim {claim:?} names several of Aforo's roles; it must name one"))),
            }
        }
        Some(_) => Err(refused(format!("the role claim {claim:?} must be a string ({ROLES}) or a list of strings"))),
    }
}

/// The usable keys of a key set by `kid`, and the ones left out with why; errs when the body
/// is not a key set.
fn parse(body: &[u8]) -> Result<(Keys, Vec<String>), String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("its answer is not JSON: {e}"))?;
    let list = v.get("keys").and_then(Value::as_array).ok_or("its answer is not a key set (no \"keys\" list)")?;
    let mut keys = HashMap::new();
    let mut skipped = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let kid = item.get("kid").and_then(Value::as_str).map(|k| crate::text::clip(k, 64));
        let name = kid.clone().unwrap_or_else(|| format!("#{i}"));
        match usable(item) {
            Ok(key) => match kid {
                Some(kid) if !keys.contains_key(&kid) => {
                    keys.insert(kid, Arc::new(key));
                }
                Some(_) => skipped.push(format!("{name}: a second key with this kid")),
                None => skipped.push(format!("{name}: no kid")),
            },
            Err(why) => skipped.push(format!("{name}: {why}")),
        }
    }
    Ok((keys, skipped))
}

/// A key set entry as a key for RS256, ES256 or EdDSA, or why it is not one.
fn usable(item: &Value) -> Result<Key, String> {
    let jwk: Jwk = serde_json::from_value(item.clone()).map_err(|e| format!("not a JWK Aforo reads: {e}"))?;
    if jwk.common.public_key_use.as_ref().is_some_and(|u| *u != PublicKeyUse::Signature) {
        return Err("not a signing key (use)".into());
    }
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let bits = base64_len(&p.n) * 8;
            if bits < MIN_RSA_BITS {
                return Err(format!("an RSA key of {bits} bits (at least {MIN_RSA_BITS})"));
            }
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
        AlgorithmParameters::OctetKey(_) => return Err("a symmetric key (kty oct): never taken from a key set".into()),
        _ => return Err("a curve other than P-256 and Ed25519".into()),
    };
    let named = match jwk.common.key_algorithm {
        None => by_type,
        Some(KeyAlgorithm::RS256) => Algorithm::RS256,
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
        Some(other) => return Err(format!("alg {other:?} (Aforo takes RS256, ES256, EdDSA)")),
    };
    if named != by_type {
        return Err(format!("alg {named:?} does not fit its key type"));
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| format!("not a valid key: {e}"))?;
    Ok(Key { alg: named, key })
}

/// Bytes a base64url text decodes to.
fn base64_len(s: &str) -> usize {
    s.trim_end_matches('=').len() * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    // Public keys made by `jose` (tests/idp/mint.mjs).
    const RSA_N: &str = "2FnF21CKTiaye4u59ciLf_polrHogEloKOTKrBt05ARsqlLIbhlDM5NALvlzfE4PIyWjL2PXALCBHK_5YwDSYauMJZPw-pni6_EkJ-XrxB6GkqE0javaxTbqeRFN8YDBAlUUYc0rQqRI-Phza6iOM8_B2QbPe7ZyLvtp0e4FjxHZJthB04Gao9cL9-s4dhKGVOKMqT2It1-kMxVNFA-o5SxKrpAenYGvYudigk4eDVUn_jvmIJx2ujreTmHE04ggm-kohqBhEcgfHf9sMwOsVDlKlO6MBGyv8n4qUx4yJgiEb3oP9ZFUYYoZPNWBLGJPv3GYEDUKJGDNoVThNTorYw";
    const EC_X: &str = "VFpdIfrACLUyrAALZZfW3J-pakUik7Bwtd-cTE9Suts";
    const EC_Y: &str = "5Ohw6zeCf3xveaMg8r2MYV4JrzPqrjB4A_5qUMDIgbs";
    const ED_X: &str = "qycEue1mimhS_mvwXmnBfGmZ9HJh4BV4f0BNz-Wpr5E";

    fn set(keys: Value) -> (Vec<(String, Algorithm)>, Vec<String>) {
        let (keys, skipped) = parse(json!({ "keys": keys }).to_string().as_bytes()).unwrap_or_default();
        let mut keys: Vec<_> = keys.into_iter().map(|(k, v)| (k, v.alg)).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        (keys, skipped)
    }

    #[test]
    fn only_asymmetric_signing_keys_of_the_three_algorithms_are_taken() {
        let (keys, skipped) = set(json!([
            {"kty": "RSA", "kid": "r", "n": RSA_N, "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": EC_X, "y": EC_Y, "alg": "ES256", "use": "sig"},
            {"kty": "OKP", "kid": "d", "crv": "Ed25519", "x": ED_X},
            {"kty": "oct", "kid": "s", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"},
            {"kty": "RSA", "kid": "small", "n": &RSA_N[..172], "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "n": RSA_N, "e": "AQAB", "use": "enc"},
            {"kty": "RSA", "kid": "ps", "n": RSA_N, "e": "AQAB", "alg": "PS256"},
            {"kty": "EC", "kid": "lie", "crv": "P-256", "x": EC_X, "y": EC_Y, "alg": "RS256"},
            {"kty": "RSA", "n": RSA_N, "e": "AQAB"},
            {"kty": "EC", "kid": "e", "crv": "P-256", "x": EC_X, "y": EC_Y},
            {"kty": "what", "kid": "w"},
        ]));
        assert_eq!(keys, [("d".into(), Algorithm::EdDSA), ("e".into(), Algorithm::ES256), ("r".into(), Algorithm::RS256)]);
        let all = skipped.join("\n");
        for why in [
            "s: a symmetric key",
            "small: an RSA key of 10",
            "enc: not a signing key",
            "ps: alg PS256",
            "lie: alg RS256 does not fit",
            "#8: no kid",
            "e: a second key",
            "w: not a JWK",
        ] {
            assert!(all.contains(why), "{why} not in {all}");
        }
        assert!(parse(b"{}").is_err() && parse(b"<html>").is_err());
    }

    #[test]
    fn the_role_claim_names_one_role() {
        let r = |v: Value| role_of(Some(&v), "r").map_err(|e| e.to_string());
        assert_eq!(r(json!("seller")), Ok(Role::Seller));
        assert_eq!(r(json!(["viewer", "ops"])), Ok(Role::Ops));
        assert!(r(json!(["ops", "buyer"])).is_err_and(|e| e.contains("several")));
        assert!(r(json!([])).is_err_and(|e| e.contains("names none")));
        assert!(r(json!("admin")).is_err_and(|e| e.contains("\"admin\", not buyer")));
        assert!(r(json!(3)).is_err_and(|e| e.contains("must be a string")));
        assert!(role_of(None, "r").is_err_and(|e| e.to_string().contains("\"r\" is missing")));
    }
}
