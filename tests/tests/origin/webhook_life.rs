//! An endpoint's life beyond the basics (docs/webhooks.md): no event missed right after its
//! creation, re-enabling a disabled endpoint (its backlog kept and the gap refilled, or
//! dropped), and its queue shed near Redis's memory ceiling. Every delivery is verified by
//! the official `standardwebhooks` library (npm).

use aforo_tests::receiver::{verify, Receiver};

use crate::common::*;
use crate::webhooks::{hold, register, wait_holds, wh_env};

fn hold_ids(r: &Receiver) -> Vec<String> {
    r.delivered()
        .iter()
        .map(|g| g.json())
        .filter(|b| b["type"] == "hold.created")
        .map(|b| b["data"]["hold_id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_right_after_an_endpoint_is_created_all_reach_it() {
    let e = wh_env(&[]);
    create(&e, "room", &slots_doc(1000)).await;
    let d = day(2);
    // An endpoint already hears the resource, so its stream is read at every poll: a new
    // endpoint must not lose what a poll that began before it read.
    let first = Receiver::start();
    assert_eq!(register(&e, &e.ops, &first.url, &["hold.created"], Some(&["room"])).await.status.as_u16(), 201);
    let mut made: Vec<String> = Vec::new();
    let mut endpoints: Vec<(Receiver, String, usize)> = Vec::new();
    let mut n = 0;
    for _ in 0..15 {
        let r = Receiver::start();
        let a = register(&e, &e.seller, &r.url, &["hold.created"], Some(&["room"])).await;
        assert_eq!(a.status.as_u16(), 201, "{:?}", a.body);
        endpoints.push((r, a.body["secret"].as_str().unwrap().to_string(), made.len()));
        // At once, no pause: the holds race the origins' next poll.
        for _ in 0..3 {
            made.push(hold(&e, n, &d).await);
            n += 1;
        }
    }
    for (i, (r, secret, from)) in endpoints.iter().enumerate() {
        let want = &made[*from..];
        wait_holds(r, want, 15).await;
        assert_eq!(hold_ids(r), want, "endpoint {i}: every hold made after its creation, in order, and none before");
        let verdicts = verify(secret, &r.all());
        assert!(verdicts.iter().all(Result::is_ok), "endpoint {i}: {verdicts:?}");
    }
    wait_holds(&first, &made, 15).await;
}
