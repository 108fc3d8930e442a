//! The availability and calendar query parsers: no panic on any string.
#![no_main]

use aforo_core::{AvailabilityQuery, CalendarQuery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = AvailabilityQuery::parse(s);
    let _ = CalendarQuery::parse(s);
});
