//! `/console/`: the web console's page and assets, served by the origin from its binary with a
//! strict Content-Security-Policy (tests/browser/console.mjs drives it in Chromium).

use crate::common::*;

async fn fetch(url: &str) -> reqwest::Response {
    aforo_tests::client::http().redirect(reqwest::redirect::Policy::none()).build().unwrap().get(url).send().await.unwrap()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_learns_how_to_sign_in_from_its_config() {
    // Without a provider: the token field only, and the page talks to this origin alone.
    let e = env();
    let c = fetch(&format!("{}/console/config", e.origin.url())).await;
    assert_eq!(c.headers()["content-type"], "application/json");
    assert_eq!(c.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"oidc": null, "role_claim": "role"}));

    let idp = "https://id.marketplace.test:8443";
    let vars = [
        ("AFORO_OIDC_AUTHORIZATION_URL", "https://id.marketplace.test/authorize"),
        ("AFORO_OIDC_TOKEN_URL", "https://id.marketplace.test:8443/oauth/token"),
        ("AFORO_OIDC_CLIENT_ID", "aforo-console"),
        ("AFORO_OIDC_BEARER", "access_token"),
        ("AFORO_JWKS_URL", "http://127.0.0.1:9/jwks"),
        ("AFORO_JWT_ISSUER", "https://id.marketplace.test/"),
        ("AFORO_JWT_AUDIENCE", "aforo"),
        ("AFORO_JWT_ROLE_CLAIM", "https://marketplace.test/role"),
    ];
    let o = Env::with(aforo_tests::harness::Redis::start(&[]), &vars);
    let c: serde_json::Value = fetch(&format!("{}/console/config", o.origin.url())).await.json().await.unwrap();
    assert_eq!(
        c,
        serde_json::json!({"oidc": {"authorization_url": "https://id.marketplace.test/authorize",
            "token_url": "https://id.marketplace.test:8443/oauth/token", "client_id": "aforo-console",
            "scope": "openid profile", "redirect_uri": null, "bearer": "access_token"},
            "role_claim": "https://marketplace.test/role"})
    );
    // The page may call the token endpoint's origin, and no other.
    let page = fetch(&format!("{}/console/", o.origin.url())).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains(&format!("connect-src 'self' {idp};")), "{csp}");

    // Half a provider, or one over plain http elsewhere than on this machine, is refused at start.
    for bad in [
        vec![("AFORO_OIDC_CLIENT_ID", "aforo-console")],
        vec![
            ("AFORO_OIDC_AUTHORIZATION_URL", "http://id.marketplace.test/authorize"),
            ("AFORO_OIDC_TOKEN_URL", "https://id.marketplace.test/token"),
            ("AFORO_OIDC_CLIENT_ID", "c"),
        ],
    ] {
        let out = std::process::Command::new(aforo_tests::harness::origin_bin())
            .env("AFORO_JWT_SECRET", aforo_tests::harness::SECRET)
            .envs(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("AFORO_OIDC_"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}
