// The words for the core's `limited_by` and `max_party`, the validator's warnings, and the
// templates' defaults, under node's test runner (tests/tests/console_e2e.rs runs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ruleLabel, ruleSentence, limitsSummary, warningItems } from "../src/explain.js";
import { slotText } from "../src/heatmap.js";
import { TEMPLATES } from "../src/templates.js";

test("a counting rule shows its figures and what it leaves", () => {
  const lb = { rule: "pacing", used: 14, limit: 20, at: "2026-12-05T20:00:00+01:00" };
  assert.equal(ruleLabel(lb), "pacing 14/20");
  assert.equal(ruleSentence(lb), "Pacing binds: 14 of 20 start in the window from 20:00, 6 left.");
  assert.equal(ruleSentence({ rule: "slot_capacity", used: 24, limit: 30, at: "2026-12-05T20:15:00+01:00" }),
    "Slot capacity binds: 24 of 30 start at 20:15, 6 left.");
  assert.equal(ruleSentence({ rule: "daily", used: 60, limit: 50 }), "Daily capacity binds: 60 of 50 booked that day, 0 left.",
    "a limit lowered under what is booked leaves nothing, never a negative");
  assert.equal(ruleLabel({ rule: "stock", used: 38, limit: 40 }), "stock 38/40");
});

test("tables are counted in tables, and the largest party is said apart", () => {
  const lb = { rule: "tables", used: 5, limit: 6, at: "2026-12-05T20:00:00+01:00" };
  assert.equal(ruleLabel(lb), "tables 5/6 busy");
  assert.equal(ruleSentence(lb, 2), "Tables bind: 5 of 6 tables busy during the seating. The largest party that can sit now: 2.");
  assert.equal(ruleSentence({ rule: "closed" }, 0), "Closed (a closure, or no hours that day). No party can be seated now.");
  const slot = { slot: "20:00", remaining: 2, limited_by: lb, max_party: 2 };
  assert.equal(slotText(slot), "20:00 · 2 · tables 5/6 busy · party ≤ 2");
  assert.equal(slotText({ slot: "13:00", remaining: 10, limited_by: { rule: "slot_capacity", used: 0, limit: 10 } }),
    "13:00 · 10 · slot capacity 0/10", "no max_party without tables");
});

test("gates say when sales stopped or start", () => {
  assert.equal(ruleSentence({ rule: "lead_time", at: "2027-03-02T17:00:00+00:00" }), "Lead time: sales stopped at 2027-03-02 17:00.");
  assert.equal(ruleSentence({ rule: "lead_time" }), "The date is past.");
  assert.equal(ruleSentence({ rule: "cutoff", at: "2027-03-02T18:00:00+00:00" }), "Cutoff: sales stopped at 2027-03-02 18:00.");
  assert.equal(ruleSentence({ rule: "horizon", at: "2027-03-02T00:00:00+00:00" }), "Beyond the horizon: on sale from 2027-03-02.");
  assert.equal(ruleSentence({ rule: "paused" }), "Sales are paused until resumed.");
  assert.equal(ruleSentence({ rule: "paused", at: "2027-03-01T12:00:00+00:00" }), "Sales are paused until 2027-03-01 12:00.");
  assert.equal(ruleLabel({ rule: "lead_time", at: "x" }), "lead time");
  assert.equal(ruleLabel(undefined), "");
});

test("warnings become list items naming their field", () => {
  const v = { ok: true, errors: [], warnings: [{ path: "dimensions.slots.pacing.max", message: "pacing of 20 per 15 minutes can never bind" }] };
  assert.deepEqual(warningItems(v), [{ path: "dimensions.slots.pacing.max", text: "Never binds — dimensions.slots.pacing.max: pacing of 20 per 15 minutes can never bind" }]);
  assert.deepEqual(warningItems({ ok: false, errors: [{ path: "name", message: "x" }] }), []);
});

test("every template shows its defaults", () => {
  assert.equal(limitsSummary(TEMPLATES.restaurant.doc()),
    "slot capacity 16 every 15 min (90 min seatings) · pacing 20 per 30 min · concurrent 20 · daily 80 · 6 tables, 22 seats · per hold 1–8 · lead time 60 min");
  assert.equal(limitsSummary(TEMPLATES.shop.doc()), "stock 40 · per hold 1–4");
  assert.equal(limitsSummary(TEMPLATES.tour.doc()), "daily 25 · per hold 1–10 · lead time 120 min");
  assert.equal(limitsSummary(TEMPLATES.hybrid.doc()), "slot capacity 12 every 60 min (60 min seatings) · stock 60 · per hold 1–6 · lead time 180 min");
  assert.equal(limitsSummary({ dimensions: { slots: { capacity: 4, interval_min: 30, duration_min: 30, tables: [{ type: "2-top", count: 3, seats: [1, 2] }] } } }),
    "slot capacity 4 every 30 min (30 min seatings) · 3 tables, 6 seats");
});
