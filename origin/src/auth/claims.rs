//! Who is calling, with which role: the claims Aforo reads from a token, whichever key signed
//! it, and the checks every token passes (subject, issue time, lifetime).

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
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

    /// The role a token's role claim names, if it is one of API.md's.
    pub fn of_claim(name: &str) -> Option<Role> {
        match name {
            "buyer" => Some(Role::Buyer),
            "seller" => Some(Role::Seller),
            "ops" => Some(Role::Ops),
            "edge" => Some(Role::Edge),
            _ => None,
        }
    }
}

/// The claims of the tokens Aforo signs itself (HS256: `aforo-token`, tests).
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

/// Seconds since the epoch, now.
pub fn now_s() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A 401 for a token refused for `why`.
pub fn refused(why: impl std::fmt::Display) -> ApiError {
    ApiError::Unauthenticated(format!("invalid token: {why}"))
}

/// The checks of every token once its signature and `exp`/`nbf` hold: a subject of 1-256
/// bytes, not issued in the future, and living (`exp - iat`, or `exp - now` without `iat`)
/// no longer than `max_lifetime`.
pub fn check_subject_and_lifetime(sub: &str, exp: u64, iat: Option<u64>, max_lifetime: Duration) -> Result<(), ApiError> {
    if sub.is_empty() || sub.len() > 256 {
        return Err(refused("sub must be 1-256 bytes"));
    }
    let now = now_s();
    if iat.is_some_and(|iat| iat > now + LEEWAY_S) {
        return Err(refused("issued in the future (iat)"));
    }
    let lifetime = exp.saturating_sub(iat.unwrap_or(now));
    if lifetime > max_lifetime.as_secs() {
        return Err(refused(format!("it lives {lifetime} s (exp - iat), more than the {} s allowed", max_lifetime.as_secs())));
    }
    Ok(())
}

/// Why the library refused a token, in words (its own text names its types); `claims` says
/// what the claims must be.
pub fn refusal(kind: &ErrorKind, claims: &str) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "expired (exp)".into(),
        ErrorKind::ImmatureSignature => "not valid yet (nbf)".into(),
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "its algorithm does not match its key".into()
        }
        ErrorKind::InvalidIssuer => "wrong issuer (iss)".into(),
        ErrorKind::InvalidAudience => "wrong audience (aud)".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("the {c} claim is required"),
        ErrorKind::Json(e) => format!("its claims must be {claims}: {}", crate::text::humane(&e.to_string())),
        _ => "not a well-formed JWT".into(),
    }
}
