//! The buyer page's assets and the rules for serving them: a strict Content-Security-Policy
//! (script and style only from this Worker's own routes, Trusted Types required so that no
//! string can be parsed as HTML), and the demo buyer token only in a local demo on loopback.
//!
//! Pure (no Worker APIs), so that its tests run on the host.

/// The page. `__DEMO_BUYER_TOKEN__` is replaced by [`demo_token`]'s answer.
pub const HTML: &str = include_str!("page.html");
/// Its script, served at `/page.js`.
pub const JS: &str = include_str!("page.js");
/// Its styles, served at `/page.css`.
pub const CSS: &str = include_str!("page.css");

/// The Content-Security-Policy of the page: nothing but this Worker's own script, styles and
/// API; no inline script or style, no plugins, no framing, no forms posted elsewhere, and
/// Trusted Types required for every HTML sink (`innerHTML` and friends throw).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; \
                       base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
                       require-trusted-types-for 'script'; trusted-types 'none'";

/// Headers every page asset carries besides its content type.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// A page asset: its path, content type and body.
pub fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/page.js" => Some(("text/javascript; charset=utf-8", JS)),
        "/page.css" => Some(("text/css; charset=utf-8", CSS)),
        _ => None,
    }
}

/// Whether a URL host (as `Url::host_str` gives it) is this machine: `localhost`, an IPv4
/// address in 127.0.0.0/8, or `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// The buyer token the page pre-fills: the configured demo token only when the Worker is told
/// it is a local demo (`LOCAL_DEMO=1`) *and* the page was asked for on a loopback host, so a
/// deployed Worker never hands one out, whatever its secrets hold. Only JWT characters
/// (base64url and dots) are kept, so nothing in it can break out of the text area.
pub fn demo_token(local_demo: bool, host: Option<&str>, token: Option<&str>) -> String {
    match (local_demo, host, token) {
        (true, Some(h), Some(t)) if is_loopback_host(h) => {
            t.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect()
        }
        _ => String::new(),
    }
}

/// The page with the token (from [`demo_token`]) in its text area.
pub fn html(token: &str) -> String {
    HTML.replace("__DEMO_BUYER_TOKEN__", token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_served_only_to_a_local_demo_on_loopback() {
        let t = Some("eyJh.eyJz.c2ln-_");
        assert_eq!(demo_token(true, Some("127.0.0.1"), t), "eyJh.eyJz.c2ln-_");
        assert_eq!(demo_token(true, Some("localhost"), t), "eyJh.eyJz.c2ln-_");
        assert_eq!(demo_token(true, Some("LocalHost"), t), "eyJh.eyJz.c2ln-_");
        assert_eq!(demo_token(true, Some("127.8.9.10"), t), "eyJh.eyJz.c2ln-_");
        assert_eq!(demo_token(true, Some("[::1]"), t), "eyJh.eyJz.c2ln-_");
        // Deployed (no LOCAL_DEMO), or any other host, or no token: nothing.
        assert_eq!(demo_token(false, Some("127.0.0.1"), t), "");
        for host in ["aforo.example", "localhost.example", "127.0.0.1.nip.io", "10.0.0.1", "[::2]", "0.0.0.0", ""] {
            assert_eq!(demo_token(true, Some(host), t), "", "{host}");
        }
        assert_eq!(demo_token(true, None, t), "");
        assert_eq!(demo_token(true, Some("127.0.0.1"), None), "");
    }

    #[test]
    fn the_token_cannot_break_out_of_the_text_area() {
        let t = demo_token(true, Some("localhost"), Some("a.b</textarea><script>alert(1)</script>"));
        assert_eq!(t, "a.btextareascriptalert1script");
        assert!(!html(&t).contains("__DEMO_BUYER_TOKEN__"));
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_no_html_sinks() {
        assert!(HTML.contains(r#"<script src="/page.js" defer></script>"#));
        assert!(HTML.contains(r#"<link rel="stylesheet" href="/page.css">"#));
        assert_eq!(HTML.matches("<script").count(), 1, "one script, from /page.js");
        assert!(!HTML.contains("<style") && !HTML.contains(" style=") && !HTML.contains(" on"), "inline style or handler");
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            assert!(!JS.contains(sink), "page.js uses {sink}");
        }
        assert!(CSP.contains("script-src 'self'") && !CSP.contains("unsafe"));
        assert!(CSP.contains("require-trusted-types-for 'script'"));
        assert_eq!(asset("/page.js").map(|a| a.0), Some("text/javascript; charset=utf-8"));
        assert_eq!(asset("/page.css").map(|a| a.0), Some("text/css; charset=utf-8"));
        assert_eq!(asset("/page.html"), None);
    }

    #[test]
    fn alternatives_are_buttons_and_a_read_only_refusal_is_said_plainly() {
        assert!(HTML.contains(r#"<div id="alternatives"></div>"#));
        assert!(JS.contains(r#"el("button", { type: "button", className: "alternative" }"#), "alternatives are buttons built with the DOM");
        assert!(JS.contains(r#"h.code === "READ_ONLY""#));
        assert!(JS.contains("Bookings are paused for maintenance; nothing was charged or held."));
    }
}
