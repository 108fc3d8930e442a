//! Bearer JWTs: who is calling, with which role. Two kinds of tokens, either or both on:
//! HS256 signed with `AFORO_JWT_SECRET` ([`hs256`]), and the identity provider's RS256, ES256
//! and EdDSA tokens checked against its key set ([`jwks`]). A token goes to the one verifier
//! of the algorithm its header names; any other algorithm (`none` among them) is refused.

pub mod claims;
pub mod fetch;
pub mod hs256;
pub mod jwks;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

pub use claims::{Caller, Claims, Role, LEEWAY_S};
pub use hs256::sign;

use crate::config::Config;
use crate::error::ApiError;
use claims::refused;

/// Verifies tokens.
#[derive(Debug, Clone)]
pub struct Verifier {
    hs256: Option<hs256::Hs256>,
    jwks: Option<Arc<jwks::Jwks>>,
}

impl Verifier {
    /// A verifier of HS256 tokens only, refusing tokens that live longer than `max_lifetime`.
    pub fn new(secret: &[u8], max_lifetime: Duration) -> Self {
        Verifier { hs256: Some(hs256::Hs256::new(secret, max_lifetime)), jwks: None }
    }

    /// The verifiers the settings turn on; errs when the key set's URL cannot be used.
    pub fn from_config(cfg: &Config) -> Result<Self, String> {
        let hs256 = (!cfg.jwt_secret.is_empty()).then(|| hs256::Hs256::new(cfg.jwt_secret.as_bytes(), cfg.jwt_max_lifetime()));
        let jwks = match cfg.jwks_settings() {
            Some(s) => Some(Arc::new(jwks::Jwks::new(s)?)),
            None => None,
        };
        Ok(Verifier { hs256, jwks })
    }

    /// Fetches the identity provider's keys now and on their schedule, until `shutdown`
    /// (nothing without a key set). Serving does not wait for it: an unreachable provider
    /// is logged and reported by `/v1/monitoring/health`, and retried.
    pub fn start(&self, shutdown: tokio::sync::watch::Receiver<bool>) {
        tracing::info!(hs256 = self.hs256.is_some(), jwks = self.jwks.is_some(), accepted = self.accepted(), "tokens verified");
        if let Some(j) = &self.jwks {
            tokio::spawn(j.clone().run(shutdown));
        }
    }

    /// The caller of an `Authorization` header value, or 401.
    pub async fn caller(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let h = header.ok_or_else(|| ApiError::Unauthenticated("an Authorization: Bearer token is required".into()))?;
        let token = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::Unauthenticated("Authorization must be Bearer <JWT>".into()))?
            .trim();
        let alg = algorithm_of(token).ok_or_else(|| refused("not a well-formed JWT"))?;
        match (alg.as_str(), &self.hs256, &self.jwks) {
            ("HS256", Some(h), _) => h.caller(token),
            ("RS256" | "ES256" | "EdDSA", _, Some(j)) => j.caller(token).await,
            _ => Err(refused(format!("algorithm {:?} is not accepted here (only {})", crate::text::clip(&alg, 16), self.accepted()))),
        }
    }

    /// The algorithms accepted, in words.
    fn accepted(&self) -> &'static str {
        match (&self.hs256, &self.jwks) {
            (Some(_), Some(_)) => "HS256, RS256, ES256 and EdDSA",
            (Some(_), None) => "HS256",
            (None, _) => "RS256, ES256 and EdDSA",
        }
    }

    /// What verifies tokens, and the state of the identity provider's keys.
    pub fn report(&self) -> Value {
        json!({
            "hs256": self.hs256.is_some(),
            "jwks": self.jwks.as_ref().map(|j| j.report()),
        })
    }
}

/// The `alg` a token's header names, if the token has a readable header.
fn algorithm_of(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (head, _, _, none) = (parts.next()?, parts.next()?, parts.next()?, parts.next());
    if none.is_some() || head.len() > 4096 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head.trim_end_matches('=')).ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    const SECRET: &[u8] = b"unit-test-secret-0123456789";

    fn now() -> u64 {
        claims::now_s()
    }

    fn token(exp: u64, iat: Option<u64>, nbf: Option<u64>) -> String {
        let c = Claims { sub: "s".into(), role: Role::Buyer, exp, iat, nbf };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &c, &EncodingKey::from_secret(SECRET)).unwrap_or_default()
    }

    async fn check(v: &Verifier, t: &str) -> Result<Caller, String> {
        v.caller(Some(&format!("Bearer {t}"))).await.map_err(|e| e.to_string())
    }

    async fn refused(v: &Verifier, t: &str) -> String {
        check(v, t).await.err().unwrap_or_default()
    }

    #[tokio::test]
    async fn nbf_iat_and_lifetime_are_honoured() {
        let v = Verifier::new(SECRET, Duration::from_secs(3600));
        let n = now();
        assert!(check(&v, &token(n + 600, Some(n), None)).await.is_ok());
        assert!(check(&v, &token(n + 600, Some(n + 10), Some(n + 10))).await.is_ok(), "inside the leeway");
        assert_eq!(refused(&v, &token(n + 600, None, Some(n + 120))).await, "invalid token: not valid yet (nbf)");
        assert_eq!(refused(&v, &token(n + 600, Some(n + 120), None)).await, "invalid token: issued in the future (iat)");
        assert!(refused(&v, &token(n + 7200, Some(n), None)).await.contains("more than the 3600 s allowed"));
        assert!(check(&v, &token(n + 7200, None, None)).await.is_err(), "without iat, the lifetime counts from now");
        assert!(check(&v, &token(n + 60, Some(n - 7200), None)).await.is_err(), "issued long ago");
        assert_eq!(refused(&v, &token(n - 120, Some(n - 600), None)).await, "invalid token: expired (exp)");
        assert_eq!(refused(&v, "abc").await, "invalid token: not a well-formed JWT");
    }

    #[tokio::test]
    async fn other_algorithms_are_refused_by_name() {
        let v = Verifier::new(SECRET, Duration::from_secs(3600));
        let n = now();
        let body = |h: &str| {
            let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            format!("{}.{}.", e(h), e(&format!(r#"{{"sub":"s","role":"ops","exp":{}}}"#, n + 60)))
        };
        assert_eq!(refused(&v, &body(r#"{"alg":"none"}"#)).await, r#"invalid token: algorithm "none" is not accepted here (only HS256)"#);
        assert!(refused(&v, &body(r#"{"alg":"RS256","kid":"k"}"#)).await.contains("only HS256"));
        assert_eq!(refused(&v, &body(r#"{"typ":"JWT"}"#)).await, "invalid token: not a well-formed JWT");
    }

    #[tokio::test]
    async fn signed_tokens_carry_iat() {
        let n = now();
        let t = sign(SECRET, "s", Role::Ops, n + 60).unwrap_or_default();
        let v = Verifier::new(SECRET, Duration::from_secs(3600));
        assert_eq!(check(&v, &t).await.map(|c| c.role), Ok(Role::Ops));
    }
}
