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
/// Its strings in every language, served at `/page-i18n.mjs` (an ES module page.js imports).
pub const I18N: &str = include_str!("page-i18n.mjs");
/// Its decisions, pure, served at `/page-logic.mjs`.
pub const LOGIC: &str = include_str!("page-logic.mjs");

/// The languages of the page, the first the default (page-i18n.mjs has the same list).
pub const LANGS: [&str; 2] = ["en", "es"];

/// The page's language from an `Accept-Language` header: the range of highest q whose primary
/// tag is one of [`LANGS`] (the first such on a tie), else English. page-i18n.mjs's
/// `pickLang` reads the same header the same way, and an explicit `?lang=` overrides both.
pub fn lang(accept: Option<&str>) -> &'static str {
    let mut best: Option<(f32, &'static str)> = None;
    for part in accept.unwrap_or("").split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        let q = it.find_map(|p| p.trim().strip_prefix("q=").map(|v| v.trim().parse::<f32>().unwrap_or(0.0))).unwrap_or(1.0);
        if let Some(l) = LANGS.iter().find(|l| **l == primary) {
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
    }
    best.map_or(LANGS[0], |(_, l)| l)
}

/// `s` safe inside a double-quoted HTML attribute.
fn attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

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
        "/page-i18n.mjs" => Some(("text/javascript; charset=utf-8", I18N)),
        "/page-logic.mjs" => Some(("text/javascript; charset=utf-8", LOGIC)),
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

/// The page with the token (from [`demo_token`]) in its text area, its language (from
/// [`lang`]) and the marketplace's checkout URL (`CHECKOUT_URL`, empty when unset).
pub fn html(token: &str, lang: &str, checkout: Option<&str>) -> String {
    HTML.replace("__DEMO_BUYER_TOKEN__", token).replace("__LANG__", lang).replace("__CHECKOUT_URL__", &attr(checkout.unwrap_or("")))
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
        assert!(!html(&t, "en", None).contains("__DEMO_BUYER_TOKEN__"));
    }

    #[test]
    fn the_page_has_no_inline_script_or_style_and_no_html_sinks() {
        assert!(HTML.contains(r#"<script type="module" src="/page.js"></script>"#));
        assert!(HTML.contains(r#"<link rel="stylesheet" href="/page.css">"#));
        assert_eq!(HTML.matches("<script").count(), 1, "one script, from /page.js");
        assert!(!HTML.contains("<style") && !HTML.contains(" style=") && !HTML.contains(" on"), "inline style or handler");
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            for (name, js) in [("page.js", JS), ("page-i18n.mjs", I18N), ("page-logic.mjs", LOGIC)] {
                assert!(!js.contains(sink), "{name} uses {sink}");
            }
        }
        assert_eq!(asset("/page-i18n.mjs").map(|a| a.0), Some("text/javascript; charset=utf-8"));
        assert_eq!(asset("/page-logic.mjs").map(|a| a.0), Some("text/javascript; charset=utf-8"));
        assert!(CSP.contains("script-src 'self'") && !CSP.contains("unsafe"));
        assert!(CSP.contains("require-trusted-types-for 'script'"));
        assert_eq!(asset("/page.js").map(|a| a.0), Some("text/javascript; charset=utf-8"));
        assert_eq!(asset("/page.css").map(|a| a.0), Some("text/css; charset=utf-8"));
        assert_eq!(asset("/page.html"), None);
    }

    #[test]
    fn the_language_follows_accept_language() {
        assert_eq!(lang(None), "en");
        assert_eq!(lang(Some("es-ES,es;q=0.9,en;q=0.8")), "es");
        assert_eq!(lang(Some("fr-FR, en;q=0.5, es;q=0.7")), "es");
        assert_eq!(lang(Some("de, fr")), "en");
        assert_eq!(lang(Some("es;q=0, en;q=0.1")), "en");
        assert_eq!(lang(Some("en-GB,es")), "en");
        let page = html("", "es", Some("https://shop.example/pay?a=1&b=\"x\""));
        assert!(page.contains(r#"<html lang="es">"#), "{page}");
        assert!(page.contains(r#"content="https://shop.example/pay?a=1&amp;b=&quot;x&quot;""#), "{page}");
        assert!(html("", "en", None).contains(r#"name="aforo-checkout" content="""#));
    }

    #[test]
    fn every_word_of_the_page_is_in_both_languages() {
        // page.html's words are keys of page-i18n.mjs, filled in by page.js.
        for key in HTML.split("data-i18n=\"").skip(1).map(|s| s.split('"').next().unwrap_or("")) {
            assert!(I18N.contains(&format!("\n    {key}: ")), "{key} is not in page-i18n.mjs");
        }
        assert!(JS.contains("L.refusalKey(r.status, r.body.code)") && LOGIC.contains(r#"code === "READ_ONLY""#));
        assert!(I18N.contains("Bookings are paused for maintenance; nothing was charged or held."));
    }
}
