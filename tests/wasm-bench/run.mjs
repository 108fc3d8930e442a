// Times the wasm build of the core (wasm-bindgen --target nodejs) on the criterion fixture.
const wasm = await import(process.argv[2]);
function time(name, n, f) {
  f(3);
  const t = performance.now();
  const bytes = f(n);
  console.log(JSON.stringify({ op: name, ms_per_call: +((performance.now() - t) / n).toFixed(4), bytes }));
}
time("calendar_31", 200, wasm.calendar_31);
time("busy_day", 2000, wasm.busy_day);
time("decode_snapshot", 100, wasm.decode_snapshot);
