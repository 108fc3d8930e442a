//! The identity settings of the configuration: the provider's key set and the console's
//! sign-in, checked at start.

use std::time::Duration;

use super::Config;

impl Config {
    /// The identity provider's settings, when `AFORO_JWKS_URL` is set.
    pub fn jwks_settings(&self) -> Option<JwksSettings> {
        (!self.jwks_url.is_empty()).then(|| JwksSettings {
            url: self.jwks_url.clone(),
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.split(',').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect(),
            role_claim: self.jwt_role_claim.clone(),
            max_lifetime: self.jwt_max_lifetime(),
            min_refetch: Duration::from_secs(self.jwks_min_refetch_s),
            refresh: Duration::from_secs(self.jwks_refresh_s.max(self.jwks_min_refetch_s)),
            ca_file: self.tls_ca_file.clone(),
        })
    }

    /// Refuses token settings that cannot work: neither HS256 nor a key set, a short secret,
    /// a key set without issuer or audience, hold ids without a key.
    pub(super) fn check_identity(&self) -> Result<(), String> {
        if self.jwt_secret.is_empty() && self.jwks_url.is_empty() {
            return Err("set AFORO_JWT_SECRET (HS256 tokens) or AFORO_JWKS_URL (the identity provider's keys), or both".into());
        }
        if !self.jwt_secret.is_empty() && self.jwt_secret.len() < 16 {
            return Err("AFORO_JWT_SECRET must be at least 16 bytes".into());
        }
        if let Some(s) = self.jwks_settings() {
            if s.issuer.is_empty() || s.audience.is_empty() {
                return Err(
                    "AFORO_JWKS_URL needs AFORO_JWT_ISSUER and AFORO_JWT_AUDIENCE: without them any token of the provider would pass"
                        .into(),
                );
            }
            if s.role_claim.is_empty() {
                return Err("AFORO_JWT_ROLE_CLAIM must name a claim".into());
            }
            let uri: hyper::Uri = s.url.parse().map_err(|e| format!("AFORO_JWKS_URL {:?} is not a URL: {e}", s.url))?;
            if !matches!(uri.scheme_str(), Some("https" | "http")) || uri.host().is_none() {
                return Err(format!("AFORO_JWKS_URL {:?} must be an https:// (or http://) URL with a host", s.url));
            }
        }
        if self.jwt_secret.is_empty() && self.hold_id_secret.len() < 16 {
            return Err("without AFORO_JWT_SECRET, set AFORO_HOLD_ID_SECRET (at least 16 bytes): hold ids are made under it".into());
        }
        let oidc = [&self.oidc_authorization_url, &self.oidc_token_url, &self.oidc_client_id];
        if oidc.iter().any(|s| s.is_empty()) && oidc.iter().any(|s| !s.is_empty()) {
            return Err("AFORO_OIDC_AUTHORIZATION_URL, AFORO_OIDC_TOKEN_URL and AFORO_OIDC_CLIENT_ID go together".into());
        }
        for (name, url) in [
            ("AFORO_OIDC_AUTHORIZATION_URL", &self.oidc_authorization_url),
            ("AFORO_OIDC_TOKEN_URL", &self.oidc_token_url),
            ("AFORO_OIDC_REDIRECT_URI", &self.oidc_redirect_uri),
        ] {
            if !url.is_empty() && web_origin(url).is_none() {
                return Err(format!("{name} {url:?} must be an https:// URL (http:// only on localhost or 127.0.0.1)"));
            }
        }
        Ok(())
    }
}

/// The origin (`scheme://host[:port]`) of an `https://` URL, or of an `http://` one on
/// localhost or 127.0.0.1; `None` for anything else.
pub fn web_origin(url: &str) -> Option<String> {
    let uri: hyper::Uri = url.parse().ok()?;
    let authority = uri.authority()?;
    let host = uri.host()?;
    match uri.scheme_str()? {
        "https" => Some(format!("https://{authority}")),
        "http" if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => Some(format!("http://{authority}")),
        _ => None,
    }
    .filter(|_| !authority.as_str().contains('@'))
}

/// How the identity provider's tokens are checked (`crate::auth::jwks`).
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// The key set's URL.
    pub url: String,
    /// The `iss` every token must carry.
    pub issuer: String,
    /// The audiences of which a token's `aud` must name one.
    pub audience: Vec<String>,
    /// The claim holding the role.
    pub role_claim: String,
    /// Longest token lifetime.
    pub max_lifetime: Duration,
    /// Least time between two fetches.
    pub min_refetch: Duration,
    /// Time between fetches while the set is healthy.
    pub refresh: Duration,
    /// Certificates trusted besides the public roots (`AFORO_TLS_CA_FILE`).
    pub ca_file: Option<std::path::PathBuf>,
}
