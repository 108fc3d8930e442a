//! `GET /v1/resources/{id}/events`: the resource's availability stream as Server-Sent Events
//! against a real Redis — a hold made after subscribing arrives, a reconnect with
//! `Last-Event-ID` resumes after what was seen, and only the owner (or ops) may listen.

use std::time::Duration;

use aforo_tests::harness::token;
use serde_json::{json, Value};

use crate::common::*;

/// One open stream and what it has sent but not yet been read.
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(url: &str, token: &str, last: Option<&str>) -> Result<Sse, reqwest::Response> {
        let mut req = aforo_tests::client::http().build().unwrap().get(url).bearer_auth(token).header("accept", "text/event-stream");
        if let Some(l) = last {
            req = req.header("last-event-id", l);
        }
        let resp = req.send().await.unwrap();
        if !resp.status().is_success() {
            return Err(resp);
        }
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        Ok(Sse { resp, buf: String::new() })
    }

    /// The next block (comments included), within 5 s.
    async fn block(&mut self) -> String {
        loop {
            if let Some(cut) = self.buf.find("\n\n") {
                let b = self.buf[..cut].to_string();
                self.buf.drain(..cut + 2);
                return b;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.resp.chunk()).await.expect("an event within 5 s");
            self.buf.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("the stream is open")));
        }
    }

    /// The next event: its `id:` and its `data:` as JSON.
    async fn event(&mut self) -> (String, Value) {
        loop {
            let b = self.block().await;
            let id = b.lines().find_map(|l| l.strip_prefix("id: "));
            let data = b.lines().find_map(|l| l.strip_prefix("data: "));
            if let (Some(id), Some(data)) = (id, data) {
                return (id.to_string(), serde_json::from_str(data).unwrap());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_stream_to_a_subscriber_and_a_resume_skips_what_was_seen() {
    let e = env();
    create(&e, "room", &slots_doc(6)).await;
    let d = day(2);
    let hold = |key: &'static str| {
        let api = &e.api;
        let buyer = e.buyer.clone();
        let d = d.clone();
        async move {
            let a = api.hold(&buyer, key, &json!({"resource_id": "room", "date": d, "slot": "20:00", "qty": 1})).await;
            assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
            a.body["id"].as_str().unwrap().to_string()
        }
    };
    let before = hold("sse-0").await;
    let url = format!("{}/v1/resources/room/events", e.origin.url());
    let mut live = Sse::open(&url, &e.seller, None).await.unwrap_or_else(|r| panic!("{}", r.status()));
    assert!(live.block().await.contains("retry: 1000"), "the stream starts by saying how soon to reconnect");

    let first = hold("sse-1").await;
    let (id1, ev) = live.event().await;
    assert_eq!(ev["type"], "held");
    assert_eq!(ev["hold"], first, "the hold made before subscribing ({before}) is not replayed");
    assert_eq!(ev["id"], id1);
    let slot = ev["changes"].as_array().unwrap().iter().find(|c| c["bucket"] == format!("s:{d}T20:00")).unwrap().clone();
    assert_eq!(slot, json!({"bucket": format!("s:{d}T20:00"), "delta": 1, "committed": 2, "remaining": 4}));

    let second = hold("sse-2").await;
    let (id2, ev) = live.event().await;
    assert_eq!(ev["hold"], second);
    drop(live);

    // Reconnecting after the first: the second comes again, then what happened meanwhile.
    e.api.release(&e.buyer, &first).await;
    let mut again = Sse::open(&url, &e.ops, Some(&id1)).await.unwrap_or_else(|r| panic!("{}", r.status()));
    let (rid, ev) = again.event().await;
    assert_eq!((rid.as_str(), ev["hold"].as_str()), (id2.as_str(), Some(second.as_str())), "resumed right after {id1}");
    let (_, ev) = again.event().await;
    assert_eq!((ev["type"].as_str(), ev["hold"].as_str()), (Some("released"), Some(first.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_or_ops_may_listen() {
    let e = env();
    create(&e, "room", &slots_doc(6)).await;
    let url = format!("{}/v1/resources/room/events", e.origin.url());
    for (who, tok) in [("another seller", token("seller-2", "seller")), ("a buyer", e.buyer.clone())] {
        let r = Sse::open(&url, &tok, None).await.err().unwrap_or_else(|| panic!("{who} may listen"));
        assert_eq!(r.status().as_u16(), 403, "{who}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "FORBIDDEN", "{who}");
    }
    let r = aforo_tests::client::http().build().unwrap().get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let bad = Sse::open(&url, &e.seller, Some("$")).await.err().expect("a bad Last-Event-ID is refused");
    assert_eq!(bad.status().as_u16(), 400);
    let gone = format!("{}/v1/resources/nothing/events", e.origin.url());
    assert_eq!(Sse::open(&gone, &e.ops, None).await.err().expect("404").status().as_u16(), 404);
    assert!(Sse::open(&url, &e.ops, None).await.is_ok(), "ops may listen to any resource");
}
