//! The host's operations on physical tables, against real Redis: move a seating (to a free
//! table, onto a taken one, onto a combination), finish it early so that its table seats a
//! walk-in, seat walk-ins until the floor is full; an 8-top at the combination, an area asked
//! and honoured, or refused with alternatives; who may do it.

use aforo_tests::client::Answer;
use aforo_tests::harness::token;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;

/// A room open all day (UTC): two 2-seat tables on the terrace, three 4-seat tables in the
/// hall, and T4+T5 pushed together for 3 to 8.
pub fn floor_doc() -> Value {
    json!({"name": "Floor", "timezone": "UTC", "qty": {"min": 1, "max": 8},
        "dimensions": {"slots": {"duration_min": 90, "interval_min": 30, "capacity": 40,
            "tables": [{"id": "T1", "seats": [1, 2], "area": "terrace", "tags": ["window"]}, {"id": "T2", "seats": [1, 2], "area": "terrace"},
                       {"id": "T3", "seats": [2, 4], "area": "hall"}, {"id": "T4", "seats": [2, 4], "area": "hall"},
                       {"id": "T5", "seats": [2, 4], "area": "hall"}],
            "combinations": [{"of": ["T4", "T5"], "seats": [3, 8]}]}}})
}

async fn post(e: &Env, tok: &str, path: &str, key: Option<&str>, body: &Value) -> Answer {
    e.api.send(Method::POST, path, Some(tok), key, Some(body.to_string().into_bytes())).await
}

async fn move_to(e: &Env, tok: &str, hold: &str, tables: &[&str]) -> Answer {
    post(e, tok, &format!("/v1/holds/{hold}/tables"), None, &json!({"tables": tables})).await
}

async fn finish(e: &Env, tok: &str, hold: &str) -> Answer {
    e.api.send(Method::POST, &format!("/v1/holds/{hold}/finish"), Some(tok), None, None).await
}

async fn walk_in(e: &Env, key: &str, body: &Value) -> Answer {
    post(e, &e.seller, "/v1/resources/floor/walk-ins", Some(key), body).await
}

async fn host_view(e: &Env, date: &str) -> Value {
    let a = e.api.get(&e.seller, &format!("/v1/resources/floor/tables?date={date}")).await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body
}

