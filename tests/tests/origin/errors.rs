//! Error statuses of API.md from the real server: 404, 405, 413, the calendar rules' 422
//! codes, 400 for bad requests, and details in words, without library internals.

use reqwest::Method;
use serde_json::json;

use crate::common::*;

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
async fn errors_speak_without_library_internals() {
    let e = env();
    create(&e, "sku", &stock_doc(5)).await;
    // Bodies of the wrong shape: the field path and the JSON position, no Rust type names.
    let cases = [
        (Method::POST, "/v1/resources/sku/stock", "5", &e.seller),
        (Method::POST, "/v1/resources/sku/stock", "[1]", &e.seller),
        (Method::POST, "/v1/resources/sku/pause", "\"x\"", &e.seller),
        (Method::POST, "/v1/holds", r#"{"items":[5]}"#, &e.buyer),
        (Method::POST, "/v1/holds", r#"{"items":[{"resource_id":"sku","qty":{}}]}"#, &e.buyer),
        (Method::POST, "/v1/stock/validate", "7", &e.buyer),
        (Method::POST, "/v1/stock/validate", r#"{"items":[3]}"#, &e.buyer),
        (Method::PUT, "/v1/monitoring/mode", "1", &e.ops),
        (Method::PUT, "/v1/resources/doc", "1", &e.seller),
        (Method::PUT, "/v1/resources/doc", r#"{"name":"x","timezone":"UTC","dimensions":{"stock":5}}"#, &e.seller),
    ];
    for (m, path, body, tok) in cases {
        let a = e.api.send(m.clone(), path, Some(tok), Some(&format!("k-{path}-{body}")), Some(body.as_bytes().to_vec())).await;
        assert!(a.status.is_client_error(), "{m} {path} {body}: {} {:?}", a.status, a.body);
        assert_human(a.body["detail"].as_str().unwrap());
    }
    // A stored document the origin cannot read is a 500 whose detail says nothing of why.
    e.redis.cli(&["HSET", "af:{r:broken}:m", "doc", "{\"name\":1}", "owner", "seller-1", "version", "1"]);
    e.redis.cli(&["HSET", "af:{r:broken}:c", "~v", "1"]);
    let a = e.api.availability("broken", "qty=1").await;
    assert_eq!((a.status.as_u16(), a.code()), (500, "INTERNAL"), "{:?}", a.body);
    let detail = a.body["detail"].as_str().unwrap();
    assert_human(detail);
    assert!(!detail.contains("invalid type") && !detail.contains("broken"), "{detail}");
}
