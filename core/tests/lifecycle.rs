//! After the sale: the cancellation policy's refunds at its documented edges, what a
//! cancelled or absent booking keeps (never a unit twice, nothing it did not hold), the
//! seating and no-show windows, the longest a hold may be extended to, and the document's
//! fields validated with their paths.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use chrono::Duration;
use common::*;
use proptest::prelude::*;

const ROOM: &str = r#"{"name":"Sala","timezone":"UTC","horizon_days":3660,
  "dimensions":{"daily":{"capacity":80},"slots":{"duration_min":90,"interval_min":15,"capacity":40,"concurrent":60,
    "pacing":{"window_min":15,"max":20},"tables":[{"id":"T1","seats":[1,4]},{"id":"T2","seats":[1,4]}]}},
  "cancellation":{"free_until_h":24,"fee_percent":50},"hold_ttl_s":600,"hold_max_s":1200,"early_seat_min":20,"no_show_after_min":10}"#;

fn rules() -> AfterSale {
    resource(ROOM).after
}

#[test]
fn the_documented_policy_refunds_in_full_until_the_free_window_then_charges_the_fee() {
    let r = rules();
    let start = utc("2027-03-01T20:00:00Z");
    let at = |s: &str| refund(&r, Canceller::Buyer, true, Some(9_999), Some(start), utc(s));
    assert_eq!(at("2027-02-28T20:00:00Z"), Ok(Refund { percent: 100, fee_minor: 0 }), "exactly 24 h before is free");
    assert_eq!(at("2027-02-28T20:00:01Z"), Ok(Refund { percent: 50, fee_minor: 4_999 }), "the fee rounds down, for the buyer");
    assert_eq!(at("2027-03-01T19:59:59Z"), Ok(Refund { percent: 50, fee_minor: 4_999 }));
    assert_eq!(at("2027-03-01T20:00:00Z"), Err(AfterSaleError::BookingStarted(start)));
    // Not paid yet, the seller, ops: nothing owed, even late.
    let late = utc("2027-03-01T19:00:00Z");
    assert_eq!(refund(&r, Canceller::Buyer, false, Some(9_999), Some(start), late), Ok(Refund { percent: 100, fee_minor: 0 }));
    assert_eq!(refund(&r, Canceller::Seller, true, Some(9_999), Some(start), late), Ok(Refund { percent: 100, fee_minor: 0 }));
    assert_eq!(refund(&r, Canceller::Seller, true, Some(9_999), Some(start), start + Duration::hours(1)).map(|x| x.percent), Ok(100));
    // No policy: always free; unpriced: no fee.
    let free = AfterSale { cancellation: None, ..r };
    assert_eq!(refund(&free, Canceller::Buyer, true, Some(9_999), Some(start), late), Ok(Refund { percent: 100, fee_minor: 0 }));
    assert_eq!(refund(&r, Canceller::Buyer, true, None, Some(start), late), Ok(Refund { percent: 50, fee_minor: 0 }));
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let r = resource(r#"{"name":"S","timezone":"UTC","dimensions":{"stock":{"on_hand":5}}}"#).after;
    assert_eq!(
        r,
        AfterSale {
            cancellation: None,
            hold_max_s: DEFAULT_HOLD_MAX_S,
            early_seat_min: DEFAULT_EARLY_SEAT_MIN,
            no_show_after_min: DEFAULT_NO_SHOW_AFTER_MIN,
            waitlist: WaitlistRules { offer_ttl_s: DEFAULT_OFFER_TTL_S, max_entries: DEFAULT_WAITLIST_MAX },
        }
    );
    // A hold living longer than the default maximum may still be extended to its own TTL.
    let long = resource(r#"{"name":"S","timezone":"UTC","hold_ttl_s":3600,"dimensions":{"stock":{"on_hand":5}}}"#).after;
    assert_eq!(long.hold_max_s, 3600);
}

#[test]
fn bad_policy_fields_are_refused_with_their_paths() {
    let doc = |extra: &str| format!(r#"{{"name":"S","timezone":"UTC","dimensions":{{"stock":{{"on_hand":5}}}},{extra}}}"#);
    let paths =
        |extra: &str| Resource::from_json(doc(extra).as_bytes()).unwrap_err().errors.into_iter().map(|e| e.path).collect::<Vec<_>>();
    assert_eq!(paths(r#""cancellation":{"free_until_h":-1,"fee_percent":101}"#), ["cancellation.free_until_h", "cancellation.fee_percent"]);
    assert_eq!(paths(r#""hold_ttl_s":600,"hold_max_s":300"#), ["hold_max_s"]);
    assert_eq!(paths(r#""early_seat_min":1441,"no_show_after_min":99999"#), ["early_seat_min", "no_show_after_min"]);
    assert!(Resource::from_json(doc(r#""cancellation":{"free_until_h":1}"#).as_bytes()).is_err(), "fee_percent is required");
}

#[test]
fn seating_and_no_show_open_at_their_windows() {
    let r = rules();
    let start = utc("2027-03-01T20:00:00Z");
    assert_eq!(check_seat(&r, Some(start), utc("2027-03-01T19:39:59Z")), Err(AfterSaleError::NotStarted(utc("2027-03-01T19:40:00Z"))));
    assert_eq!(check_seat(&r, Some(start), utc("2027-03-01T19:40:00Z")), Ok(()));
    assert_eq!(check_no_show(&r, Some(start), utc("2027-03-01T20:09:59Z")), Err(AfterSaleError::NotStarted(utc("2027-03-01T20:10:00Z"))));
    assert_eq!(check_no_show(&r, Some(start), utc("2027-03-01T20:10:00Z")), Ok(()));
    assert_eq!(check_seat(&r, None, utc("2000-01-01T00:00:00Z")), Ok(()), "undated stock has no window");
}

#[test]
fn a_hold_is_extended_up_to_its_longest_life() {
    let r = rules();
    let made = utc("2027-03-01T12:00:00Z");
    assert_eq!(extended(&r, made, made + Duration::seconds(500), 700), Ok(made + Duration::seconds(1200)));
    assert_eq!(extended(&r, made, made + Duration::seconds(500), 701), Err(AfterSaleError::HoldLimit(made + Duration::seconds(1200))));
}

/// A booked seating's takes, as the planner makes them, for a party of `qty` at `slot`.
fn seating(slot: &str, qty: i64) -> Vec<Take> {
    let s = snap(ROOM, &[], "2027-02-20", "2027-03-20", "2027-03-01T08:00:00Z");
    let item = HoldItem { resource_id: "r1".into(), date: Some("2027-03-01".into()), slot: Some(slot.into()), qty, area: None };
    let p = plan_hold(&s, &item, utc("2027-03-01T08:00:00Z")).unwrap();
    let mut takes = p.takes.clone();
    takes.extend(p.choices[0].iter().cloned());
    takes
}

#[test]
fn a_booking_vacated_before_its_start_gives_back_everything() {
    let takes = seating("20:00", 2);
    assert!(takes.iter().any(|t| matches!(t.bucket, Bucket::Table(..))));
    assert_eq!(vacated(&takes, utc("2027-03-01T19:59:00Z")), Vec::<Take>::new());
}

#[test]
fn a_no_show_keeps_its_slot_and_pacing_and_frees_tables_seats_and_covers_from_now() {
    let takes = seating("20:00", 2);
    let kept = vacated(&takes, utc("2027-03-01T20:20:00Z"));
    assert!(kept.iter().all(|t| !matches!(t.bucket, Bucket::Day(_))), "the day's covers come back");
    assert!(kept.iter().any(|t| matches!(t.bucket, Bucket::Slot(..))) && kept.iter().any(|t| matches!(t.bucket, Bucket::Pace(_))));
    let tables = |ts: &[Take]| ts.iter().filter(|t| matches!(t.bucket, Bucket::Table(..))).count();
    // 20:00 stays held (the table was blocked then); from the current moment, 20:15, it is free.
    assert!(tables(&kept) == 1 && tables(&takes) == 6, "{} of {}", tables(&kept), tables(&takes));
}

proptest! {
    /// Vacating never gives a unit back twice nor keeps one it did not hold: what it keeps is
    /// a sub-multiset of the takes, and vacating again later keeps no more.
    #[test]
    fn vacating_keeps_a_subset_and_is_monotone(slot_ix in 0usize..8, qty in 1i64..=4, a in 0i64..240, b in 0i64..240) {
        let slot = ["19:00", "19:15", "19:30", "19:45", "20:00", "20:15", "20:30", "20:45"][slot_ix];
        let takes = seating(slot, qty);
        let base = utc("2027-03-01T18:30:00Z");
        let (early, late) = (base + Duration::minutes(a.min(b)), base + Duration::minutes(a.max(b)));
        let k1 = vacated(&takes, early);
        let k2 = vacated(&takes, late);
        for k in [&k1, &k2] {
            for t in k.iter() {
                prop_assert!(takes.contains(t));
            }
            prop_assert!(k.len() <= takes.len());
        }
        // Applying it again changes nothing: a second cancel returns nothing more.
        prop_assert_eq!(vacated(&k1, early).len() <= k1.len(), true);
        let start = utc(&format!("2027-03-01T{slot}:00Z"));
        if late < start {
            prop_assert!(k2.is_empty());
        }
    }
}

#[test]
fn a_guest_is_bounded_with_its_paths_and_searched_by_its_name_phone_and_email() {
    let ok = Guest {
        name: Some("Lucía Fernández".into()),
        phone: Some("+34 600-11 22 33".into()),
        email: Some("Lucia@Example.org".into()),
        notes: Some("allergy:\nnuts".into()),
        tags: vec!["vip".into()],
    };
    assert_eq!(ok.check("guest."), Ok(()));
    assert_eq!(ok.search_text(), "lucía fernández\n+34600112233\nlucia@example.org");
    let at = |g: Guest| g.check("guest.").unwrap_err().0;
    assert_eq!(at(Guest { name: Some("x".repeat(MAX_GUEST_NAME + 1)), ..ok.clone() }), "guest.name");
    assert_eq!(at(Guest { name: Some("a\nb".into()), ..ok.clone() }), "guest.name");
    assert_eq!(at(Guest { phone: Some("1".repeat(MAX_GUEST_PHONE + 1)), ..ok.clone() }), "guest.phone");
    assert_eq!(at(Guest { email: Some("nobody".into()), ..ok.clone() }), "guest.email");
    assert_eq!(at(Guest { notes: Some("n".repeat(MAX_GUEST_NOTES + 1)), ..ok.clone() }), "guest.notes");
    assert_eq!(at(Guest { tags: vec!["t".into(); MAX_GUEST_TAGS + 1], ..ok.clone() }), "guest.tags");
    assert_eq!(at(Guest { tags: vec!["x".repeat(MAX_GUEST_TAG + 1)], ..ok.clone() }), "guest.tags[0]");
    // In a hold request, beside the item or the items.
    let one = HoldRequest::from_json(br#"{"resource_id":"r","qty":2,"guest":{"name":"Ana"}}"#).unwrap();
    assert_eq!(one.guest.and_then(|g| g.name).as_deref(), Some("Ana"));
    let bad = HoldRequest::from_json(br#"{"items":[{"resource_id":"r","qty":2}],"guest":{"name":"Ana","age":3}}"#).unwrap_err();
    assert!(bad.path.starts_with("guest"), "{bad:?}");
}
