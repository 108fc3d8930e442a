//! The Worker's settings, from `[vars]` in wrangler.toml and secrets (locally `--var`s or an
//! `--env-file`, as `edge.env.example` says), parsed in one place ([`Settings::parse`], pure,
//! so that its tests run on the host).
//!
//! An absent or empty setting takes its documented default; a setting that is present but
//! does not parse is a [`BadSetting`], never a silent default: the Worker then answers every
//! request with a 500 that names the setting (its value and why stay in the log).

use worker::Env;

/// Settings read once per request (they are plain strings in the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Origin base URL, without a trailing slash.
    pub origin_url: String,
    /// JWT with role `edge`, for `/snapshot`.
    pub edge_token: String,
    /// Seconds a snapshot is fresh.
    pub snapshot_ttl_s: i64,
    /// Seconds a snapshot may be served, marked stale, when the origin is down.
    pub stale_limit_s: i64,
    /// Browser origins allowed by CORS (`*` for any).
    pub allowed_origins: Vec<String>,
    /// Budget of a call to the origin, retries included, in milliseconds.
    pub origin_timeout_ms: u64,
    /// Retries of a read call to the origin within its budget (`ORIGIN_RETRIES`); writes are
    /// never retried.
    pub origin_retries: u32,
    /// A buyer token the demo page pre-fills (development only; absent in production).
    pub demo_buyer_token: Option<String>,
    /// `LOCAL_DEMO=1`: this Worker is a local demo, so the page may pre-fill
    /// `demo_buyer_token` (and only when it is asked for on a loopback host).
    pub local_demo: bool,
    /// Most bytes of snapshots kept in the isolate (`SNAPSHOT_CACHE_BYTES`), least recently
    /// used evicted first.
    pub snapshot_cache_bytes: usize,
    /// `CHECKOUT_URL`: the marketplace's checkout, where the buyer page sends a priced hold
    /// (`hold=<id>&return=<manage link>` added to its query); absent, a priced hold cannot be
    /// paid from the page. `https://`, or `http://` on a loopback host only.
    pub checkout_url: Option<String>,
}

/// Default of `SNAPSHOT_CACHE_BYTES`: 16 MiB.
pub const DEFAULT_SNAPSHOT_CACHE_BYTES: i64 = 16 << 20;

/// Most retries of a read (`ORIGIN_RETRIES`): more would only spend the budget on backoff.
pub const MAX_ORIGIN_RETRIES: u32 = 5;

/// A setting present with a value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSetting {
    /// The setting's name (`SNAPSHOT_TTL_S`).
    pub name: &'static str,
    /// What was wrong, the value quoted (for the log, never for the client).
    pub reason: String,
}

impl std::fmt::Display for BadSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "setting {}: {}", self.name, self.reason)
    }
}

fn bad(name: &'static str, value: &str, want: &str) -> BadSetting {
    BadSetting { name, reason: format!("{value:?} is not {want}") }
}

/// A whole number in `min..=max`, or the default when absent.
fn number(get: &impl Fn(&str) -> Option<String>, name: &'static str, default: i64, min: i64, max: i64) -> Result<i64, BadSetting> {
    match get(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| bad(name, &v, &format!("a whole number from {min} to {max}"))),
    }
}

/// An `http://` or `https://` URL with a host, without a trailing slash.
fn origin_url(v: &str) -> Result<String, BadSetting> {
    let t = v.trim().trim_end_matches('/');
    let host = t.strip_prefix("http://").or_else(|| t.strip_prefix("https://"));
    match host {
        Some(h) if !h.is_empty() && !h.starts_with('/') && !t.chars().any(char::is_whitespace) => Ok(t.to_string()),
        _ => Err(bad("ORIGIN_URL", v, "an http:// or https:// URL with a host")),
    }
}

