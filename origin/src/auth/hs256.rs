//! HS256 tokens signed with the secret `AFORO_JWT_SECRET` (development, `aforo-token`, and
//! services that share the secret). Their role is in the `role` claim.

use std::time::Duration;

use jsonwebtoken::{decode, Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::claims::{check_subject_and_lifetime, now_s, refusal, refused, Caller, Claims, Role, LEEWAY_S};
use crate::error::ApiError;

/// What HS256 claims must be.
const CLAIMS: &str = "sub (string), role (buyer, seller, ops or edge), exp (number), optional iat and nbf";

/// Verifies HS256 tokens.
#[derive(Clone)]
pub struct Hs256 {
    key: DecodingKey,
    validation: Validation,
    max_lifetime: Duration,
}

impl std::fmt::Debug for Hs256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hs256")
    }
}

impl Hs256 {
    /// A verifier for an HS256 secret, refusing tokens that live longer than `max_lifetime`
    /// (`exp` minus `iat`, or minus now when there is no `iat`).
    pub fn new(secret: &[u8], max_lifetime: Duration) -> Self {
        // Only HS256: the library refuses a token whose header names another algorithm.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_S;
        Hs256 { key: DecodingKey::from_secret(secret), validation, max_lifetime }
    }

    /// The caller of an HS256 token, or 401.
    pub fn caller(&self, token: &str) -> Result<Caller, ApiError> {
        let data = decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            refused(refusal(e.kind(), CLAIMS))
        })?;
        let c = data.claims;
        check_subject_and_lifetime(&c.sub, c.exp, c.iat, self.max_lifetime)?;
        Ok(Caller { sub: c.sub, role: c.role })
    }
}

/// Signs an HS256 token issued now (dev tooling and tests).
pub fn sign(secret: &[u8], sub: &str, role: Role, exp: u64) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims { sub: sub.into(), role, exp, iat: Some(now_s().min(exp)), nbf: None };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret))
}