/// The hold ids seated at table `id` in the host view.
fn seated_at(view: &Value, id: &str) -> Vec<String> {
    let t = view["tables"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap();
    t["seatings"].as_array().unwrap().iter().map(|s| s["hold_id"].as_str().unwrap().to_string()).collect()
}

fn tables_of(a: &Answer) -> Value {
    a.body["items"][0]["tables"].clone()
}

async fn hold(e: &Env, key: &str, d: &str, slot: &str, qty: u32) -> Answer {
    e.api.hold(&e.buyer, key, &json!({"resource_id": "floor", "date": d, "slot": slot, "qty": qty})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seating_moves_to_a_free_table_never_onto_a_taken_one() {
    let e = env();
    create(&e, "floor", &floor_doc()).await;
    let d = day(2);
    let a = hold(&e, "a", &d, "20:00", 2).await;
    assert_eq!((a.status.as_u16(), tables_of(&a)), (201, json!(["T1"])), "{:?}", a.body);
    let b = hold(&e, "b", &d, "20:00", 3).await;
    assert_eq!((b.status.as_u16(), tables_of(&b)), (201, json!(["T3"])), "{:?}", b.body);
    let (ha, hb) = (a.body["id"].as_str().unwrap(), b.body["id"].as_str().unwrap());

    // To a free table: the hold and the host view show it there, the old table free.
    let m = move_to(&e, &e.seller, ha, &["T4"]).await;
    assert_eq!((m.status.as_u16(), tables_of(&m)), (200, json!(["T4"])), "{:?}", m.body);
    assert_eq!(tables_of(&e.api.get_hold(&e.buyer, ha).await), json!(["T4"]));
    let v = host_view(&e, &d).await;
    assert_eq!(seated_at(&v, "T4"), vec![ha.to_string()]);
    assert!(seated_at(&v, "T1").is_empty());
    assert_eq!(counter(&e.redis, "floor", &format!("t:T1@{d}T20:00Z")), 0);
    assert_eq!(counter(&e.redis, "floor", &format!("t:T4@{d}T20:00Z")), 1);
    // Where it sits already: 200, nothing moves.
    let same = move_to(&e, &e.seller, ha, &["T4"]).await;
    assert_eq!((same.status.as_u16(), tables_of(&same)), (200, json!(["T4"])));

    // Onto a taken table: 409 naming it, and nothing changed.
    let no = move_to(&e, &e.seller, ha, &["T3"]).await;
    assert_eq!((no.status.as_u16(), no.code()), (409, "TABLE_TAKEN"), "{:?}", no.body);
    assert!(no.body["detail"].as_str().unwrap().contains("T3"), "{:?}", no.body);
    let v = host_view(&e, &d).await;
    assert_eq!((seated_at(&v, "T3"), seated_at(&v, "T4")), (vec![hb.to_string()], vec![ha.to_string()]));
    assert_eq!(counter(&e.redis, "floor", &format!("t:T3@{d}T20:30Z")), 1);

    // Onto the combination once its tables are free; its member tables are then taken too.
    assert_eq!(move_to(&e, &e.seller, ha, &["T1"]).await.status, 200);
    let c = move_to(&e, &e.ops, hb, &["T5", "T4"]).await;
    assert_eq!((c.status.as_u16(), tables_of(&c)), (200, json!(["T4", "T5"])), "{:?}", c.body);
    let v = host_view(&e, &d).await;
    assert_eq!((seated_at(&v, "T4"), seated_at(&v, "T5")), (vec![hb.to_string()], vec![hb.to_string()]));
    assert!(seated_at(&v, "T3").is_empty());
    let onto_member = move_to(&e, &e.seller, ha, &["T5"]).await;
    assert_eq!(onto_member.code(), "TABLE_TAKEN");
    // A party of 4 at 20:30 overlaps the combination: it gets the table the move freed.
    let c4 = hold(&e, "c", &d, "20:30", 4).await;
    assert_eq!((c4.status.as_u16(), tables_of(&c4)), (201, json!(["T3"])), "{:?}", c4.body);

    // Bad input is 400 with the field; a table that does not seat the party is a rule.
    let bad = move_to(&e, &e.seller, ha, &["T9"]).await;
    assert_eq!((bad.status.as_u16(), bad.code()), (400, "INVALID_REQUEST"));
    assert!(bad.body["detail"].as_str().unwrap().starts_with("tables"), "{:?}", bad.body);
    let empty = move_to(&e, &e.seller, ha, &[]).await;
    assert_eq!(empty.status, 400);
    let junk = post(&e, &e.seller, &format!("/v1/holds/{ha}/tables"), None, &json!({"tables": "T1"})).await;
    assert_eq!(junk.status, 400);
    assert!(junk.body["detail"].as_str().unwrap().starts_with("tables"), "{:?}", junk.body);
    let small = move_to(&e, &e.seller, hb, &["T1"]).await;
    assert_eq!((small.status.as_u16(), small.code()), (422, "QTY_OUT_OF_RANGE"));

    // Only the resource's seller (or ops): another seller and the buyer are refused.
    let other = move_to(&e, &token("seller-2", "seller"), ha, &["T2"]).await;
    assert_eq!(other.status, 403);
    assert_eq!(move_to(&e, &e.buyer, ha, &["T2"]).await.status, 403);
    assert_eq!(finish(&e, &token("seller-2", "seller"), ha).await.status, 403);
    assert_eq!(tables_of(&e.api.get_hold(&e.buyer, ha).await), json!(["T1"]));

    // A released hold is not moved.
    assert_eq!(e.api.release(&e.buyer, ha).await.status, 200);
    assert_eq!(move_to(&e, &e.seller, ha, &["T2"]).await.code(), "HOLD_NOT_ACTIVE");
    let moved = audited(&e, "type=hold.moved", |ev| ev["hold_id"] == hb).await;
    assert_eq!(moved["actor"], "ops-1");
    // Downstream consumers see the moves on the resource's event stream.
    let events = e.redis.cli(&["XRANGE", "af:{r:floor}:e", "-", "+"]);
    assert!(events.lines().any(|l| l == "moved"), "{events}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eight_top_sits_at_the_combination_and_an_area_is_honoured_or_refused_with_alternatives() {
    let e = env();
    create(&e, "floor", &floor_doc()).await;
    let d = day(2);
    let eight = hold(&e, "eight", &d, "20:00", 8).await;
    assert_eq!((eight.status.as_u16(), tables_of(&eight)), (201, json!(["T4", "T5"])), "{:?}", eight.body);
    let terrace = |key: &'static str, qty: u32| {
        let body = json!({"resource_id": "floor", "date": d, "slot": "20:00", "qty": qty, "area": "terrace"});
        let api = e.api.clone();
        let t = e.buyer.clone();
        async move { api.hold(&t, key, &body).await }
    };
    // Two seats would fit T3 in the hall too; the terrace is asked, the terrace is given.
    let t1 = terrace("t1", 2).await;
    assert_eq!((t1.status.as_u16(), tables_of(&t1)), (201, json!(["T1"])), "{:?}", t1.body);
    let t2 = terrace("t2", 2).await;
    assert_eq!((t2.status.as_u16(), tables_of(&t2)), (201, json!(["T2"])));
    let full = terrace("t3", 2).await;
    assert_eq!((full.status.as_u16(), full.code()), (409, "SOLD_OUT"), "{:?}", full.body);
    let alts = full.body["alternatives"].as_array().unwrap();
    assert!(!alts.is_empty(), "{:?}", full.body);
    // The hall still has T3 at that time.
    let hall = e.api.hold(&e.buyer, "h1", &json!({"resource_id": "floor", "date": d, "slot": "20:00", "qty": 2, "area": "hall"})).await;
    assert_eq!((hall.status.as_u16(), tables_of(&hall)), (201, json!(["T3"])));
    let v = e.api.get(&e.seller, &format!("/v1/resources/floor/tables?date={d}&area=terrace")).await;
    assert_eq!(v.status, 200);
    let ids: Vec<&str> = v.body["tables"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["T1", "T2"]);
    assert_eq!(v.body["tables"][0]["tags"], json!(["window"]));
    assert_eq!(v.body["areas"], json!(["hall", "terrace"]));
    let nowhere = e.api.get(&e.seller, &format!("/v1/resources/floor/tables?date={d}&area=roof")).await;
    assert_eq!((nowhere.status.as_u16(), nowhere.code()), (400, "INVALID_REQUEST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_ins_sit_now_and_a_finished_seating_frees_its_table() {
    let e = env();
    create(&e, "floor", &floor_doc()).await;
    let first = walk_in(&e, "w1", &json!({"party": 3, "tables": ["T3"]})).await;
    assert_eq!((first.status.as_u16(), first.body["status"].as_str()), (201, Some("seated")), "{:?}", first.body);
    assert_eq!(tables_of(&first), json!(["T3"]));
    let id = first.body["id"].as_str().unwrap().to_string();
    let today = first.body["items"][0]["date"].as_str().unwrap().to_string();
    // A replay answers the same seating; another body under the key is refused.
    let again = walk_in(&e, "w1", &json!({"party": 3, "tables": ["T3"]})).await;
    assert_eq!((again.status.as_u16(), again.body["id"].as_str()), (200, Some(id.as_str())));
    assert_eq!(walk_in(&e, "w1", &json!({"party": 2})).await.code(), "IDEMPOTENCY_KEY_REUSED");
    // The key is the caller's across resources, as a hold's is.
    create(&e, "floor2", &floor_doc()).await;
    let elsewhere = post(&e, &e.seller, "/v1/resources/floor2/walk-ins", Some("w1"), &json!({"party": 3, "tables": ["T3"]})).await;
    assert_eq!((elsewhere.status.as_u16(), elsewhere.code()), (422, "IDEMPOTENCY_KEY_REUSED"));
    // No expiry entry: a consumed seating never expires.
    assert_eq!(e.redis.cli(&["ZSCORE", "af:{r:floor}:x", &id]), "");
    // T3 is taken now.
    let busy = walk_in(&e, "w2", &json!({"party": 2, "tables": ["T3"]})).await;
    assert_eq!((busy.status.as_u16(), busy.code()), (409, "TABLE_TAKEN"), "{:?}", busy.body);
    let v = host_view(&e, &today).await;
    assert_eq!(seated_at(&v, "T3"), vec![id.clone()]);
    let seating = &v["tables"].as_array().unwrap().iter().find(|t| t["id"] == "T3").unwrap()["seatings"][0];
    assert_eq!((seating["party"].as_u64(), seating["caller"].as_str()), (Some(3), Some("seller-1")));

    // Finished: its table is free from now on, a walk-in sits there.
    let f = finish(&e, &e.seller, &id).await;
    assert_eq!(f.status, 200, "{:?}", f.body);
    let at = f.body["finished_at"].as_str().unwrap().to_string();
    let twice = finish(&e, &e.seller, &id).await;
    assert_eq!((twice.status.as_u16(), twice.body["finished_at"].as_str()), (200, Some(at.as_str())));
    let v = host_view(&e, &today).await;
    let t3 = v["tables"].as_array().unwrap().iter().find(|t| t["id"] == "T3").unwrap().clone();
    for s in t3["seatings"].as_array().unwrap() {
        assert_eq!(s["finished_at"].as_str(), Some(at.as_str()), "{t3}");
    }
    let next = walk_in(&e, "w3", &json!({"party": 2, "tables": ["T3"]})).await;
    assert_eq!((next.status.as_u16(), tables_of(&next)), (201, json!(["T3"])), "{:?}", next.body);
    let finished = audited(&e, "type=hold.finished", |ev| ev["hold_id"] == id.as_str()).await;
    assert_eq!(finished["actor"], "seller-1");
    let seated = audited(&e, "type=hold.walk_in", |ev| ev["hold_id"] == id.as_str()).await;
    assert_eq!(seated["actor"], "seller-1");
    // The finished seating holds T3 no later than the moment it was finished.
    let v = host_view(&e, &today).await;
    let t3 = v["tables"].as_array().unwrap().iter().find(|t| t["id"] == "T3").unwrap().clone();
    let mine = t3["seatings"].as_array().unwrap().iter().find(|s| s["hold_id"] == id.as_str()).cloned();
    if let Some(s) = mine {
        let to = chrono::DateTime::parse_from_rfc3339(s["to"].as_str().unwrap()).unwrap();
        assert!(to <= chrono::DateTime::parse_from_rfc3339(&at).unwrap(), "{s}");
    }

    // Party after party until no table is free: T1, T2, T4, T5, then a refusal.
    let mut seated = Vec::new();
    for i in 0..4 {
        let a = walk_in(&e, &format!("fill-{i}"), &json!({"party": 2})).await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        seated.push((tables_of(&a)[0].as_str().unwrap().to_string(), a.body["id"].as_str().unwrap().to_string()));
    }
    seated.sort();
    assert_eq!(seated.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["T1", "T2", "T4", "T5"]);
    let none = walk_in(&e, "fill-5", &json!({"party": 2})).await;
    assert_eq!((none.status.as_u16(), none.code()), (409, "SOLD_OUT"), "{:?}", none.body);
    let terrace = walk_in(&e, "fill-6", &json!({"party": 1, "area": "terrace"})).await;
    assert_eq!(terrace.code(), "SOLD_OUT");
    // Once a hall table is free again, a host whose area is full is told where to look.
    assert_eq!(finish(&e, &e.seller, &seated[2].1).await.status, 200);
    let hint = walk_in(&e, "fill-7", &json!({"party": 2, "area": "terrace"})).await;
    assert_eq!(hint.code(), "SOLD_OUT");
    assert!(hint.body["detail"].as_str().unwrap().contains("free now elsewhere: T4 (hall)"), "{:?}", hint.body);

    // Bad input: 400 with the field; no key: 400; not the owner: 403.
    let unknown = walk_in(&e, "bad-1", &json!({"party": 2, "area": "roof"})).await;
    assert_eq!((unknown.status.as_u16(), unknown.code()), (400, "INVALID_REQUEST"));
    assert!(unknown.body["detail"].as_str().unwrap().starts_with("area"), "{:?}", unknown.body);
    let junk = walk_in(&e, "bad-2", &json!({"party": "three"})).await;
    assert_eq!(junk.status, 400);
    assert!(junk.body["detail"].as_str().unwrap().starts_with("party"), "{:?}", junk.body);
    assert_eq!(walk_in(&e, "bad-3", &json!({"party": 0})).await.status, 400);
    let nokey = post(&e, &e.seller, "/v1/resources/floor/walk-ins", None, &json!({"party": 2})).await;
    assert_eq!(nokey.code(), "IDEMPOTENCY_KEY_REQUIRED");
    let other = post(&e, &token("seller-2", "seller"), "/v1/resources/floor/walk-ins", Some("x"), &json!({"party": 2})).await;
    assert_eq!(other.status, 403);
    assert_eq!(post(&e, &e.buyer, "/v1/resources/floor/walk-ins", Some("x"), &json!({"party": 2})).await.status, 403);

    // Only a seated party is finished: a hold still held is not.
    let held = hold(&e, "later", &day(2), "20:00", 2).await;
    let not = finish(&e, &e.seller, held.body["id"].as_str().unwrap()).await;
    assert_eq!((not.status.as_u16(), not.code()), (409, "NOT_SEATED"), "{:?}", not.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_moving_two_parties_onto_one_table_at_once_seat_one() {
    let e = env();
    create(&e, "floor", &floor_doc()).await;
    let d = day(3);
    for round in 0..5 {
        let a = hold(&e, &format!("a{round}"), &d, "19:00", 2).await;
        let b = hold(&e, &format!("b{round}"), &d, "19:00", 2).await;
        assert_eq!((a.status.as_u16(), b.status.as_u16()), (201, 201));
        let (ha, hb) = (a.body["id"].as_str().unwrap().to_string(), b.body["id"].as_str().unwrap().to_string());
        let (ra, rb) = tokio::join!(move_to(&e, &e.seller, &ha, &["T5"]), move_to(&e, &e.ops, &hb, &["T5"]));
        let mut codes = [ra.status.as_u16(), rb.status.as_u16()];
        codes.sort();
        assert_eq!(codes, [200, 409], "{:?} {:?}", ra.body, rb.body);
        let v = host_view(&e, &d).await;
        let at_t5 = seated_at(&v, "T5");
        assert_eq!(at_t5.len(), 1, "{at_t5:?}");
        assert_eq!(counter(&e.redis, "floor", &format!("t:T5@{d}T19:30Z")), 1);
        // Free the room for the next round.
        assert_eq!(e.api.release(&e.buyer, &ha).await.status, 200);
        assert_eq!(e.api.release(&e.buyer, &hb).await.status, 200);
    }
}
