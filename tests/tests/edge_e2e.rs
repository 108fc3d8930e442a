//! The Worker in real workerd (`wrangler dev`) in front of the real origin and Redis: the
//! same JSON as the origin, freshness within the TTL, CORS, hold pass-through, the buyer page
//! in headless Chromium (with a seller's HTML shown as text, under its Content-Security-Policy),
//! the demo token only in a local demo on loopback, and the degraded mode when the origin dies.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "edge/faults.rs"]
mod faults;

use std::time::{Duration, Instant};

use aforo_tests::client::Api;
use aforo_tests::edge::Edge;
use aforo_tests::harness::{left_out_of_fast_tier, repo_root};
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn without_freshness(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("as_of");
        o.remove("stale");
    }
    v
}

/// Numbered tables on a terrace and in a hall, as the demo restaurant has them.
fn floor() -> Value {
    let t = |id: &str, seats: [u32; 2], area: &str| json!({"id": id, "seats": seats, "area": area});
    json!([
        t("T1", [1, 2], "terrace"),
        t("T2", [1, 2], "terrace"),
        t("T3", [1, 2], "terrace"),
        t("T4", [1, 2], "terrace"),
        t("T5", [2, 4], "terrace"),
        t("T6", [2, 4], "terrace"),
        t("H1", [2, 4], "hall"),
        t("H2", [2, 4], "hall"),
        t("H3", [2, 4], "hall"),
        t("H4", [2, 4], "hall"),
        t("H5", [5, 6], "hall"),
        t("H6", [5, 6], "hall")
    ])
}

fn restaurant() -> Value {
    let week: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!([["13:00", "16:00"], ["20:00", "23:30"]])))
        .collect();
    json!({"name": "Trattoria", "timezone": "Europe/Madrid",
        "dimensions": {"daily": {"capacity": 120}, "slots": {"duration_min": 90, "interval_min": 15, "capacity": 8, "concurrent": 30, "pacing": {"window_min": 15, "max": 10},
            "tables": floor(), "combinations": [{"of": ["H3", "H4"], "seats": [6, 8]}]}},
        "hours": week, "closures": [{"from": day(5), "to": day(5), "reason": "vacaciones"}],
        "seasons": [{"name": "alta", "from": day(1), "to": day(20), "priority": 1, "overrides": {"price_multiplier": 1.2}}],
        "horizon_days": 60, "qty": {"min": 1, "max": 8},
        // One test buyer seeds the whole room, past the default share (2 × qty.max): named.
        "per_buyer": {"max_held_units": 100},
        "pricing": {"currency": "EUR", "base_minor": 2500, "triggers": [{"utilization_gte": 0.5, "multiplier": 1.15, "tier": "high"}]}})
}

/// Price tiers and a name a seller may write (the document accepts any 1-64 byte tier).
const HOSTILE_TIERS: [&str; 2] = ["<script>window.__xss=1</script>", "<img src=x onerror=window.__xss=1>"];
const HOSTILE_NAME: &str = "<script>window.__xss=1</script><img src=x onerror=window.__xss=1>";

/// Four seatings a day, 19:00 to 21:00; every slot is priced at the <img> tier, a slot at
/// least half full at the <script> tier.
fn hostile() -> Value {
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["19:00", "21:00"]]))).collect();
    json!({"name": HOSTILE_NAME, "timezone": "Europe/Madrid", "hours": week,
        "dimensions": {"slots": {"duration_min": 30, "interval_min": 30, "capacity": 4}},
        "pricing": {"currency": "EUR", "base_minor": 1000, "triggers": [
            {"utilization_gte": 0.0, "multiplier": 1.0, "tier": HOSTILE_TIERS[1]},
            {"utilization_gte": 0.5, "multiplier": 1.5, "tier": HOSTILE_TIERS[0]}]}})
}

