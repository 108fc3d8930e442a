//! The console's assets, built into the binary, and the rules for serving them: a strict
//! Content-Security-Policy (script only from this origin, wasm compiled by the browser, no
//! inline script or style, Trusted Types required so that no string is parsed as HTML, no
//! framing), and a page that says how to build the assets when a build lacks them.
//!
//! `index.html` and `console.css` are sources; `console.js` (the esbuild bundle) and
//! `console_core_bg.wasm` (aforo-core for the browser) come from scripts/build-console.sh
//! through origin/build.rs.

/// The console's page.
pub const HTML: &str = include_str!("../../console/src/index.html");
/// Its styles.
pub const CSS: &str = include_str!("../../console/src/console.css");
/// Its script: every module of console/src bundled with the wasm-bindgen glue (empty when not built).
pub const JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/console.js"));
/// The runbook, so that an alert's runbook link opens its section in the console.
pub const RUNBOOK: &str = include_str!("../../docs/runbook.md");
/// aforo-core's validation and preview for the browser (empty when not built).
pub const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/console_core_bg.wasm"));

/// The page answered when the binary was built without the console's assets.
pub const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Aforo console — not built</title>\
<link rel=\"stylesheet\" href=\"/console/console.css\"></head><body><main><h1>The console's assets are not built</h1>\
<p>This origin was compiled without <code>console/dist</code>. Run <code>scripts/build-console.sh</code> \
(it needs the tools of <code>scripts/install-tools.sh</code>), then build the origin again.</p></main></body></html>";

/// The Content-Security-Policy of every console answer: this origin's script, styles, API and
/// wasm, nothing inline, nothing framed, no form posted anywhere, no HTML from strings.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; \
                       img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
                       require-trusted-types-for 'script'; trusted-types 'none'";

/// [`CSP`], with `connect-src` widened to `extra` (the origin of the sign-in provider's token
/// endpoint, which the page calls to exchange its code).
pub fn csp_connecting(extra: Option<&str>) -> String {
    match extra {
        Some(o) => CSP.replacen("connect-src 'self'", &format!("connect-src 'self' {o}"), 1),
        None => CSP.to_string(),
    }
}

/// Headers every console answer carries besides its content type.
pub const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cache-control", "no-cache"),
];

/// Whether the binary carries the built assets.
pub fn built() -> bool {
    !JS.is_empty() && !WASM.is_empty()
}

/// An asset under `/console/`: its content type and bytes (`None`: 404).
pub fn asset(name: &str) -> Option<(&'static str, &'static [u8])> {
    match name {
        "" | "index.html" if built() => Some(("text/html; charset=utf-8", HTML.as_bytes())),
        "" | "index.html" => Some(("text/html; charset=utf-8", NOT_BUILT.as_bytes())),
        "console.css" => Some(("text/css; charset=utf-8", CSS.as_bytes())),
        "runbook.md" => Some(("text/markdown; charset=utf-8", RUNBOOK.as_bytes())),
        "console.js" if built() => Some(("text/javascript; charset=utf-8", JS)),
        "console_core_bg.wasm" if built() => Some(("application/wasm", WASM)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        assert!(HTML.contains(r#"<script type="module" src="/console/console.js"></script>"#));
        assert_eq!(HTML.matches("<script").count(), 1, "one script, from /console/console.js");
        assert!(!HTML.contains("<style") && !HTML.contains(" style="), "inline style");
        let handler = HTML.match_indices(" on").any(|(i, _)| {
            let rest = &HTML[i + 3..];
            let name = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            name > 0 && rest[name..].starts_with('=')
        });
        assert!(!handler, "an inline event handler");
        assert!(HTML.contains(r#"<label for="token">Token</label>"#));
        assert!(CSP.contains("script-src 'self' 'wasm-unsafe-eval';") && !CSP.contains("unsafe-inline") && !CSP.contains(" 'unsafe-eval'"));
        assert!(CSP.contains("frame-ancestors 'none'") && CSP.contains("connect-src 'self'"));
    }

    #[test]
    fn the_script_writes_no_html() {
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"] {
            assert!(!String::from_utf8_lossy(JS).contains(sink), "console.js uses {sink}");
        }
    }

    #[test]
    fn assets_are_named_and_typed() {
        assert_eq!(asset("console.css").map(|a| a.0), Some("text/css; charset=utf-8"));
        assert_eq!(asset("").map(|a| a.0), Some("text/html; charset=utf-8"));
        assert_eq!(asset("../Cargo.toml"), None);
        assert_eq!(asset("console.js").is_some(), built());
        if built() {
            assert_eq!(asset("console_core_bg.wasm").map(|a| a.0), Some("application/wasm"));
        } else {
            assert!(asset("").is_some_and(|a| a.1 == NOT_BUILT.as_bytes()));
        }
    }
}
