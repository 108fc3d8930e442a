//! The hold request parser, and the planner on what it accepts: no panic, and every plan's
//! takes name buckets whose limits `limits_between` knows.
#![no_main]

use aforo_core::{plan_hold, HoldRequest, Resource, Snapshot, State};
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;

const DOC: &str = r#"{"name":"Sala","timezone":"Europe/Madrid","horizon_days":400,
 "dimensions":{"stock":{"on_hand":50},"daily":{"capacity":80},
   "slots":{"duration_min":90,"interval_min":15,"capacity":20,"concurrent":30,"pacing":{"window_min":30,"max":12},
     "tables":[{"type":"2-top","count":4,"seats":[1,2]},{"type":"4-top","count":3,"seats":[2,4]}],
     "joins":[{"of":["4-top","4-top"],"seats":[5,8]}]}},
 "qty":{"min":1,"max":8}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = HoldRequest::from_json(data) else { return };
    let res = Resource::from_json(DOC.as_bytes()).expect("the fixture is valid");
    let now = DateTime::from_timestamp(1_798_761_600, 0).expect("2027-01-01");
    let snap = Snapshot {
        resource_id: "sala".into(),
        owner: "o".into(),
        state: State { version: 1, on_hand: Some(50), pause: None },
        resource: res,
        covers: None,
        counters: Default::default(),
        as_of: now,
    };
    for item in &req.items {
        if let Ok(plan) = plan_hold(&snap, item, now) {
            if let Some(d) = plan.date {
                let known = aforo_core::limits_between(&snap, d.pred_opt().unwrap_or(d), d.succ_opt().unwrap_or(d));
                for t in plan.takes.iter().chain(plan.choices.iter().flatten()) {
                    assert_eq!(known.get(&t.bucket), Some(&t.limit), "{}", t.bucket);
                }
            }
        }
    }
});
