//! Outbound webhooks (docs/webhooks.md): endpoints sellers and ops register, the events of
//! the resources' streams mapped to webhook events ([`events`]), fanned out to each
//! endpoint's queue by the origins sharing the streams ([`fanout`]), delivered signed
//! (Standard Webhooks) with retries by whichever origin holds the endpoint's lease
//! ([`deliver`]). Nothing here knows HTTP requests of the API; the handlers are in
//! `routes/webhooks.rs`, the Redis keys in `store/webhooks.rs`.

pub mod deliver;
pub mod enable;
pub mod events;
pub mod fanout;
pub mod guard;
pub mod hub;
pub mod run;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Every event type an endpoint may subscribe to (API.md, "Outbound: webhooks").
pub const EVENT_TYPES: [&str; 13] = [
    "hold.created",
    "hold.consumed",
    "hold.released",
    "hold.expired",
    "hold.cancelled",
    "hold.changed",
    "hold.seated",
    "hold.no_show",
    "hold.finished",
    "waitlist.offered",
    "availability.changed",
    "resource.updated",
    "stock.changed",
];

/// Longest URL accepted, in bytes.
pub const URL_MAX: usize = 2048;
/// Most resources one endpoint may name.
pub const RESOURCES_MAX: usize = 100;
/// Largest answer body read from a receiver (the rest is not read).
pub const ANSWER_MAX: usize = 1024;

/// What a webhook request or delivery can fail with; the routes map it to problems once.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// A field is missing, of the wrong shape or out of range (400).
    #[error("{0}")]
    Invalid(String),
    /// The URL names an address webhooks may not reach (422 `WEBHOOK_URL_REFUSED`).
    #[error("{0}")]
    Refused(String),
}

/// A registration as the API receives it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Where events are POSTed.
    pub url: String,
    /// Its host, for the address check.
    pub host: String,
    /// The event types it wants (deduplicated, known).
    pub events: Vec<String>,
    /// The resources it is limited to (empty: every resource its owner may see).
    pub resources: Vec<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    url: String,
    events: Vec<String>,
    #[serde(default)]
    resource_ids: Option<Vec<String>>,
}

/// Parses and checks `{"url", "events", "resource_ids"?}` (the address check is
/// [`guard::check_host`], which resolves names).
pub fn parse_registration(body: &[u8]) -> Result<Registration, WebhookError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let w: Wire = serde_path_to_error::deserialize(&mut de).map_err(|e| WebhookError::Invalid(format!("{}: {}", e.path(), e.inner())))?;
    if w.url.len() > URL_MAX {
        return Err(WebhookError::Invalid(format!("url: at most {URL_MAX} bytes")));
    }
    let url = reqwest::Url::parse(&w.url).map_err(|e| WebhookError::Invalid(format!("url: {e}")))?;
    match url.scheme() {
        "https" | "http" => {}
        s => return Err(WebhookError::Invalid(format!("url: scheme {s} is not https or http"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhookError::Invalid("url: no credentials in the URL; the signature authenticates the sender".into()));
    }
    if url.fragment().is_some() {
        return Err(WebhookError::Invalid("url: no fragment".into()));
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| WebhookError::Invalid("url: a host is required".into()))?.to_string();
    if w.events.is_empty() || w.events.len() > EVENT_TYPES.len() {
        return Err(WebhookError::Invalid(format!("events: 1 to {} event types", EVENT_TYPES.len())));
    }
    let mut events: Vec<String> = Vec::new();
    for e in w.events {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err(WebhookError::Invalid(format!(
                "events: unknown type {:?}; known: {}",
                crate::text::clip(&e, 40),
                EVENT_TYPES.join(", ")
            )));
        }
        if !events.contains(&e) {
            events.push(e);
        }
    }
    let mut resources: Vec<String> = Vec::new();
    let ids = w.resource_ids.unwrap_or_default();
    if ids.len() > RESOURCES_MAX {
        return Err(WebhookError::Invalid(format!("resource_ids: at most {RESOURCES_MAX}")));
    }
    for (i, id) in ids.into_iter().enumerate() {
        if !aforo_core::valid_resource_id(&id) {
            return Err(WebhookError::Invalid(format!("resource_ids[{i}]: not a resource id")));
        }
        if !resources.contains(&id) {
            resources.push(id);
        }
    }
    Ok(Registration { url: url.to_string(), host, events, resources })
}

/// `n` random bytes from the system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The system's source is always there on the platforms the origin runs on; without it
    // the ids below would still be unique (they carry the time) but not secret.
    if let Err(e) = getrandom::fill(&mut b) {
        tracing::error!(error = %e, "no system randomness");
    }
    b
}

/// A new endpoint id (`we_` and 20 hex digits) and secret (`whsec_` and 32 bytes, base64).
pub fn new_identity() -> (String, String) {
    let id: [u8; 10] = random_bytes();
    let key: [u8; 32] = random_bytes();
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    (format!("we_{hex}"), format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key)))
}

/// Whether `id` is shaped like an endpoint id (checked before any store call).
pub fn valid_endpoint_id(id: &str) -> bool {
    id.len() == 23 && id.starts_with("we_") && id[3..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The Standard Webhooks signature `v1,<base64 HMAC-SHA256("{id}.{ts}.{body}")>`, keyed by
/// the base64-decoded part of `secret` after `whsec_`.
pub fn sign(secret: &str, id: &str, ts: i64, body: &str) -> Result<String, String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|e| format!("stored secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{ts}.{body}").as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// The delay before retry `attempt` (1 = the first retry), without jitter: 5 s, 30 s, 2 min,
/// 10 min, 30 min, 1 h, 2 h, then every 4 h (docs/webhooks.md, "Retries").
pub fn backoff_s(attempt: u32) -> u64 {
    const STEPS: [u64; 7] = [5, 30, 120, 600, 1800, 3600, 7200];
    STEPS.get(attempt.saturating_sub(1) as usize).copied().unwrap_or(14_400)
}

/// [`backoff_s`] in ms, with up to 20 % of jitter added (the first retry stays within 6 s).
pub fn backoff_ms(attempt: u32, div: u64) -> u64 {
    let base = backoff_s(attempt) * 1000 / div.max(1);
    let r = u64::from(u32::from_le_bytes(random_bytes::<4>()));
    base + base * (r % 201) / 1000
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_standard_webhooks() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, r#"{"test": 2432232314}"#).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn registrations_are_checked() {
        let ok = parse_registration(br#"{"url":"http://hooks.example.com/in","events":["hold.created","hold.created"]}"#).unwrap();
        assert_eq!(ok.events, ["hold.created"]);
        assert_eq!(ok.host, "hooks.example.com");
        for bad in [
            r#"{"url":"ftp://x.example/","events":["hold.created"]}"#,
            r#"{"url":"http://u:p@x.example/","events":["hold.created"]}"#,
            r#"{"url":"http://x.example/","events":[]}"#,
            r#"{"url":"http://x.example/","events":["hold.nope"]}"#,
            r#"{"url":"http://x.example/","events":["hold.created"],"resource_ids":["a b"]}"#,
            r#"{"url":"http://x.example/","events":["hold.created"],"extra":1}"#,
            r#"{"url":"not a url","events":["hold.created"]}"#,
        ] {
            assert!(parse_registration(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn retries_back_off_over_three_days() {
        assert!(backoff_ms(1, 1) <= 6_000, "the first retry is within 10 s");
        let total: u64 = (1..=25).map(backoff_s).sum();
        assert!(total > 3 * 86_400, "25 retries span more than three days: {total}");
        assert!(valid_endpoint_id(&new_identity().0));
    }
}
