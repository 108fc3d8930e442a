//! Native timing of the same functions the wasm benchmark runs, for the ratio.
#![allow(missing_docs)]

use std::time::Instant;

fn time(name: &str, n: u32, f: fn(u32) -> usize) {
    f(3);
    let t = Instant::now();
    let bytes = f(n);
    println!("{{\"op\":\"{name}\",\"ms_per_call\":{:.4},\"bytes\":{bytes}}}", t.elapsed().as_secs_f64() * 1000.0 / f64::from(n));
}

fn main() {
    time("calendar_31", 200, aforo_wasm_bench::calendar_31);
    time("busy_day", 2000, aforo_wasm_bench::busy_day);
    time("decode_snapshot", 100, aforo_wasm_bench::decode_snapshot);
}