/// A bar with one table of 4 and one seating a night, at 20:00 (UTC).
fn barra() -> Value {
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["20:00", "21:00"]]))).collect();
    json!({"name": "Barra", "timezone": "UTC", "hours": week,
        "dimensions": {"slots": {"duration_min": 60, "interval_min": 60, "capacity": 4,
            "tables": [{"id": "B1", "seats": [1, 4]}]}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_answers_as_the_origin_and_degrades_visibly() {
    if left_out_of_fast_tier("the_edge_answers_as_the_origin_and_degrades_visibly", "workerd (wrangler dev) and Chromium") {
        return;
    }
    let mut e = env();
    let ttl_s = 2;
    let stale_limit_s = 6;
    let edge = Edge::start(
        &e.origin.url(),
        &[
            ("SNAPSHOT_TTL_S", &ttl_s.to_string()),
            ("STALE_LIMIT_S", &stale_limit_s.to_string()),
            ("ALLOWED_ORIGINS", "https://shop.example"),
            // Set, but this Worker is not told it is a local demo: the page must not carry it.
            ("DEMO_BUYER_TOKEN", &e.buyer),
        ],
    );
    let ed = Api::new(&edge.url());
    create(&e, "trattoria", &restaurant()).await;
    create(&e, "panettone", &stock_doc(40)).await;
    create(&e, "bakery", &daily_doc(30)).await;
    let week: serde_json::Map<String, Value> =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| (d.to_string(), json!([["19:00", "23:00"]]))).collect();
    let sala = json!({"name": "Sala", "timezone": "Europe/Madrid", "hours": week,
        "dimensions": {"slots": {"duration_min": 30, "interval_min": 30, "capacity": 20,
            "tables": [{"type": "6-top", "count": 1, "seats": [5, 6]}, {"type": "2-top", "count": 4, "seats": [1, 2]}]}}});
    create(&e, "sala", &sala).await;
    create(&e, "hostile", &hostile()).await;
    create(&e, "barra", &barra()).await;
    let d = day(2);
    // The bar's one seating on that date is taken by 3 of its 4: a party of 2 does not fit.
    let three = e.api.hold(&e.buyer, "barra-three", &json!({"resource_id": "barra", "date": d, "slot": "20:00", "qty": 3})).await;
    assert_eq!(three.status, 201, "{:?}", three.body);
    let six = e.api.hold(&e.buyer, "six", &json!({"resource_id": "sala", "date": d, "slot": "20:00", "qty": 6})).await;
    assert_eq!(six.body["items"][0]["table"], "6-top", "{:?}", six.body);
    // Half of the 19:30 seating: its tier is the <script> one, the others' the <img> one.
    let half = e.api.hold(&e.buyer, "hostile-half", &json!({"resource_id": "hostile", "date": d, "slot": "19:30", "qty": 2})).await;
    assert_eq!(half.status, 201, "{:?}", half.body);
    // (A hold is priced on what was committed before it: the <img> tier.)
    assert_eq!(half.body["items"][0]["price"]["tier"], HOSTILE_TIERS[1]);
    for (i, (slot, qty)) in [("20:00", 6), ("20:15", 4), ("13:00", 8)].iter().enumerate() {
        let h = e.api.hold(&e.buyer, &format!("seed{i}"), &json!({"resource_id": "trattoria", "date": d, "slot": slot, "qty": qty})).await;
        assert_eq!(h.status, 201, "{:?}", h.body);
        // Best fit by table id: the 6-top H5, the first 4-top H1, the 8-top on H3+H4.
        assert_eq!(h.body["items"][0]["tables"], json!([["H5"], ["H1"], ["H3", "H4"]])[i], "{:?}", h.body);
    }

    // A party of 5 waits for the sala's one 6-top at 20:00; the party holding it lets go: the
    //    offer takes the table in the same step, so edge and origin (step 1's sala queries)
    //    both show it taken, and a fresh party of 6 is refused.
    let waiter = aforo_tests::harness::token("waiter", "buyer");
    let want = json!({"resource_id": "sala", "date": d, "from": "20:00", "to": "20:00", "qty": 5});
    let joined = e.api.send(Method::POST, "/v1/waitlist", Some(&waiter), Some("w1"), Some(want.to_string().into_bytes())).await;
    assert_eq!(joined.status, 201, "{:?}", joined.body);
    assert_eq!(e.api.release(&e.buyer, six.body["id"].as_str().unwrap()).await.status, 200);
    let entry = e.api.get(&waiter, &format!("/v1/waitlist/{}", joined.body["id"].as_str().unwrap())).await;
    assert_eq!(entry.body["status"], "offered", "{:?}", entry.body);
    let fresh = e.api.hold(&e.buyer, "six-again", &json!({"resource_id": "sala", "date": d, "slot": "20:00", "qty": 6})).await;
    assert_eq!(fresh.code(), "SOLD_OUT", "{:?}", fresh.body);

    // 0. A crowd of first reads of uncached resources: one request fetches each snapshot, the
    //    others wait for it on their own timers; none may fail (a request awaiting another
    //    request's fetch is cancelled by workerd as hung: a 500).
    let crowd: Vec<_> = (0..96)
        .map(|i| {
            let (ed, d) = (ed.clone(), day(1 + i % 3));
            let id = ["panettone", "bakery", "sala"][i as usize % 3];
            let q = if id == "panettone" { "qty=1".to_string() } else { format!("date={d}&qty=1") };
            tokio::spawn(async move { ed.availability(id, &q).await.status.as_u16() })
        })
        .collect();
    for t in crowd {
        assert_eq!(t.await.unwrap(), 200);
    }

    // 1. Same JSON as the origin for a set of queries (as_of and stale aside).
    let queries = [
        ("trattoria", "availability", format!("date={d}&qty=2")),
        ("trattoria", "availability", format!("date={d}&qty=4&slot=20:00")),
        ("trattoria", "availability", format!("date={}&qty=2", day(5))),
        ("trattoria", "availability", format!("date={}&qty=2", day(90))),
        ("trattoria", "calendar", format!("from={}&to={}&qty=2", day(0), day(30))),
        ("trattoria", "calendar", format!("from={}&to={}&qty=3", day(0), day(120))),
        ("trattoria", "availability", format!("date={d}&qty=4&area=terrace")),
        ("trattoria", "availability", format!("date={d}&qty=8&slot=20:15")),
        ("trattoria", "calendar", format!("from={}&to={}&qty=6&area=hall", day(0), day(14))),
        ("panettone", "availability", "qty=3".to_string()),
        ("bakery", "availability", format!("date={}&qty=5", day(3))),
        ("bakery", "calendar", format!("from={}&to={}", day(1), day(10))),
        ("sala", "availability", format!("date={d}&qty=6")),
        ("sala", "availability", format!("date={d}&qty=6&slot=20:00")),
        ("sala", "calendar", format!("from={}&to={}&qty=6", day(1), day(4))),
        ("barra", "availability", format!("date={d}&qty=2")),
        ("barra", "calendar", format!("from={}&to={}&qty=2", day(1), day(3))),
    ];
    for (id, route, q) in &queries {
        let path = format!("/v1/resources/{id}/{route}?{q}");
        let (o, x) = (e.api.send(Method::GET, &path, None, None, None).await, ed.send(Method::GET, &path, None, None, None).await);
        assert_eq!(o.status, 200, "{path}: {:?}", o.body);
        assert_eq!(x.status, 200, "{path}: {:?}", x.body);
        assert_eq!(x.body["stale"], false);
        assert_eq!(without_freshness(x.body.clone()), without_freshness(o.body.clone()), "{path}");
        // limited_by and max_party explain every remaining, at the edge as at the origin.
        aforo_tests::explain::check(&x.body).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    // The offer holds the 6-top, at the edge as at the origin: no party of 6 fits at 20:00.
    let path = format!("/v1/resources/sala/availability?date={d}&qty=6&slot=20:00");
    for api in [&e.api, &ed] {
        let a = api.send(Method::GET, &path, None, None, None).await;
        assert_eq!(a.body["slots"][0]["status"], "sold_out", "{path}: {:?}", a.body);
    }
    // Golden, at both: the bar's one table is taken by 3 of its 4 covers, so a party of 2
    // has 1 cover left and no table: the tables bind, with nothing seatable.
    let path = format!("/v1/resources/barra/availability?date={d}&qty=2&slot=20:00");
    for api in [&e.api, &ed] {
        let a = api.send(Method::GET, &path, None, None, None).await;
        let slot = &a.body["slots"][0];
        assert_eq!(slot["limited_by"], json!({"rule": "tables", "used": 1, "limit": 1, "at": format!("{d}T20:00:00+00:00")}), "{path}");
        assert_eq!((slot["remaining"].clone(), slot["max_party"].clone(), slot["status"].clone()), (json!(0), json!(0), json!("sold_out")));
    }
    // Errors are the same problems too.
    for path in [
        "/v1/resources/ghost/availability?qty=1",
        "/v1/resources/trattoria/availability?qty=0",
        "/v1/resources/trattoria/availability?date=2026-02-30",
        "/v1/resources/trattoria/availability?date=2027-01-05&area=roof",
    ] {
        let (o, x) = (e.api.send(Method::GET, path, None, None, None).await, ed.send(Method::GET, path, None, None, None).await);
        assert_eq!((x.status, x.code()), (o.status, o.code()), "{path}");
        assert_eq!(x.content_type, "application/problem+json");
    }

    // 2. A hold through the edge (passed through) shows at the edge within the TTL.
    let q = format!("/v1/resources/trattoria/availability?date={d}&qty=1&slot=21:00");
    let before = ed.send(Method::GET, &q, None, None, None).await.body["remaining"].as_u64().unwrap();
    let h = ed.hold(&e.buyer, "via-edge", &json!({"resource_id": "trattoria", "date": d, "slot": "21:00", "qty": 3})).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    assert_eq!(ed.get_hold(&e.buyer, h.body["id"].as_str().unwrap()).await.body["status"], "held");
    eventually_every(Duration::from_secs(ttl_s) + Duration::from_millis(1500), Duration::from_millis(200), || async {
        let now = ed.send(Method::GET, &q, None, None, None).await.body["remaining"].as_u64().unwrap();
        if now == before - 3 {
            Ok(())
        } else {
            Err(format!("the edge still shows {now} (was {before}) past the TTL"))
        }
    })
    .await;

    // 3. CORS: allowed origin gets the header, others do not; preflight.
    let c = aforo_tests::client::http().build().unwrap();
    let allowed =
        c.get(format!("{}/v1/resources/panettone/availability", edge.url())).header("origin", "https://shop.example").send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example");
    let other =
        c.get(format!("{}/v1/resources/panettone/availability", edge.url())).header("origin", "https://evil.example").send().await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let pre = c
        .request(Method::OPTIONS, format!("{}/v1/holds", edge.url()))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, idempotency-key")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert!(pre.headers()["access-control-allow-headers"].to_str().unwrap().contains("idempotency-key"));
    assert_eq!(
        c.request(Method::OPTIONS, format!("{}/v1/holds", edge.url()))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // 4. The buyer page in headless Chromium: pick a date, see slots, hold one, see it held;
    //    a seller's HTML is text, the CSP is sent and enforced, the demo token is not served.
    browser_holds_a_table(&edge.url(), &e, &d).await;
    page_headers(&edge.url()).await;
    demo_token_only_in_a_local_demo_on_loopback(&e.origin.url(), &e.buyer).await;

    // 5. Degraded mode: the origin dies; the last snapshot is served marked stale with its
    //    true as_of, then 503 ORIGIN_UNAVAILABLE past the stale limit.
    let path = format!("/v1/resources/trattoria/availability?date={d}&qty=2");
    let fresh = ed.send(Method::GET, &path, None, None, None).await;
    let as_of = fresh.body["as_of"].clone();
    e.origin.kill();
    tokio::time::sleep(Duration::from_secs(ttl_s) + Duration::from_millis(200)).await;
    let stale = ed.send(Method::GET, &path, None, None, None).await;
    assert_eq!(stale.status, 200, "{:?}", stale.body);
    assert_eq!(stale.body["stale"], true);
    // Said in a header too, with its age in seconds.
    let raw = aforo_tests::client::http().build().unwrap().get(format!("{}{path}", edge.url())).send().await.unwrap();
    let age: i64 = raw.headers()["aforo-stale"].to_str().unwrap().parse().unwrap();
    assert!(age >= ttl_s as i64, "Aforo-Stale: {age}");
    assert_eq!(stale.body["as_of"], as_of);
    assert_eq!(without_freshness(stale.body.clone()), without_freshness(fresh.body.clone()));
    let gone_by = Instant::now() + Duration::from_secs(stale_limit_s + 4);
    loop {
        let a = ed.send(Method::GET, &path, None, None, None).await;
        if a.status == 503 {
            assert_eq!(a.code(), "ORIGIN_UNAVAILABLE");
            assert!(a.retry_after.is_some());
            assert_eq!(a.content_type, "application/problem+json");
            break;
        }
        assert_eq!(a.body["stale"], true, "never a silent stale answer");
        assert!(Instant::now() < gone_by, "still serving stale data past the limit");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let h = ed.hold(&e.buyer, "while-down", &json!({"resource_id": "panettone", "qty": 1})).await;
    assert_eq!((h.status.as_u16(), h.code()), (503, "ORIGIN_UNAVAILABLE"));

    // 6. The origin back: the edge's next snapshot fetch reports the stale answers it served,
    //    and the origin counts them (the P2 alert AforoEdgeServingStale reads that counter).
    e.origin.restart();
    eventually_every(Duration::from_secs(20), Duration::from_millis(500), || async {
        let _ = ed.send(Method::GET, &path, None, None, None).await;
        let n = metric(&e.api.text("/metrics").await, "aforo_edge_stale_answers_total", &[]);
        if n >= 2.0 {
            Ok(())
        } else {
            Err(format!("the origin never heard of the stale answers: {n}"))
        }
    })
    .await;
}

async fn browser_holds_a_table(edge_url: &str, e: &Env, date: &str) {
    let buyer = &e.buyer;
    let root = repo_root();
    let shot = root.join("target/artifacts/buyer-page.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let out = tokio::process::Command::new("node")
        .arg(root.join("tests/browser/buyer-page.mjs"))
        .env("EDGE_URL", edge_url)
        .env("BUYER_TOKEN", buyer)
        .env("DATE", date)
        .env("SCREENSHOT", &shot)
        .env("HOSTILE_ID", "hostile")
        .env("HOSTILE_TIERS", serde_json::to_string(&HOSTILE_TIERS).unwrap())
        .env("UNSERVED_TOKEN", buyer)
        .env("ALT_ID", "barra")
        .env("ORIGIN_URL", e.origin.url())
        .env("OPS_TOKEN", &e.ops)
        .current_dir(&root)
        .output()
        .await
        .expect("node");
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser test failed:\n{log}");
    assert!(log.contains("held:"), "{log}");
    assert!(log.contains("no-table: 20:00 no table for 6, 20:30 available"), "{log}");
    assert!(log.contains("hostile: tiers shown as text") && log.contains("window.__xss undefined"), "{log}");
    assert!(log.contains("alternatives: ") && log.contains("alternative held: 2 people on "), "{log}");
    assert!(log.contains("read-only: Bookings are paused for maintenance; nothing was charged or held."), "{log}");
    println!("{log}");
    // The switch is back on: a hold goes through again.
    let mode = e.api.get(&e.ops, "/v1/monitoring/mode").await;
    assert_eq!(mode.body["read_only"], false, "{:?}", mode.body);
    for suffix in ["-alternatives.png", "-read-only.png"] {
        let p = root.join(format!("target/artifacts/buyer-page{suffix}"));
        assert!(std::fs::metadata(&p).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot at {}", p.display());
    }
    assert!(std::fs::metadata(&shot).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot at {}", shot.display());
}

/// The page's script and styles are the Worker's own routes, with their types and the same
/// policy; every answer, JSON included, says nosniff.
async fn page_headers(edge_url: &str) {
    let c = aforo_tests::client::http().build().unwrap();
    for (path, ctype) in
        [("/", "text/html; charset=utf-8"), ("/page.js", "text/javascript; charset=utf-8"), ("/page.css", "text/css; charset=utf-8")]
    {
        let r = c.get(format!("{edge_url}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        assert_eq!(h["content-type"], ctype, "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self';") && !csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
    }
    let js = c.get(format!("{edge_url}/page.js")).send().await.unwrap().text().await.unwrap();
    assert!(js.contains("createElement") && !js.contains("innerHTML"), "{js}");
    let a = c.get(format!("{edge_url}/v1/resources/panettone/availability?qty=1")).send().await.unwrap();
    assert_eq!(a.headers()["x-content-type-options"], "nosniff");
    let missing = c.get(format!("{edge_url}/page.html")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

/// A Worker told it is a local demo pre-fills the token for a page asked for on loopback, and
/// still not for any other host (the main Worker of the test, without LOCAL_DEMO, never does).
async fn demo_token_only_in_a_local_demo_on_loopback(origin_url: &str, buyer: &str) {
    let edge = Edge::start(origin_url, &[("LOCAL_DEMO", "1"), ("DEMO_BUYER_TOKEN", buyer)]);
    let c = aforo_tests::client::http().build().unwrap();
    let page = |host: Option<String>| {
        let mut r = c.get(format!("{}/", edge.url()));
        if let Some(h) = host {
            r = r.header("host", h);
        }
        async move { r.send().await.unwrap().text().await.unwrap() }
    };
    let textarea = format!(">{buyer}</textarea>");
    assert!(page(None).await.contains(&textarea), "a local demo on 127.0.0.1 must pre-fill the token");
    assert!(page(Some(format!("localhost:{}", edge.port))).await.contains(&textarea), "localhost is loopback");
    for host in ["aforo.example", "127.0.0.1.nip.io", "10.1.2.3:8787"] {
        let html = page(Some(host.to_string())).await;
        assert!(html.contains(r#"<h1 id="place">"#), "{host}: {html}");
        assert!(!html.contains(buyer), "the token was served for Host: {host}");
    }
}