/// An `https://` URL with a host (or `http://` on a loopback host, for a local marketplace),
/// with no whitespace, quote or angle bracket: the page carries it in an attribute.
fn checkout_url(v: &str) -> Result<String, BadSetting> {
    let t = v.trim();
    let rest = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let host = host.map(|h| h.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(h, |(h, _)| h));
    let clean = !t.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`'));
    match host {
        Some(h) if clean && !h.is_empty() && (t.starts_with("https://") || crate::page::is_loopback_host(h)) => Ok(t.to_string()),
        _ => Err(bad("CHECKOUT_URL", v, "an https:// URL with a host (http:// only on loopback)")),
    }
}

/// `*` or a comma-separated list of browser origins (`https://shop.example`).
fn allowed_origins(v: &str) -> Result<Vec<String>, BadSetting> {
    let list: Vec<String> = v.split(',').map(|o| o.trim().trim_end_matches('/').to_string()).filter(|o| !o.is_empty()).collect();
    match list.iter().find(|o| *o != "*" && !(o.starts_with("http://") || o.starts_with("https://"))) {
        Some(o) => Err(bad("ALLOWED_ORIGINS", o, "* or an origin such as https://shop.example")),
        None => Ok(list),
    }
}

impl Settings {
    /// Parses the settings from `get` (a setting's value, `None` when absent or empty), with
    /// the documented defaults for absent ones; the first bad one is the error.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Settings, BadSetting> {
        let get = |n: &str| get(n).filter(|s| !s.trim().is_empty());
        let local_demo = match get("LOCAL_DEMO").as_deref().map(str::trim) {
            None | Some("0") => false,
            Some("1") => true,
            Some(v) => return Err(bad("LOCAL_DEMO", v, "0 or 1")),
        };
        // The bounds are what each figure can mean: a day of freshness is already no cache.
        Ok(Settings {
            origin_url: origin_url(&get("ORIGIN_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into()))?,
            edge_token: get("EDGE_TOKEN").unwrap_or_default(),
            snapshot_ttl_s: number(&get, "SNAPSHOT_TTL_S", 2, 0, 86_400)?,
            stale_limit_s: number(&get, "STALE_LIMIT_S", 60, 0, 7 * 86_400)?,
            allowed_origins: get("ALLOWED_ORIGINS").map(|v| allowed_origins(&v)).transpose()?.unwrap_or_default(),
            origin_timeout_ms: number(&get, "ORIGIN_TIMEOUT_MS", 1500, 1, 600_000)?.unsigned_abs(),
            origin_retries: u32::try_from(number(&get, "ORIGIN_RETRIES", 2, 0, i64::from(MAX_ORIGIN_RETRIES))?)
                .unwrap_or(MAX_ORIGIN_RETRIES),
            demo_buyer_token: get("DEMO_BUYER_TOKEN"),
            local_demo,
            snapshot_cache_bytes: usize::try_from(number(&get, "SNAPSHOT_CACHE_BYTES", DEFAULT_SNAPSHOT_CACHE_BYTES, 0, 1 << 30)?)
                .unwrap_or(usize::MAX),
            checkout_url: get("CHECKOUT_URL").map(|v| checkout_url(&v)).transpose()?,
        })
    }

    /// Reads the settings from the Worker's environment (a `[vars]` entry, else a secret).
    pub fn from_env(env: &Env) -> Result<Settings, BadSetting> {
        Settings::parse(|name| env.var(name).map(|v| v.to_string()).or_else(|_| env.secret(name).map(|s| s.to_string())).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Settings, BadSetting> {
        Settings::parse(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn absent_or_empty_settings_take_the_documented_defaults() {
        let s = parse(&[("SNAPSHOT_TTL_S", ""), ("LOCAL_DEMO", "0")]).unwrap();
        assert_eq!(s.origin_url, "http://127.0.0.1:8080");
        assert_eq!((s.snapshot_ttl_s, s.stale_limit_s, s.origin_timeout_ms, s.origin_retries), (2, 60, 1500, 2));
        assert_eq!(s.snapshot_cache_bytes, 16 << 20);
        assert!(s.allowed_origins.is_empty() && !s.local_demo && s.demo_buyer_token.is_none() && s.checkout_url.is_none());
    }

    #[test]
    fn good_values_are_read_as_given() {
        let s = parse(&[
            ("ORIGIN_URL", "https://origin.example/ "),
            ("SNAPSHOT_TTL_S", " 60"),
            ("STALE_LIMIT_S", "0"),
            ("ORIGIN_TIMEOUT_MS", "5000"),
            ("ORIGIN_RETRIES", "5"),
            ("ALLOWED_ORIGINS", "http://127.0.0.1:8787, https://shop.example/,"),
            ("SNAPSHOT_CACHE_BYTES", "0"),
            ("LOCAL_DEMO", "1"),
            ("CHECKOUT_URL", " https://shop.example/checkout?from=aforo "),
        ])
        .unwrap();
        assert_eq!(s.checkout_url.as_deref(), Some("https://shop.example/checkout?from=aforo"));
        for local in ["http://127.0.0.1:9/pay", "http://localhost/pay", "http://[::1]:8080"] {
            assert_eq!(parse(&[("CHECKOUT_URL", local)]).unwrap().checkout_url.as_deref(), Some(local));
        }
        assert_eq!(s.origin_url, "https://origin.example");
        assert_eq!((s.snapshot_ttl_s, s.stale_limit_s, s.origin_timeout_ms, s.origin_retries), (60, 0, 5000, 5));
        assert_eq!(s.allowed_origins, ["http://127.0.0.1:8787", "https://shop.example"]);
        assert_eq!(s.snapshot_cache_bytes, 0);
        assert!(s.local_demo);
    }

    #[test]
    fn a_bad_value_is_an_error_naming_the_setting_never_a_default() {
        for (name, value) in [
            ("SNAPSHOT_TTL_S", "2s"),
            ("SNAPSHOT_TTL_S", "-1"),
            ("STALE_LIMIT_S", "sixty"),
            ("ORIGIN_TIMEOUT_MS", "0"),
            ("ORIGIN_TIMEOUT_MS", "1.5"),
            ("ORIGIN_RETRIES", "9"),
            ("SNAPSHOT_CACHE_BYTES", "16MiB"),
            ("ORIGIN_URL", "127.0.0.1:8080"),
            ("ORIGIN_URL", "http://"),
            ("ALLOWED_ORIGINS", "shop.example"),
            ("LOCAL_DEMO", "yes"),
            ("CHECKOUT_URL", "http://shop.example/checkout"),
            ("CHECKOUT_URL", "shop.example/checkout"),
            ("CHECKOUT_URL", "https://"),
            ("CHECKOUT_URL", "https://shop.example/<script>"),
            ("CHECKOUT_URL", "javascript:alert(1)"),
        ] {
            let e = parse(&[(name, value)]).unwrap_err();
            assert_eq!(e.name, name, "{value}");
            assert!(e.to_string().starts_with(&format!("setting {name}: ")), "{e}");
            assert!(e.reason.contains(value.trim_end_matches('/')), "{e}");
        }
    }
}
