//! Slot generation across DST: gaps are skipped, overlaps are one slot at the first
//! occurrence, and every start carries its true offset.
#![allow(clippy::unwrap_used)]
mod common;
use aforo_core::*;
use common::*;

fn day(tz: &str, d: &str) -> Availability {
    let s = snap(&all_day_slots(tz), &[], "2027-01-01", "2027-12-31", "2027-01-01T00:00:00+00:00");
    availability(&s, &AvailabilityQuery::parse(&format!("date={d}")).unwrap(), utc("2027-01-01T00:00:00+00:00"), false).unwrap()
}

fn names(a: &Availability) -> Vec<String> {
    a.slots.as_ref().unwrap().iter().map(|s| s.slot.clone()).collect()
}

fn start_of(a: &Availability, name: &str) -> String {
    a.slots.as_ref().unwrap().iter().find(|s| s.slot == name).map(|s| s.start.clone()).unwrap_or_default()
}

#[test]
fn madrid_spring_forward_skips_the_missing_hour() {
    let a = day("Europe/Madrid", "2027-03-28");
    let n = names(&a);
    assert_eq!(n.len(), 46);
    assert!(!n.contains(&"02:00".to_string()) && !n.contains(&"02:30".to_string()));
    assert_eq!(start_of(&a, "01:30"), "2027-03-28T01:30:00+01:00");
    assert_eq!(start_of(&a, "03:00"), "2027-03-28T03:00:00+02:00");
}

#[test]
fn madrid_fall_back_takes_the_repeated_hour_once_at_first_occurrence() {
    let a = day("Europe/Madrid", "2027-10-31");
    let n = names(&a);
    assert_eq!(n.len(), 48);
    assert_eq!(n.iter().filter(|x| *x == "02:30").count(), 1);
    assert_eq!(start_of(&a, "02:00"), "2027-10-31T02:00:00+02:00");
    assert_eq!(start_of(&a, "02:30"), "2027-10-31T02:30:00+02:00");
    assert_eq!(start_of(&a, "03:00"), "2027-10-31T03:00:00+01:00");
}

#[test]
fn lord_howe_half_hour_shift_both_ways() {
    // Spring: 02:00 -> 02:30, so 02:00 does not exist.
    let a = day("Australia/Lord_Howe", "2027-10-03");
    assert_eq!(names(&a).len(), 47);
    assert!(!names(&a).contains(&"02:00".to_string()));
    assert_eq!(start_of(&a, "02:30"), "2027-10-03T02:30:00+11:00");
    // Autumn: 02:00 -> 01:30, so 01:30 happens twice; the first is at +11:00.
    let b = day("Australia/Lord_Howe", "2027-04-04");
    assert_eq!(names(&b).len(), 48);
    assert_eq!(start_of(&b, "01:30"), "2027-04-04T01:30:00+11:00");
    assert_eq!(start_of(&b, "02:00"), "2027-04-04T02:00:00+10:30");
}

#[test]
fn santiago_midnight_transitions() {
    // September: 00:00 -> 01:00 on the 5th, so the day has no 00:00 or 00:30.
    let a = day("America/Santiago", "2027-09-05");
    assert_eq!(names(&a).len(), 46);
    assert_eq!(names(&a)[0], "01:00");
    assert_eq!(start_of(&a, "01:00"), "2027-09-05T01:00:00-03:00");
    // April: 24:00 on the 3rd -> 23:00, so 23:00 and 23:30 happen twice; first at -03:00.
    let b = day("America/Santiago", "2027-04-03");
    assert_eq!(names(&b).len(), 48);
    assert_eq!(start_of(&b, "23:30"), "2027-04-03T23:30:00-03:00");
}

#[test]
fn zone_without_dst_is_regular_all_year() {
    for d in ["2027-03-28", "2027-10-31", "2027-04-04"] {
        let a = day("Asia/Tokyo", d);
        assert_eq!(names(&a).len(), 48, "{d}");
        assert!(start_of(&a, "02:00").ends_with("+09:00"));
    }
}

#[test]
fn concurrent_occupancy_counts_real_time_across_the_overlap() {
    // Two-hour seatings every hour on the fall-back night: the 01:00 seating (+02:00) really
    // ends at 02:00 +01:00, so it overlaps the 02:00 (first, +02:00) and 03:00 (+01:00) ones.
    let json = r#"{"name":"x","timezone":"Europe/Madrid","horizon_days":3660,
      "dimensions":{"slots":{"duration_min":120,"interval_min":60,"capacity":10,"concurrent":10}}}"#;
    let now = utc("2027-01-01T00:00:00+00:00");
    let s = snap(json, &[], "2027-10-01", "2027-11-30", "2027-01-01T00:00:00+00:00");
    let p = plan_hold(
        &s,
        &HoldItem { resource_id: "r1".into(), date: Some("2027-10-31".into()), slot: Some("01:00".into()), qty: 1, area: None },
        now,
    )
    .unwrap();
    let moments: Vec<String> = p.takes.iter().filter(|t| matches!(t.bucket, Bucket::Moment(_))).map(|t| t.bucket.to_string()).collect();
    // Starts inside [23:00Z, 02:00Z): 01:00+02 = 23:00Z, 02:00+02 = 00:00Z, 03:00+01 = 02:00Z is outside.
    assert_eq!(moments, ["c:2027-10-30T23:00Z", "c:2027-10-31T00:00Z"]);
}

#[test]
fn cutoff_in_a_dst_gap_moves_to_the_end_of_the_gap() {
    let json = r#"{"name":"x","timezone":"Europe/Madrid","horizon_days":3660,
      "dimensions":{"daily":{"capacity":10}},"cutoff":{"days_before":1,"at":"02:30"}}"#;
    let s = snap(json, &[], "2027-03-01", "2027-04-30", "2027-01-01T00:00:00+00:00");
    let q = AvailabilityQuery::parse("date=2027-03-29").unwrap();
    // 02:30 on the 28th does not exist; the cutoff is 03:00 +02:00 = 01:00Z.
    let before = availability(&s, &q, utc("2027-03-28T00:59:00+00:00"), false).unwrap();
    let after = availability(&s, &q, utc("2027-03-28T01:00:00+00:00"), false).unwrap();
    assert_eq!(before.status, Status::Available);
    assert_eq!(after.status, Status::TooLate);
}

#[test]
fn a_local_date_ends_at_the_next_midnight_even_when_dst_moves_it() {
    let madrid: chrono_tz::Tz = "Europe/Madrid".parse().unwrap();
    let d = parse_date("2027-03-27").unwrap();
    assert_eq!(rfc3339(&end_of_local_date(madrid, d)), "2027-03-27T23:00:00+00:00");
    assert_eq!(rfc3339(&start_of_local_date(madrid, d)), "2027-03-26T23:00:00+00:00");
    // 2027-03-28 has 23 hours in Madrid.
    let spring = parse_date("2027-03-28").unwrap();
    assert_eq!((end_of_local_date(madrid, spring) - start_of_local_date(madrid, spring)).num_hours(), 23);
    // Santiago de Chile skips midnight in September: the day starts at 01:00.
    let scl: chrono_tz::Tz = "America/Santiago".parse().unwrap();
    let gap = parse_date("2027-09-05").unwrap();
    assert_eq!(rfc3339(&start_of_local_date(scl, gap).with_timezone(&scl)), "2027-09-05T01:00:00-03:00");
}
