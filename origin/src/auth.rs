//! Bearer JWTs (HS256): who is calling, with which role.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Roles of API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Makes holds.
    Buyer,
    /// Owns resources.
    Seller,
    /// May do everything.
    Ops,
    /// Reads snapshots.
    Edge,
}

impl Role {
    /// The role a hold record names (`None`: a buyer's hold); an unknown name is ops', whom
    /// only ops match.
    pub fn of_record(name: Option<&str>) -> Role {
        match name {
            None | Some("buyer") => Role::Buyer,
            Some("seller") => Role::Seller,
            Some("edge") => Role::Edge,
            Some(_) => Role::Ops,
        }
    }
}

/// The claims Aforo reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the caller's stable id.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// Issued at (seconds since the epoch): not in the future, and the token's lifetime
    /// (`exp - iat`) within the configured maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Not before (seconds since the epoch): the token is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
}

/// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_S: u64 = 30;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Subject.
    pub sub: String,
    /// Role.
    pub role: Role,
}

impl Caller {
    /// Errs with 403 unless the caller has one of `roles` (ops always passes).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.role == Role::Ops || roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("role {:?} may not do this", self.role).to_lowercase()))
        }
    }

    /// The role as API.md spells it.
    pub fn role_name(&self) -> &'static str {
        match self.role {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::Ops => "ops",
            Role::Edge => "edge",
        }
    }

    /// Errs with 403 unless the caller is ops or `owner` with role `role`: ownership is by
    /// role and subject, so a buyer whose `sub` equals a seller's owns nothing of its.
    pub fn require_owner(&self, role: Role, owner: &str) -> Result<(), ApiError> {
        if self.role == Role::Ops || (self.role == role && self.sub == owner) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("only the owner or ops may do this".into()))
        }
    }
}

/// Verifies tokens.
#[derive(Clone)]
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
    max_lifetime: Duration,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(HS256)")
    }
}

impl Verifier {
    /// A verifier for an HS256 secret, refusing tokens that live longer than `max_lifetime`
    /// (`exp` minus `iat`, or minus now when there is no `iat`).
    pub fn new(secret: &[u8], max_lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_S;
        Verifier { key: DecodingKey::from_secret(secret), validation, max_lifetime }
    }

    /// The caller of an `Authorization` header value, or 401.
    pub fn caller(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let h = header.ok_or_else(|| ApiError::Unauthenticated("an Authorization: Bearer token is required".into()))?;
        let token = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::Unauthenticated("Authorization must be Bearer <JWT>".into()))?;
        let data = decode::<Claims>(token.trim(), &self.key, &self.validation).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            ApiError::Unauthenticated(format!("invalid token: {}", refusal(e.kind())))
        })?;
        let c = data.claims;
        if c.sub.is_empty() || c.sub.len() > 256 {
            return Err(ApiError::Unauthenticated("invalid token: sub must be 1-256 bytes".into()));
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if c.iat.is_some_and(|iat| iat > now + LEEWAY_S) {
            return Err(ApiError::Unauthenticated("invalid token: issued in the future (iat)".into()));
        }
        let lifetime = c.exp.saturating_sub(c.iat.unwrap_or(now));
        if lifetime > self.max_lifetime.as_secs() {
            return Err(ApiError::Unauthenticated(format!(
                "invalid token: it lives {lifetime} s (exp - iat), more than the {} s allowed",
                self.max_lifetime.as_secs()
            )));
        }
        Ok(Caller { sub: c.sub, role: c.role })
    }
}

/// Why a token was refused, in words (the library's own text names its types).
fn refusal(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "expired (exp)".into(),
        ErrorKind::ImmatureSignature => "not valid yet (nbf)".into(),
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm | ErrorKind::InvalidAlgorithmName => "the algorithm must be HS256".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("the {c} claim is required"),
        ErrorKind::Json(e) => format!(
            "its claims must be sub (string), role (buyer, seller, ops or edge), exp (number), optional iat and nbf: {}",
            crate::text::humane(&e.to_string())
        ),
        _ => "not a well-formed JWT".into(),
    }
}

/// Signs a token issued now (dev tooling and tests).
pub fn sign(secret: &[u8], sub: &str, role: Role, exp: u64) -> Result<String, jsonwebtoken::errors::Error> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let claims = Claims { sub: sub.into(), role, exp, iat: Some(now.min(exp)), nbf: None };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-0123456789";

    fn now() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    fn token(exp: u64, iat: Option<u64>, nbf: Option<u64>) -> String {
        let c = Claims { sub: "s".into(), role: Role::Buyer, exp, iat, nbf };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &c, &EncodingKey::from_secret(SECRET)).unwrap_or_default()
    }

    fn check(v: &Verifier, t: &str) -> Result<Caller, String> {
        v.caller(Some(&format!("Bearer {t}"))).map_err(|e| e.to_string())
    }

    fn refused(v: &Verifier, t: &str) -> String {
        check(v, t).err().unwrap_or_default()
    }

    #[test]
    fn nbf_iat_and_lifetime_are_honoured() {
        let v = Verifier::new(SECRET, Duration::from_secs(3600));
        let n = now();
        assert!(check(&v, &token(n + 600, Some(n), None)).is_ok());
        assert!(check(&v, &token(n + 600, Some(n + 10), Some(n + 10))).is_ok(), "inside the leeway");
        assert_eq!(refused(&v, &token(n + 600, None, Some(n + 120))), "invalid token: not valid yet (nbf)");
        assert_eq!(refused(&v, &token(n + 600, Some(n + 120), None)), "invalid token: issued in the future (iat)");
        assert!(refused(&v, &token(n + 7200, Some(n), None)).contains("more than the 3600 s allowed"));
        assert!(check(&v, &token(n + 7200, None, None)).is_err(), "without iat, the lifetime counts from now");
        assert!(check(&v, &token(n + 60, Some(n - 7200), None)).is_err(), "issued long ago");
        assert_eq!(refused(&v, &token(n - 120, Some(n - 600), None)), "invalid token: expired (exp)");
        assert_eq!(refused(&v, "abc"), "invalid token: not a well-formed JWT");
    }

    #[test]
    fn signed_tokens_carry_iat() {
        let n = now();
        let t = sign(SECRET, "s", Role::Ops, n + 60).unwrap_or_default();
        let v = Verifier::new(SECRET, Duration::from_secs(3600));
        assert_eq!(check(&v, &t).map(|c| c.role), Ok(Role::Ops));
    }
}
