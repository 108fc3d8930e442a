//! Every error status of API.md from the real server, and a loop of malformed input that
//! must never produce a 5xx.

#![allow(clippy::unwrap_used)]

mod common;

use aforo_tests::harness::{token, SECRET};
use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_is_401_with_problem_json() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let body = Some(br#"{"resource_id":"sku","qty":1}"#.to_vec());
    let expired = aforo_origin::auth::sign(SECRET.as_bytes(), "b", aforo_origin::auth::Role::Buyer, 1_000_000).unwrap();
    let other_secret = aforo_origin::auth::sign(b"another-secret-0123456789", "b", aforo_origin::auth::Role::Buyer, 4_000_000_000).unwrap();
    for tok in [None, Some("not-a-jwt"), Some(expired.as_str()), Some(other_secret.as_str())] {
        let a = e.api.send(Method::POST, "/v1/holds", tok, Some("k"), body.clone()).await;
        assert_eq!((a.status.as_u16(), a.code()), (401, "UNAUTHENTICATED"), "{tok:?}");
        assert_eq!(a.content_type, "application/problem+json");
        assert_eq!(a.body["type"], "/problems/unauthenticated");
    }
    let raw = e.api.send(Method::GET, "/v1/resources/sku", None, None, None).await;
    assert_eq!(raw.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_is_403_for_roles_and_ownership() {
    let e = env();
    create(&e, "sku", &stock_doc(5)).await;
    let other_seller = token("seller-2", "seller");
    let checks = [
        (Method::PUT, "/v1/resources/x", e.buyer.clone(), Some(stock_doc(1).to_string())),
        (Method::GET, "/v1/resources/sku", other_seller.clone(), None),
        (Method::PUT, "/v1/resources/sku", other_seller.clone(), Some(stock_doc(1).to_string())),
        (Method::POST, "/v1/resources/sku/stock", other_seller.clone(), Some(r#"{"set":9}"#.into())),
        (Method::POST, "/v1/resources/sku/pause", other_seller.clone(), Some("{}".into())),
        (Method::POST, "/v1/holds", e.seller.clone(), Some(r#"{"resource_id":"sku","qty":1}"#.into())),
        (Method::GET, "/v1/resources/sku/snapshot", e.buyer.clone(), None),
        (Method::POST, "/v1/stock/validate", token("e", "edge"), Some(r#"{"items":[]}"#.into())),
    ];
    for (m, path, tok, body) in checks {
        let a = e.api.send(m.clone(), path, Some(&tok), Some("k"), body.map(String::into_bytes)).await;
        assert_eq!((a.status.as_u16(), a.code()), (403, "FORBIDDEN"), "{m} {path}: {:?}", a.body);
    }
    // A buyer cannot see or touch another buyer's hold; ops can.
    let h = e.api.hold(&e.buyer, "k", &json!({"resource_id": "sku", "qty": 1})).await;
    let id = h.body["id"].as_str().unwrap();
    let stranger = token("buyer-2", "buyer");
    assert_eq!(e.api.get_hold(&stranger, id).await.status, 403);
    assert_eq!(e.api.release(&stranger, id).await.status, 403);
    assert_eq!(e.api.get_hold(&e.ops, id).await.status, 200);
    // The owner can read its resource; ops can change anyone's.
    assert_eq!(e.api.send(Method::GET, "/v1/resources/sku", Some(&e.seller), None, None).await.status, 200);
    assert_eq!(e.api.stock(&e.ops, "sku", &json!({"delta": 1})).await.status, 200);
    assert_eq!(e.api.send(Method::GET, "/v1/resources/sku/snapshot", Some(&token("edge-1", "edge")), None, None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_gone_and_too_large() {
    let e = env();
    let a = e.api.availability("nope", "qty=1").await;
    assert_eq!((a.status.as_u16(), a.code()), (404, "RESOURCE_NOT_FOUND"));
    let h = e.api.hold(&e.buyer, "k", &json!({"resource_id": "nope", "qty": 1})).await;
    assert_eq!((h.status.as_u16(), h.code()), (404, "RESOURCE_NOT_FOUND"));
    for id in ["h_nothing", "h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_nope"] {
        let g = e.api.get_hold(&e.buyer, id).await;
        assert_eq!((g.status.as_u16(), g.code()), (404, "HOLD_NOT_FOUND"));
    }
    let big = vec![b' '; (1 << 20) + 10];
    let t = e.api.send(Method::PUT, "/v1/resources/big", Some(&e.seller), None, Some(big)).await;
    assert_eq!((t.status.as_u16(), t.code()), (413, "PAYLOAD_TOO_LARGE"));
    let r = e.api.send(Method::GET, "/v2/whatever", None, None, None).await;
    assert_eq!(r.status, 404);
    let m = e.api.send(Method::DELETE, "/v1/holds", None, None, None).await;
    assert_eq!(m.status, 405);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_config_names_the_field_path() {
    let e = env();
    let doc =
        json!({"name": "x", "timezone": "Mars/Olympus", "dimensions": {"slots": {"duration_min": 30, "interval_min": 0, "capacity": 2}}});
    let a = e.api.put_resource(&e.seller, "r", &doc).await;
    assert_eq!((a.status.as_u16(), a.code()), (422, "INVALID_CONFIG"));
    let paths: Vec<&str> = a.body["errors"].as_array().unwrap().iter().map(|x| x["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["timezone", "dimensions.slots.interval_min"]);
    let typo = e.api.put_resource(&e.seller, "r", &json!({"name": "x", "timezone": "UTC", "dimensions": {"stok": {}}})).await;
    assert_eq!(typo.status, 422);
    assert!(typo.body["detail"].as_str().unwrap().contains("dimensions.stok"), "{:?}", typo.body);
    let syntax = e.api.send(Method::PUT, "/v1/resources/r", Some(&e.seller), None, Some(b"{nope".to_vec())).await;
    assert_eq!((syntax.status.as_u16(), syntax.code()), (400, "INVALID_REQUEST"));
    assert_eq!(e.api.send(Method::GET, "/v1/resources/r", Some(&e.seller), None, None).await.status, 404, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_rules_are_422_with_their_codes() {
    let e = env();
    let doc = json!({"name": "Room", "timezone": "UTC", "horizon_days": 10, "qty": {"min": 2, "max": 6},
        "dimensions": {"slots": {"duration_min": 60, "interval_min": 60, "capacity": 10}},
        "hours": {"mon": [["10:00", "14:00"]], "tue": [["10:00", "14:00"]], "wed": [["10:00", "14:00"]], "thu": [["10:00", "14:00"]],
                  "fri": [["10:00", "14:00"]], "sat": [["10:00", "14:00"]]},
        "closures": [{"from": day(4), "to": day(4), "reason": "inventario"}]});
    create(&e, "room", &doc).await;
    // The next Sunday at least two days out is closed by hours.
    let sunday =
        (2..9).map(day).find(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap().format("%a").to_string() == "Sun").unwrap();
    let open = (2..9).map(day).find(|d| *d != sunday && *d != day(4)).unwrap();
    let cases = [
        (json!({"resource_id": "room", "date": day(-1), "slot": "10:00", "qty": 2}), "TOO_LATE"),
        (json!({"resource_id": "room", "date": day(30), "slot": "10:00", "qty": 2}), "BEYOND_HORIZON"),
        (json!({"resource_id": "room", "date": day(4), "slot": "10:00", "qty": 2}), "CLOSED"),
        (json!({"resource_id": "room", "date": sunday, "slot": "10:00", "qty": 2}), "CLOSED"),
        (json!({"resource_id": "room", "date": open, "slot": "13:30", "qty": 2}), "NO_SUCH_SLOT"),
        (json!({"resource_id": "room", "date": open, "slot": "13:00", "qty": 1}), "QTY_OUT_OF_RANGE"),
        (json!({"resource_id": "room", "date": open, "slot": "13:00", "qty": 7}), "QTY_OUT_OF_RANGE"),
    ];
    for (i, (body, code)) in cases.iter().enumerate() {
        let a = e.api.hold(&e.buyer, &format!("k{i}"), body).await;
        assert_eq!((a.status.as_u16(), a.code()), (422, *code), "{body}: {:?}", a.body);
    }
    let cart = json!({"items": [{"resource_id": "room", "date": open, "slot": "10:00", "qty": 2}, {"resource_id": "room", "date": day(4), "slot": "10:00", "qty": 2}]});
    let a = e.api.hold(&e.buyer, "cart", &cart).await;
    assert_eq!((a.status.as_u16(), a.code(), a.body["item"].as_u64()), (422, "CLOSED", Some(1)));
    let counted: Vec<String> = e.redis.cli(&["HKEYS", "af:{r:room}:c"]).lines().filter(|k| *k != "~v").map(String::from).collect();
    assert!(counted.is_empty(), "a refused request takes nothing: {counted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_400() {
    let e = env();
    create(&e, "sku", &stock_doc(1)).await;
    let no_key = e.api.send(Method::POST, "/v1/holds", Some(&e.buyer), None, Some(br#"{"resource_id":"sku","qty":1}"#.to_vec())).await;
    assert_eq!((no_key.status.as_u16(), no_key.code()), (400, "IDEMPOTENCY_KEY_REQUIRED"));
    for body in [
        r#"{"resource_id":"sku","qty":"1"}"#,
        r#"{"resource_id":"sku"}"#,
        r#"{"resource_id":"sku","qty":1,"x":1}"#,
        "[]",
        "",
        r#"{"resource_id":"sku","qty":1,"date":"2026-02-30"}"#,
    ] {
        let a = e.api.send(Method::POST, "/v1/holds", Some(&e.buyer), Some("k"), Some(body.as_bytes().to_vec())).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{body}");
    }
    for q in ["qty=0", "qty=x", "date=2026-13-01", "bogus=1"] {
        let a = e.api.availability("sku", q).await;
        assert_eq!((a.status.as_u16(), a.code()), (400, "INVALID_REQUEST"), "{q}");
    }
    let a = e.api.availability("bad%20id", "").await;
    assert_eq!(a.status, 400);
}

/// A deterministic generator of malformed bodies (no randomness source needed).
fn mangle(seed: u64, base: &str) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut b = base.as_bytes().to_vec();
    for _ in 0..(1 + next() % 4) {
        let i = (next() as usize) % (b.len() + 1);
        match next() % 5 {
            0 if i < b.len() => {
                b.remove(i);
            }
            1 => b.insert(i.min(b.len()), b"{}[]\",:0-e\\\x00\xff9"[(next() % 14) as usize]),
            2 if i < b.len() => b[i] = (next() % 256) as u8,
            3 => b.splice(i.min(b.len())..i.min(b.len()), br#","qty":-99999999999999999999"#.iter().copied()).for_each(drop),
            _ => b.truncate(i),
        }
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_input_never_yields_a_5xx() {
    let e = env();
    create(&e, "sku", &stock_doc(100)).await;
    let doc = r#"{"name":"R","timezone":"Europe/Madrid","dimensions":{"daily":{"capacity":5},"slots":{"duration_min":60,"interval_min":30,"capacity":4,"pacing":{"window_min":30,"max":6}}},"hours":{"mon":[["10:00","14:00"]]},"seasons":[{"name":"s","from":"2027-01-01","to":"2027-01-31","priority":1,"overrides":{"slot_capacity":3}}],"pricing":{"currency":"EUR","base_minor":100,"triggers":[{"utilization_gte":0.5,"multiplier":1.2,"tier":"h"}]}}"#;
    let hold = r#"{"items":[{"resource_id":"sku","qty":1},{"resource_id":"sku","date":"2027-01-04","slot":"10:00","qty":2}]}"#;
    let mut seen = std::collections::BTreeMap::new();
    for seed in 0..400u64 {
        let (m, path, base, tok) = match seed % 4 {
            0 => (Method::PUT, "/v1/resources/fz", doc, &e.seller),
            1 => (Method::POST, "/v1/holds", hold, &e.buyer),
            2 => (Method::POST, "/v1/resources/sku/stock", r#"{"set":5,"force":true}"#, &e.seller),
            _ => (Method::POST, "/v1/stock/validate", r#"{"items":[{"resource_id":"sku","quantity":1}]}"#, &e.buyer),
        };
        let a = e.api.send(m, path, Some(tok), Some(&format!("fz{seed}")), Some(mangle(seed, base))).await;
        assert!(a.status.as_u16() < 500, "seed {seed} {path}: {} {:?}", a.status, a.body);
        if a.status.as_u16() >= 400 {
            assert_eq!(a.content_type, "application/problem+json", "seed {seed}");
        }
        *seen.entry(a.status.as_u16()).or_insert(0) += 1;
    }
    for q in [
        "date=%",
        "date=%zz",
        "qty=99999999999999999999",
        "slot=25:00&date=2027-01-04",
        "from=2027-01-01&to=2029-01-01",
        "&&&",
        "date=2027-01-04&date=2027-01-05",
    ] {
        for route in ["availability", "calendar"] {
            let a = e.api.send(Method::GET, &format!("/v1/resources/fz/{route}?{q}"), None, None, None).await;
            assert!(a.status.as_u16() < 500, "{route}?{q}: {:?}", a.body);
        }
    }
    assert!(seen.keys().any(|s| *s >= 400), "the mangler produced only valid bodies: {seen:?}");
}
