// aforo-core in the browser (console-wasm, built by scripts/build-console.sh): the origin's
// own validation and availability rules, so that no rule is written twice in JavaScript.
import init, { validate as wasmValidate, preview_calendar, preview_day } from "../pkg/console_core.js";

let ready = null;
export function load() {
  ready = ready || init({ module_or_path: "/console/console_core_bg.wasm" });
  return ready;
}

// {ok, errors:[{path, message}]}: what the origin's PUT would answer as INVALID_CONFIG.
export const validate = (doc) => JSON.parse(wasmValidate(JSON.stringify(doc)));

// The calendar of the document with nothing booked: {ok, calendar:{days:[{date,status,remaining,price}]}}.
export const previewCalendar = (doc, from, to, qty) =>
  JSON.parse(preview_calendar(JSON.stringify(doc), from, to, qty, new Date().toISOString()));

// One date's slots with nothing booked: {ok, availability:{status, slots:[...]}}.
export const previewDay = (doc, date, qty) =>
  JSON.parse(preview_day(JSON.stringify(doc), date, qty, new Date().toISOString()));
