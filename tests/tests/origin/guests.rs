//! A booking's guest end to end: bounded and validated at the door, seen by its buyer, its
//! seller and ops (hold, bookings list, host view), found by a piece of the name, phone or
//! email, replaced, erased on request, and never in the event stream or the audit trail.

use aforo_tests::harness::token;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_is_seen_by_its_buyer_its_seller_and_ops_found_by_name_and_erased_but_never_published() {
    let e = env();
    create(&e, "room", &crate::floor::floor_doc()).await;
    let d = day(2);
    let guest = json!({"name": "Lucía Fernández", "phone": "+34 600 11 22 33", "email": "Lucia@example.org", "notes": "allergy: nuts", "tags": ["birthday"]});
    let h = e.api.hold(&e.buyer, "g1", &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2, "guest": guest})).await;
    assert_eq!(h.status, 201, "{:?}", h.body);
    assert_eq!(h.body["guest"]["name"], "Lucía Fernández");
    let id = h.body["id"].as_str().unwrap().to_string();
    // The same key with other details is another request.
    let other = json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 2, "guest": {"name": "Someone else"}});
    assert_eq!(e.api.hold(&e.buyer, "g1", &other).await.code(), "IDEMPOTENCY_KEY_REUSED");
    // Bounds, with the field's path; nothing taken.
    for (bad, path) in [
        (json!({"name": "x".repeat(101)}), "guest.name"),
        (json!({"email": "not-an-address"}), "guest.email"),
        (json!({"tags": ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}), "guest.tags"),
        (json!({"tags": [""]}), "guest.tags[0]"),
        (json!({"nickname": "x"}), "guest"),
    ] {
        let a = e.api.hold(&e.buyer, "bad", &json!({"resource_id": "room", "date": d, "slot": "21:00", "qty": 2, "guest": bad})).await;
        assert_eq!(a.status, 400, "{:?}", a.body);
        assert!(a.body["detail"].as_str().unwrap().starts_with(path), "{path}: {:?}", a.body);
    }
    assert_eq!(counter(&e.redis, "room", &format!("s:{d}T21:00")), 0);

    // The seller finds it by a piece of the name, the phone's digits or the email, any case.
    let find = |q: &str| {
        let (api, tok, path) = (e.api.clone(), e.seller.clone(), format!("/v1/resources/room/bookings?q={q}"));
        async move { api.get(&tok, &path).await }
    };
    for q in ["luc%C3%ADa", "FERN", "600112233", "lucia%40example"] {
        let found = find(q).await;
        let ids: Vec<&str> = found.body["items"].as_array().unwrap().iter().map(|b| b["hold_id"].as_str().unwrap()).collect();
        assert_eq!(ids, [id.as_str()], "q={q}: {:?}", found.body);
    }
    assert_eq!(find("zzz").await.body["items"], json!([]));
    assert_eq!(find("a").await.status, 400, "too short");
    let listed = find("nuts").await;
    assert_eq!(listed.body["items"], json!([]), "notes are not searched");
    let all = e.api.get(&e.seller, "/v1/resources/room/bookings").await;
    assert_eq!(all.body["items"][0]["guest"]["notes"], "allergy: nuts");
    let floor = e.api.get(&e.seller, &format!("/v1/resources/room/tables?date={d}")).await;
    assert!(floor.body.to_string().contains("allergy: nuts"), "the host sees the notes");
    assert_eq!(e.api.get(&token("seller-2", "seller"), "/v1/resources/room/bookings?q=lucia").await.status, 403);

    // Replaced by the buyer, or by the seller; not by a stranger.
    let patch = |tok: String, body: Value| {
        let api = e.api.clone();
        let path = format!("/v1/holds/{id}/guest");
        async move { api.send(reqwest::Method::PATCH, &path, Some(&tok), None, Some(body.to_string().into_bytes())).await }
    };
    let p = patch(e.buyer.clone(), json!({"name": "Lucía F.", "phone": "600112233", "notes": "allergy: nuts, shellfish"})).await;
    assert_eq!((p.status.as_u16(), p.body["guest"]["notes"].as_str()), (200, Some("allergy: nuts, shellfish")), "{:?}", p.body);
    assert_eq!(patch(e.seller.clone(), json!({"name": "Lucía F.", "phone": "600 112 233", "tags": ["vip"]})).await.status, 200);
    assert_eq!(patch(e.buyer.clone(), json!({"name": "Lucía\nF."})).await.status, 400, "a name is one line");
    assert_eq!(patch(token("seller-2", "seller"), json!({"name": "x"})).await.status, 403);
    assert_eq!(patch(token("buyer-2", "buyer"), json!({"name": "x"})).await.status, 403);
    assert_eq!(patch(e.buyer.clone(), json!({"phone": "1".repeat(33)})).await.status, 400);

    // A walk-in's guest, as the host notes it.
    let w = e
        .api
        .send(
            reqwest::Method::POST,
            "/v1/resources/room/walk-ins",
            Some(&e.seller),
            Some("w1"),
            Some(json!({"party": 2, "guest": {"name": "Walk-in Pérez", "phone": "600112233"}}).to_string().into_bytes()),
        )
        .await;
    assert!(w.status == 201 || w.code() == "SOLD_OUT" || w.code() == "CLOSED", "{:?}", w.body);

    // Never in the event stream or the audit trail.
    assert_eq!(e.api.consume(&e.buyer, &id).await.status, 200);
    assert_eq!(e.api.step(&e.buyer, &id, "cancel", None).await.status, 200);
    let events = e.redis.cli(&["XRANGE", "af:{r:room}:e", "-", "+"]);
    let audit = e.api.get(&e.ops, "/v1/audit/events?limit=200").await.body.to_string();
    for secret in ["Lucía", "Luc\\u00eda", "600112233", "nuts", "Pérez", "example.org"] {
        assert!(!events.contains(secret), "{secret} in the event stream");
        assert!(!audit.contains(secret), "{secret} in the audit trail");
    }
    audited(&e, "type=hold.guest_changed", |ev| ev["hold_id"] == id.as_str()).await;

    // Erased on request (ops only), audited by count; the booking stays.
    let erase = |tok: String, body: Value| {
        let api = e.api.clone();
        async move { api.send(reqwest::Method::POST, "/v1/guests/erase", Some(&tok), None, Some(body.to_string().into_bytes())).await }
    };
    assert_eq!(erase(e.seller.clone(), json!({"phone": "600112233"})).await.status, 403);
    assert_eq!(erase(e.ops.clone(), json!({})).await.status, 400);
    let done = erase(e.ops.clone(), json!({"phone": "600-112-233"})).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert!(done.body["erased"].as_u64().unwrap() >= 1, "{:?}", done.body);
    let after = e.api.get_hold(&e.buyer, &id).await;
    assert_eq!((after.status.as_u16(), after.body["status"].as_str(), after.body.get("guest")), (200, Some("cancelled"), None));
    assert_eq!(find("600112233").await.body["items"], json!([]));
    audited(&e, "type=guest.erased", |ev| ev["detail"]["matched_by"] == json!(["phone"])).await;
}
