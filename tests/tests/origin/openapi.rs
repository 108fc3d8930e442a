//! origin/openapi.yaml against the running server: every answer of a scenario that touches
//! every route must be a documented status with a body that validates against its schema.

use aforo_tests::client::Answer;
use aforo_tests::harness::token;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

struct Spec {
    doc: Value,
    checked: std::cell::RefCell<std::collections::BTreeSet<String>>,
}

fn pointer_escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1").replace('{', "%7B").replace('}', "%7D")
}

impl Spec {
    fn load() -> Spec {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../origin/openapi.yaml")).unwrap();
        let doc: Value = serde_norway::from_str(&text).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        Spec { doc, checked: Default::default() }
    }

    /// Validates one answer against the operation `method template`.
    fn check(&self, method: &str, template: &str, a: &Answer) {
        let op = &self.doc["paths"][template][method];
        assert!(op.is_object(), "{method} {template} is not in openapi.yaml");
        let status = a.status.as_str();
        let mut resp = &op["responses"][status];
        assert!(resp.is_object(), "{method} {template} answered {status}, which openapi.yaml does not list: {}", a.body);
        if let Some(r) = resp["$ref"].as_str() {
            resp = self.doc.pointer(r.trim_start_matches('#')).unwrap();
        }
        let Some(content) = resp["content"].as_object() else {
            // An answer without a body (204).
            assert!(a.body.is_null() && a.content_type.is_empty(), "{method} {template} {status} has no body: {}", a.body);
            self.checked.borrow_mut().insert(format!("{method} {template} {status}"));
            return;
        };
        let (ctype, media) = content.iter().next().unwrap();
        assert_eq!(&a.content_type, ctype, "{method} {template} {status}");
        // The whole document is the schema root so that its #/components refs resolve.
        let mut root = self.doc.clone();
        let path = format!("/paths/{}/{method}/responses/{status}", pointer_escape(template));
        let schema_ptr = match op["responses"][status]["$ref"].as_str() {
            Some(r) => format!("{}/content/{}/schema", r.trim_start_matches('#'), pointer_escape(ctype)),
            None => format!("{path}/content/{}/schema", pointer_escape(ctype)),
        };
        assert!(media["schema"].is_object());
        root["$ref"] = json!(format!("#{schema_ptr}"));
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let v = jsonschema::options().with_draft(jsonschema::Draft::Draft202012).should_validate_formats(true).build(&root).unwrap();
        let errors: Vec<String> = v.iter_errors(&a.body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{method} {template} {status}: {errors:?}\n{}", a.body);
        self.checked.borrow_mut().insert(format!("{method} {template} {status}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_as_openapi_yaml_says() {
    let spec = Spec::load();
    let e = env();
    let edge = token("edge-1", "edge");
    let d = day(2);
    let res = "/v1/resources/{id}";
    let room = json!({"name": "Room", "timezone": "Europe/Madrid",
        "dimensions": {"daily": {"capacity": 40}, "slots": {"duration_min": 60, "interval_min": 30, "capacity": 4, "concurrent": 6, "pacing": {"window_min": 30, "max": 5}}},
        "pricing": {"currency": "EUR", "base_minor": 2000, "triggers": [{"utilization_gte": 0.5, "multiplier": 1.25, "tier": "high"}]}});
    let put = |id: &str, doc: Value, tok: String| {
        let api = e.api.clone();
        let id = id.to_string();
        async move { api.put_resource(&tok, &id, &doc).await }
    };
    spec.check("put", res, &put("room", room.clone(), e.seller.clone()).await);
    spec.check("put", res, &put("room", room.clone(), e.seller.clone()).await);
    spec.check("put", res, &put("sku", stock_doc(3), e.seller.clone()).await);
    spec.check("put", res, &put("bad", json!({"name": "x"}), e.seller.clone()).await);
    spec.check("put", res, &put("room", room.clone(), e.buyer.clone()).await);
    spec.check("put", res, &e.api.send(Method::PUT, "/v1/resources/room", None, None, Some(b"{}".to_vec())).await);
    spec.check("get", res, &e.api.send(Method::GET, "/v1/resources/room", Some(&e.seller), None, None).await);
    spec.check("get", res, &e.api.send(Method::GET, "/v1/resources/none", Some(&e.seller), None, None).await);

    let av = "/v1/resources/{id}/availability";
    spec.check("get", av, &e.api.availability("room", &format!("date={d}&qty=2")).await);
    spec.check("get", av, &e.api.availability("sku", "qty=2").await);
    spec.check("get", av, &e.api.availability("room", "qty=0").await);
    spec.check("get", av, &e.api.availability("none", &format!("date={d}")).await);
    spec.check("get", av, &e.api.availability("room", &format!("date={d}&slot=10:10")).await);
    let cal = "/v1/resources/{id}/calendar";
    spec.check("get", cal, &e.api.calendar("room", &format!("from={d}&to={}", day(40))).await);
    spec.check("get", cal, &e.api.calendar("room", "from=2027-01-01").await);
    let snap = "/v1/resources/{id}/snapshot";
    spec.check(
        "get",
        snap,
        &e.api.send(Method::GET, &format!("/v1/resources/room/snapshot?from={d}&to={d}"), Some(&edge), None, None).await,
    );
    spec.check("get", snap, &e.api.send(Method::GET, "/v1/resources/sku/snapshot", Some(&edge), None, None).await);
    spec.check("get", snap, &e.api.send(Method::GET, "/v1/resources/sku/snapshot", Some(&e.buyer), None, None).await);

    let sala = json!({"name": "Sala", "timezone": "UTC", "dimensions": {"slots": {"duration_min": 60, "interval_min": 30, "capacity": 10,
        "tables": [{"type": "4-top", "count": 2, "seats": [2, 4]}], "joins": [{"of": ["4-top", "4-top"], "seats": [5, 8]}]}}});
    spec.check("put", res, &put("sala", sala, e.seller.clone()).await);
    spec.check(
        "post",
        "/v1/holds",
        &e.api.hold(&e.buyer, "t1", &json!({"resource_id": "sala", "date": d, "slot": "20:00", "qty": 6})).await,
    );
    spec.check("get", av, &e.api.availability("sala", &format!("date={d}&qty=4&slot=20:30")).await);
    let tables = "/v1/resources/{id}/tables";
    spec.check("get", tables, &e.api.send(Method::GET, &format!("/v1/resources/sala/tables?date={d}"), Some(&e.seller), None, None).await);
    spec.check("get", tables, &e.api.send(Method::GET, "/v1/resources/sala/tables", Some(&e.seller), None, None).await);
    spec.check("get", tables, &e.api.send(Method::GET, &format!("/v1/resources/sala/tables?date={d}"), Some(&e.buyer), None, None).await);
    floor_routes(&spec, &e).await;
    spec.check("get", "/console/config", &e.api.send(Method::GET, "/console/config", None, None, None).await);
    let bookings = "/v1/resources/{id}/bookings";
    for (who, q) in
        [(&e.seller, format!("from={d}&to={d}&limit=1")), (&e.ops, String::new()), (&e.buyer, String::new()), (&e.seller, "limit=0".into())]
    {
        spec.check("get", bookings, &e.api.send(Method::GET, &format!("/v1/resources/sala/bookings?{q}"), Some(who), None, None).await);
    }
    // The stream itself never ends (tests/tests/origin/live.rs reads it): its refusals here.
    let events = "/v1/resources/{id}/events";
    spec.check("get", events, &e.api.send(Method::GET, "/v1/resources/sala/events", Some(&e.buyer), None, None).await);
    spec.check("get", events, &e.api.send(Method::GET, "/v1/resources/sala/events?x=1", Some(&e.seller), None, None).await);
    spec.check("get", events, &e.api.send(Method::GET, "/v1/resources/nothing/events", Some(&e.ops), None, None).await);
    let holds = "/v1/holds";
    let h = e.api.hold(&e.buyer, "k1", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 3})).await;
    spec.check("post", holds, &h);
    spec.check("post", holds, &e.api.hold(&e.buyer, "k1", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 3})).await);
    spec.check("post", holds, &e.api.hold(&e.buyer, "k1", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 1})).await);
    spec.check("post", holds, &e.api.hold(&e.buyer, "k2", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 3})).await);
    spec.check(
        "post",
        holds,
        &e.api.hold(&e.buyer, "k3", &json!({"resource_id": "room", "date": day(-3), "slot": "20:00", "qty": 1})).await,
    );
    spec.check(
        "post",
        holds,
        &e.api
            .hold(
                &e.buyer,
                "k4",
                &json!({"items": [{"resource_id": "sku", "qty": 1}, {"resource_id": "room", "date": d, "slot": "12:00", "qty": 1}]}),
            )
            .await,
    );
    spec.check("post", holds, &e.api.send(Method::POST, holds, Some(&e.buyer), None, Some(b"{}".to_vec())).await);
    spec.check("post", holds, &e.api.send(Method::POST, holds, Some(&e.buyer), Some("k5"), Some(b"{\"qty\":1}".to_vec())).await);
    spec.check("post", holds, &e.api.send(Method::POST, holds, Some(&e.buyer), Some("k6"), Some(vec![b' '; 1 << 21])).await);
    spec.check("get", av, &e.api.availability("room", &format!("date={d}&qty=2&slot=20:00")).await);

    let id = h.body["id"].as_str().unwrap().to_string();
    spec.check("get", "/v1/holds/{id}", &e.api.get_hold(&e.buyer, &id).await);
    spec.check("get", "/v1/holds/{id}", &e.api.get_hold(&token("x", "buyer"), &id).await);
    spec.check("get", "/v1/holds/{id}", &e.api.get_hold(&e.buyer, "h_missing").await);
    spec.check("post", "/v1/holds/{id}/consume", &e.api.consume(&e.buyer, &id).await);
    spec.check("post", "/v1/holds/{id}/release", &e.api.release(&e.buyer, &id).await);
    let h2 = e.api.hold(&e.buyer, "k7", &json!({"resource_id": "sku", "qty": 1})).await;
    let id2 = h2.body["id"].as_str().unwrap().to_string();
    spec.check("post", "/v1/holds/{id}/release", &e.api.release(&e.buyer, &id2).await);
    spec.check("post", "/v1/holds/{id}/consume", &e.api.consume(&e.buyer, &id2).await);

    spec.check("post", "/v1/holds/{id}/consume", &e.api.consume(&e.buyer, "h_01JD5Q8ZK3M4N5P6Q7R8S9T0VW_sku").await);
    let st = "/v1/resources/{id}/stock";
    spec.check("post", st, &e.api.stock(&e.ops, "ghost", &json!({"set": 1})).await);
    spec.check("post", st, &e.api.stock(&e.seller, "sku", &json!({"delta": 2})).await);
    spec.check("post", st, &e.api.stock(&e.seller, "sku", &json!({"set": 0})).await);
    spec.check("post", st, &e.api.stock(&e.seller, "sku", &json!({"set": 1, "delta": 1})).await);
    let over = e.api.stock(&e.seller, "sku", &json!({"delta": 1_000_000_000})).await;
    assert_eq!(over.code(), "STOCK_OUT_OF_RANGE");
    spec.check("post", st, &over);
    spec.check(
        "post",
        "/v1/resources/{id}/pause",
        &e.api
            .send(
                Method::POST,
                "/v1/resources/room/pause",
                Some(&e.seller),
                None,
                Some(br#"{"until":"2099-01-01T00:00:00Z","reason":"r"}"#.to_vec()),
            )
            .await,
    );
    spec.check(
        "post",
        "/v1/resources/{id}/resume",
        &e.api.send(Method::POST, "/v1/resources/room/resume", Some(&e.seller), None, None).await,
    );
    spec.check("post", "/v1/resources/{id}/resume", &e.api.send(Method::POST, "/v1/resources/zz/resume", Some(&e.ops), None, None).await);
    let v = "/v1/stock/validate";
    spec.check(
        "post",
        v,
        &e.api.send(Method::POST, v, Some(&e.buyer), None, Some(br#"{"items":[{"resource_id":"sku","quantity":1}]}"#.to_vec())).await,
    );
    spec.check("post", v, &e.api.send(Method::POST, v, Some(&e.buyer), None, Some(br#"{"items":[{"resource_id":"sku"}]}"#.to_vec())).await);
    spec.check("get", "/healthz", &e.api.send(Method::GET, "/healthz", None, None, None).await);
    spec.check("get", "/readyz", &e.api.send(Method::GET, "/readyz", None, None, None).await);

    let metrics = e.api.send(Method::GET, "/metrics", None, None, None).await;
    assert_eq!(metrics.status.as_u16(), 200);
    assert_eq!(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
    spec.checked.borrow_mut().insert("get /metrics 200".into());
    for path in ["/v1/monitoring/health", "/v1/monitoring/alerts", "/v1/monitoring/signals?level=warn", "/v1/monitoring/mode"] {
        let template = path.split('?').next().unwrap();
        spec.check("get", template, &e.api.send(Method::GET, path, Some(&e.ops), None, None).await);
        spec.check("get", template, &e.api.send(Method::GET, path, Some(&e.buyer), None, None).await);
    }
    spec.check("get", "/v1/monitoring/signals", &e.api.send(Method::GET, "/v1/monitoring/signals?level=x", Some(&e.ops), None, None).await);
    let mode = "/v1/monitoring/mode";
    spec.check("put", mode, &e.api.send(Method::PUT, mode, Some(&e.ops), None, Some(br#"{"read_only":true,"reason":"t"}"#.to_vec())).await);
    spec.check("post", holds, &e.api.hold(&e.buyer, "k8", &json!({"resource_id": "sku", "qty": 1})).await);
    spec.check("put", mode, &e.api.send(Method::PUT, mode, Some(&e.ops), None, Some(br#"{"read_only":false}"#.to_vec())).await);
    spec.check("put", mode, &e.api.send(Method::PUT, mode, Some(&e.ops), None, Some(br#"{"on":1}"#.to_vec())).await);
    let slo = "/v1/monitoring/slo-report";
    for q in ["?month=2026-11", "?month=2026-13", ""] {
        spec.check("get", slo, &e.api.send(Method::GET, &format!("{slo}{q}"), Some(&e.ops), None, None).await);
    }
    spec.check("get", slo, &e.api.send(Method::GET, &format!("{slo}?month=2026-11"), Some(&e.buyer), None, None).await);
    let check = "/v1/monitoring/check";
    spec.check("post", check, &e.api.send(Method::POST, check, Some(&e.ops), None, None).await);
    spec.check("post", check, &e.api.send(Method::POST, check, Some(&e.ops), None, Some(br#"{"resource_id":"none"}"#.to_vec())).await);
    spec.check("post", check, &e.api.send(Method::POST, check, Some(&e.ops), None, Some(br#"{"repair":"no"}"#.to_vec())).await);
    spec.check("post", check, &e.api.send(Method::POST, check, Some(&e.seller), None, None).await);
    let audit = "/v1/audit/events";
    spec.check("get", audit, &e.api.send(Method::GET, "/v1/audit/events?limit=5", Some(&e.ops), None, None).await);
    spec.check("get", audit, &e.api.send(Method::GET, "/v1/audit/events?limit=x", Some(&e.ops), None, None).await);
    spec.check("get", audit, &e.api.send(Method::GET, audit, None, None, None).await);

    let enf = "/v1/monitoring/enforcement";
    spec.check("get", enf, &e.api.send(Method::GET, enf, Some(&e.ops), None, None).await);
    spec.check("put", enf, &e.api.send(Method::PUT, enf, Some(&e.ops), None, Some(br#"{"default":"shadow"}"#.to_vec())).await);
    let shadowed = e.api.hold(&e.buyer, "k-shadow", &json!({"resource_id": "sku", "qty": 1000})).await;
    assert!(shadowed.body["items"][0]["over_capacity"].is_array(), "{:?}", shadowed.body);
    spec.check("post", holds, &shadowed);
    spec.check("put", enf, &e.api.send(Method::PUT, enf, Some(&e.ops), None, Some(br#"{"default":"enforce"}"#.to_vec())).await);
    spec.check("put", enf, &e.api.send(Method::PUT, enf, Some(&e.ops), None, Some(b"{}".to_vec())).await);
    let list = "/v1/resources";
    spec.check("get", list, &e.api.send(Method::GET, "/v1/resources?limit=1", Some(&e.seller), None, None).await);
    spec.check("get", list, &e.api.send(Method::GET, "/v1/resources?limit=0", Some(&e.ops), None, None).await);
    spec.check("get", list, &e.api.send(Method::GET, list, Some(&e.buyer), None, None).await);
    let one = "/v1/resources/{id}";
    let stale = e
        .api
        .send_with(Method::PUT, "/v1/resources/sku", Some(&e.seller), &[("If-Match", "\"1\"")], Some(stock_doc(9).to_string().into_bytes()))
        .await;
    assert_eq!(stale.code(), "VERSION_CONFLICT");
    spec.check("put", one, &stale);
    spec.check("delete", one, &e.api.send(Method::DELETE, "/v1/resources/room?force=maybe", Some(&e.seller), None, None).await);
    spec.check("delete", one, &e.api.send(Method::DELETE, "/v1/resources/sku", Some(&e.seller), None, None).await);
    spec.check("delete", one, &e.api.send(Method::DELETE, "/v1/resources/sku?force=true", Some(&e.seller), None, None).await);
    spec.check("delete", one, &e.api.send(Method::DELETE, "/v1/resources/sku", Some(&e.seller), None, None).await);

    webhook_routes(&spec, &e).await;

    // Every path of the document was exercised at least once.
    let checked = spec.checked.borrow();
    for (path, ops) in spec.doc["paths"].as_object().unwrap() {
        for m in ops.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            assert!(checked.iter().any(|c| c.starts_with(&format!("{m} {path} "))), "{m} {path} never checked");
        }
    }
    assert!(checked.len() >= 40, "{}", checked.len());
}

/// The host's routes on a room of physical tables: the host view, moves, finishes, walk-ins.
async fn floor_routes(spec: &Spec, e: &Env) {
    let floor = crate::floor::floor_doc();
    assert_eq!(e.api.put_resource(&e.seller, "floor", &floor).await.status, 201);
    let d = day(2);
    let post = |path: String, key: Option<&'static str>, body: Value, tok: String| {
        let api = e.api.clone();
        async move { api.send(Method::POST, &path, Some(&tok), key, Some(body.to_string().into_bytes())).await }
    };
    let h = e.api.hold(&e.buyer, "f1", &json!({"resource_id": "floor", "date": d, "slot": "20:00", "qty": 3, "area": "hall"})).await;
    spec.check("post", "/v1/holds", &h);
    e.api.hold(&e.buyer, "f2", &json!({"resource_id": "floor", "date": d, "slot": "20:00", "qty": 2})).await;
    let id = h.body["id"].as_str().unwrap();
    let mv = "/v1/holds/{id}/tables";
    let to = |t: &[&str]| json!({"tables": t});
    for (body, tok) in
        [(to(&["T4"]), &e.seller), (to(&["T1"]), &e.seller), (to(&["T4"]), &e.ops), (to(&["T9"]), &e.seller), (to(&[]), &e.seller)]
    {
        spec.check("post", mv, &post(format!("/v1/holds/{id}/tables"), None, body, tok.clone()).await);
    }
    spec.check("post", mv, &post(format!("/v1/holds/{id}/tables"), None, json!({"tables": ["T1"]}), e.seller.clone()).await);
    spec.check("post", mv, &post(format!("/v1/holds/{id}/tables"), None, to(&["T5"]), e.buyer.clone()).await);
    spec.check("post", mv, &post(format!("/v1/holds/{id}/tables"), None, json!({"tables": ["T1", "T2"]}), e.seller.clone()).await);
    let fin = "/v1/holds/{id}/finish";
    spec.check("post", fin, &post(format!("/v1/holds/{id}/finish"), None, json!({}), e.seller.clone()).await);
    spec.check("post", fin, &post("/v1/holds/h_00000000000000000000000000_floor/finish".into(), None, json!({}), e.seller.clone()).await);
    let walk = "/v1/resources/{id}/walk-ins";
    let w = post("/v1/resources/floor/walk-ins".into(), Some("w1"), json!({"party": 2, "area": "terrace"}), e.seller.clone()).await;
    spec.check("post", walk, &w);
    spec.check(
        "post",
        walk,
        &post("/v1/resources/floor/walk-ins".into(), Some("w1"), json!({"party": 2, "area": "terrace"}), e.seller.clone()).await,
    );
    spec.check(
        "post",
        walk,
        &post("/v1/resources/floor/walk-ins".into(), Some("w2"), json!({"party": 2, "area": "roof"}), e.seller.clone()).await,
    );
    spec.check("post", walk, &post("/v1/resources/floor/walk-ins".into(), Some("w3"), json!({"party": 9}), e.seller.clone()).await);
    spec.check("post", walk, &post("/v1/resources/floor/walk-ins".into(), None, json!({"party": 2}), e.seller.clone()).await);
    spec.check("post", walk, &post("/v1/resources/floor/walk-ins".into(), Some("w4"), json!({"party": 2}), e.buyer.clone()).await);
    let today = w.body["items"][0]["date"].as_str().unwrap();
    let wid = w.body["id"].as_str().unwrap();
    spec.check("post", fin, &post(format!("/v1/holds/{wid}/finish"), None, json!({}), e.seller.clone()).await);
    // After the sale: seat (too early, then a held one), no-show, extend, cancel.
    let f2 = e.api.hold(&e.buyer, "f3", &json!({"resource_id": "floor", "date": d, "slot": "21:00", "qty": 2})).await;
    let f2 = f2.body["id"].as_str().unwrap().to_string();
    let ext = "/v1/holds/{id}/extend";
    spec.check("post", ext, &post(format!("/v1/holds/{f2}/extend"), None, json!({"seconds": 60}), e.buyer.clone()).await);
    spec.check("post", ext, &post(format!("/v1/holds/{f2}/extend"), None, json!({"seconds": 86400}), e.buyer.clone()).await);
    spec.check("post", ext, &post(format!("/v1/holds/{f2}/extend"), None, json!({"seconds": -1}), e.buyer.clone()).await);
    let seat = "/v1/holds/{id}/seat";
    spec.check("post", seat, &post(format!("/v1/holds/{f2}/seat"), None, json!({}), e.seller.clone()).await);
    assert_eq!(e.api.consume(&e.buyer, &f2).await.status, 200);
    spec.check("post", seat, &post(format!("/v1/holds/{f2}/seat"), None, json!({}), e.seller.clone()).await);
    spec.check("post", seat, &post(format!("/v1/holds/{f2}/seat"), None, json!({}), e.buyer.clone()).await);
    let ns = "/v1/holds/{id}/no-show";
    spec.check("post", ns, &post(format!("/v1/holds/{f2}/no-show"), None, json!({}), e.seller.clone()).await);
    spec.check("post", ns, &post(format!("/v1/holds/{f2}/no-show"), None, json!({"x": 1}), e.seller.clone()).await);
    let g = "/v1/holds/{id}/guest";
    let patch = |path: String, body: Value, tok: String| {
        let api = e.api.clone();
        async move { api.send(Method::PATCH, &path, Some(&tok), None, Some(body.to_string().into_bytes())).await }
    };
    spec.check("patch", g, &patch(format!("/v1/holds/{f2}/guest"), json!({"name": "Ana", "tags": ["vip"]}), e.buyer.clone()).await);
    spec.check("patch", g, &patch(format!("/v1/holds/{f2}/guest"), json!({"name": 3}), e.buyer.clone()).await);
    spec.check("patch", g, &patch(format!("/v1/holds/{f2}/guest"), json!({}), token("seller-9", "seller")).await);
    let bq = "/v1/resources/{id}/bookings";
    spec.check("get", bq, &e.api.get(&e.seller, "/v1/resources/floor/bookings?q=ana").await);
    spec.check("get", bq, &e.api.get(&e.seller, "/v1/resources/floor/bookings?q=a").await);
    let er = "/v1/guests/erase";
    spec.check("post", er, &post("/v1/guests/erase".into(), None, json!({"email": "ana@example.org"}), e.ops.clone()).await);
    spec.check("post", er, &post("/v1/guests/erase".into(), None, json!({}), e.ops.clone()).await);
    spec.check("post", er, &post("/v1/guests/erase".into(), None, json!({"email": "a@b"}), e.seller.clone()).await);
    let ch = "/v1/holds/{id}/change";
    let chg = |slot: &str| json!({"resource_id": "floor", "date": d, "slot": slot, "qty": 2});
    spec.check("post", ch, &post(format!("/v1/holds/{f2}/change"), Some("c1"), chg("21:30"), e.buyer.clone()).await);
    spec.check("post", ch, &post(format!("/v1/holds/{f2}/change"), None, chg("21:30"), e.buyer.clone()).await);
    spec.check("post", ch, &post(format!("/v1/holds/{f2}/change"), Some("c2"), json!({"qty": 2}), e.buyer.clone()).await);
    let cancel = "/v1/holds/{id}/cancel";
    spec.check("post", cancel, &post(format!("/v1/holds/{f2}/cancel"), None, json!({"reason": "ill"}), e.buyer.clone()).await);
    spec.check("post", cancel, &post(format!("/v1/holds/{f2}/cancel"), None, json!({}), e.buyer.clone()).await);
    spec.check("post", cancel, &post(format!("/v1/holds/{wid}/cancel"), None, json!({}), e.seller.clone()).await);
    spec.check("post", cancel, &post(format!("/v1/holds/{f2}/cancel"), None, json!({}), token("seller-9", "seller")).await);
    // The waiting list: room now, a party joining the full 21:00, reading, leaving, the list.
    let wl = "/v1/waitlist";
    let want = json!({"resource_id": "floor", "date": d, "from": "21:00", "to": "21:00", "qty": 2});
    spec.check(
        "post",
        wl,
        &post("/v1/waitlist".into(), Some("wl0"), json!({"resource_id": "floor", "date": d, "qty": 2}), e.buyer.clone()).await,
    );
    let mut n = 0;
    while e
        .api
        .hold(&token(&format!("fill{n}"), "buyer"), "fill", &json!({"resource_id": "floor", "date": d, "slot": "21:00", "qty": 2}))
        .await
        .status
        == 201
    {
        n += 1;
    }
    let joined = post("/v1/waitlist".into(), Some("wl1"), want.clone(), e.buyer.clone()).await;
    spec.check("post", wl, &joined);
    spec.check("post", wl, &post("/v1/waitlist".into(), Some("wl1"), want.clone(), e.buyer.clone()).await);
    spec.check("post", wl, &post("/v1/waitlist".into(), Some("wl2"), want.clone(), e.buyer.clone()).await);
    spec.check("post", wl, &post("/v1/waitlist".into(), None, want.clone(), e.buyer.clone()).await);
    spec.check("post", wl, &post("/v1/waitlist".into(), Some("wl3"), json!({"resource_id": "floor", "qty": 2}), e.buyer.clone()).await);
    let wid = joined.body["id"].as_str().unwrap().to_string();
    let one = "/v1/waitlist/{id}";
    spec.check("get", one, &e.api.get(&e.buyer, &format!("/v1/waitlist/{wid}")).await);
    spec.check("get", one, &e.api.get(&e.seller, &format!("/v1/waitlist/{wid}")).await);
    spec.check("get", one, &e.api.get(&e.buyer, "/v1/waitlist/wk_nope").await);
    spec.check("get", "/v1/resources/{id}/waitlist", &e.api.get(&e.seller, &format!("/v1/resources/floor/waitlist?date={d}")).await);
    spec.check("get", "/v1/resources/{id}/waitlist", &e.api.get(&e.seller, "/v1/resources/floor/waitlist").await);
    spec.check(
        "delete",
        one,
        &e.api.send(Method::DELETE, &format!("/v1/waitlist/{wid}"), Some(&token("buyer-9", "buyer")), None, None).await,
    );
    spec.check("delete", one, &e.api.send(Method::DELETE, &format!("/v1/waitlist/{wid}"), Some(&e.buyer), None, None).await);
    let tables = "/v1/resources/{id}/tables";
    for q in [format!("date={today}"), format!("date={d}"), format!("date={d}&area=hall"), format!("date={d}&area=roof")] {
        spec.check("get", tables, &e.api.send(Method::GET, &format!("/v1/resources/floor/tables?{q}"), Some(&e.seller), None, None).await);
    }
}

/// The webhook routes (a public address literal: no DNS, and nothing listens there).
async fn webhook_routes(spec: &Spec, e: &Env) {
    let (list, one) = ("/v1/webhooks", "/v1/webhooks/{id}");
    let post = |tok: &String, body: Value| {
        let (api, tok) = (e.api.clone(), tok.clone());
        async move { api.send(Method::POST, "/v1/webhooks", Some(&tok), None, Some(body.to_string().into_bytes())).await }
    };
    let made = post(&e.seller, json!({"url": "http://93.184.215.14/hook", "events": ["hold.created", "stock.changed"]})).await;
    spec.check("post", list, &made);
    let id = made.body["id"].as_str().unwrap().to_string();
    spec.check("post", list, &post(&e.seller, json!({"url": "http://127.0.0.1/hook", "events": ["hold.created"]})).await);
    spec.check("post", list, &post(&e.seller, json!({"url": "http://93.184.215.14/", "events": ["nope"]})).await);
    spec.check("post", list, &post(&e.buyer, json!({"url": "http://93.184.215.14/", "events": ["hold.created"]})).await);
    spec.check("get", list, &e.api.get(&e.seller, list).await);
    spec.check("get", list, &e.api.get(&e.ops, list).await);
    spec.check("get", one, &e.api.get(&e.seller, &format!("/v1/webhooks/{id}")).await);
    spec.check("get", one, &e.api.get(&e.seller, "/v1/webhooks/we_00000000000000000000").await);
    spec.check("get", one, &e.api.get(&token("seller-9", "seller"), &format!("/v1/webhooks/{id}")).await);
    let del = format!("/v1/webhooks/{id}/deliveries");
    spec.check("get", "/v1/webhooks/{id}/deliveries", &e.api.get(&e.seller, &del).await);
    spec.check("get", "/v1/webhooks/{id}/deliveries", &e.api.get(&e.seller, &format!("{del}?limit=0")).await);
    let replay = format!("/v1/webhooks/{id}/replay");
    let r = |b: &'static [u8]| e.api.send(Method::POST, &replay, Some(&e.seller), None, Some(b.to_vec()));
    spec.check("post", "/v1/webhooks/{id}/replay", &r(br#"{"since":"2026-01-01T00:00:00Z"}"#).await);
    spec.check("post", "/v1/webhooks/{id}/replay", &r(br#"{"since":1}"#).await);
    let enable = format!("/v1/webhooks/{id}/enable");
    let en = |b: Option<&'static [u8]>| e.api.send(Method::POST, &enable, Some(&e.seller), None, b.map(<[u8]>::to_vec));
    spec.check("post", "/v1/webhooks/{id}/enable", &en(None).await);
    spec.check("post", "/v1/webhooks/{id}/enable", &en(Some(br#"{"backlog":"drop"}"#)).await);
    spec.check("post", "/v1/webhooks/{id}/enable", &en(Some(br#"{"backlog":1}"#)).await);
    let gone = format!("/v1/webhooks/{id}");
    spec.check("delete", one, &e.api.send(Method::DELETE, &gone, Some(&e.seller), None, None).await);
    spec.check("delete", one, &e.api.send(Method::DELETE, &gone, Some(&e.seller), None, None).await);
}
