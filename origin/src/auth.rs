//! Bearer JWTs (HS256): who is calling, with which role.

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

/// The claims Aforo reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: the caller's stable id.
    pub sub: String,
    /// Role.
    pub role: Role,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
}

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

    /// Errs with 403 unless the caller is ops or `owner`.
    pub fn require_owner(&self, owner: &str) -> Result<(), ApiError> {
        if self.role == Role::Ops || self.sub == owner {
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
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(HS256)")
    }
}

impl Verifier {
    /// A verifier for an HS256 secret.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        Verifier { key: DecodingKey::from_secret(secret), validation }
    }

    /// The caller of an `Authorization` header value, or 401.
    pub fn caller(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let h = header.ok_or_else(|| ApiError::Unauthenticated("an Authorization: Bearer token is required".into()))?;
        let token = h
            .strip_prefix("Bearer ")
            .or_else(|| h.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::Unauthenticated("Authorization must be Bearer <JWT>".into()))?;
        let data = decode::<Claims>(token.trim(), &self.key, &self.validation)
            .map_err(|e| ApiError::Unauthenticated(format!("invalid token: {e}")))?;
        if data.claims.sub.is_empty() || data.claims.sub.len() > 256 {
            return Err(ApiError::Unauthenticated("invalid token: sub must be 1-256 bytes".into()));
        }
        Ok(Caller { sub: data.claims.sub, role: data.claims.role })
    }
}

/// Signs a token (dev tooling and tests).
pub fn sign(secret: &[u8], sub: &str, role: Role, exp: u64) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &Claims { sub: sub.into(), role, exp }, &EncodingKey::from_secret(secret))
}
