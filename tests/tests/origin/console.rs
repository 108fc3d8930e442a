//! `/console/`: the web console's page and assets, served by the origin from its binary with a
//! strict Content-Security-Policy (tests/browser/console.mjs drives it in Chromium).

use crate::common::*;

async fn fetch(url: &str) -> reqwest::Response {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap().get(url).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_with_its_policy() {
    let e = env();
    let base = e.origin.url();
    let built = aforo_origin::console::built();
    let page = fetch(&format!("{base}/console/")).await;
    assert_eq!(page.status().as_u16(), if built { 200 } else { 503 });
    let h = page.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    for d in [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "form-action 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(d), "CSP lacks {d}: {csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    let html = page.text().await.unwrap();
    assert!(if built { html.contains(r#"<label for="token">Token</label>"#) } else { html.contains("scripts/build-console.sh") });

    let r = fetch(&format!("{base}/console")).await;
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (308, "/console/"));
    let css = fetch(&format!("{base}/console/console.css")).await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.headers().contains_key("content-security-policy"));
    let runbook = fetch(&format!("{base}/console/runbook.md")).await.text().await.unwrap();
    assert!(runbook.contains("## Read-only mode"));
    for missing in ["/console/nope.js", "/console/../Cargo.toml", "/console/pkg/console_core.js"] {
        let r = fetch(&format!("{base}{missing}")).await;
        assert_eq!(r.status().as_u16(), 404, "{missing}");
    }
    if built {
        let wasm = fetch(&format!("{base}/console/console_core_bg.wasm")).await;
        assert_eq!(wasm.headers()["content-type"], "application/wasm");
        assert_eq!(&wasm.bytes().await.unwrap()[..4], b"\0asm");
        let js = fetch(&format!("{base}/console/console.js")).await;
        assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    }
}
