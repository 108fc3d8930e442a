//! Enforce and shadow decide the same holds: in enforce, committed never passes a limit; in
//! shadow, nothing is refused and a hold is marked `over` exactly when enforce would have
//! refused it, with the same choice taken when enforce grants it.

use aforo_core::{decide, decide_shadow, Bucket, Counters, Take};
use chrono::NaiveDate;
use proptest::prelude::*;

fn bucket(i: u8) -> Bucket {
    Bucket::Day(NaiveDate::from_ymd_opt(2027, 1, 1 + u32::from(i)).expect("date"))
}

/// Takes on distinct buckets among `from..from + 4` (a plan names each bucket once; covers and
/// tables are apart).
fn takes(from: u8, n: usize) -> impl Strategy<Value = Vec<Take>> {
    prop::collection::btree_map(from..from + 4, (1u32..4, 0u32..8), 0..n)
        .prop_map(|m| m.into_iter().map(|(b, (qty, limit))| Take { bucket: bucket(b), qty, limit }).collect())
}

fn hold() -> impl Strategy<Value = (Vec<Take>, Vec<Vec<Take>>)> {
    (takes(0, 3), prop::collection::vec(takes(4, 2).prop_filter("a choice takes something", |c| !c.is_empty()), 0..3))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn shadow_marks_exactly_what_enforce_refuses(holds in prop::collection::vec(hold(), 1..12)) {
        let mut enforce = Counters::default();
        for (t, c) in &holds {
            let before = enforce.clone();
            let mut shadow = enforce.clone();
            let granted = decide(t, c, &mut enforce);
            let s = decide_shadow(t, c, &mut shadow);
            prop_assert_eq!(granted.is_none(), !s.over.is_empty(), "marked exactly when refused: {:?}", s);
            match granted {
                Some(chosen) => {
                    prop_assert_eq!(chosen, s.chosen);
                    prop_assert_eq!(&shadow, &enforce, "granted alike, counted alike");
                }
                None => prop_assert_eq!(&enforce, &before, "a refusal changes nothing"),
            }
            // In enforce, a granted hold leaves every counter it took within its limit.
            if let Some(chosen) = granted {
                for tk in t.iter().chain(chosen.map(|i| &c[i]).into_iter().flatten()) {
                    prop_assert!(enforce.get(&tk.bucket) <= tk.limit, "{:?} past its limit", tk);
                }
            }
        }
    }
}
