// The host floor's pure math (console/src/floor.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { instantOn, minutesOn, clock, seatingsOf, span, bar, stateOf, hostSteps, covers, byArea, moveTargets } from "../src/floor.js";

const D = "2026-12-05";
const seat = (hold_id, from, to, party, extra = {}) =>
  ({ hold_id, tables: ["T1"], party, status: "held", from: `${D}T${from}:00+01:00`, to: `${D}T${to}:00+01:00`, caller: "b", ...extra });

test("local times are read as written, on the floor's date", () => {
  assert.equal(minutesOn(D, "2026-12-05T20:15:00+01:00"), 1215);
  assert.equal(minutesOn(D, "2026-12-06T00:30:00-05:00"), 1470, "after midnight counts on");
  assert.ok(Number.isNaN(minutesOn(D, "junk")));
  assert.equal(clock(1470), "00:30");
  assert.equal(clock(1215), "20:15");
});

test("the evening runs from the first slot to the last seating's end, on whole hours", () => {
  const floor = { date: D, slots: [{ start: `${D}T20:00:00+01:00` }, { start: `${D}T21:15:00+01:00` }],
    tables: [{ id: "T1", seatings: [seat("a", "21:15", "23:40", 2)] }] };
  assert.deepEqual(span(floor, 90), { from: 1200, to: 1440 });
  assert.deepEqual(span({ date: D, slots: [], tables: [] }, 90), { from: 1080, to: 1440 }, "an empty day");
  const allDay = { date: D, slots: [{ start: `${D}T00:00:00+01:00` }, { start: `${D}T23:30:00+01:00` }],
    tables: [{ id: "T1", seatings: [seat("a", "19:30", "21:00", 2)] }] };
  assert.deepEqual(span(allDay, 90), { from: 1080, to: 1500 }, "open all day: from an hour before the first seating");
  const b = bar({ from: 1200, to: 1440 }, 1260, 1350);
  assert.equal(b.left, 25);
  assert.equal(b.width, 37.5);
  assert.deepEqual(bar({ from: 1200, to: 1440 }, 1100, 1230), { left: 0, width: 12.5 }, "clipped to the span");
});

test("a combination's seating counts once; states", () => {
  const s = seat("c", "20:00", "21:30", 6, { tables: ["H1", "H2"] });
  const floor = { date: D, tables: [{ id: "H1", seatings: [s] }, { id: "H2", seatings: [s] }, { id: "T1", seatings: [seat("a", "19:00", "20:30", 2)] }] };
  assert.deepEqual(seatingsOf(floor).map((x) => x.hold_id), ["a", "c"]);
  assert.equal(stateOf({ status: "held" }), "held");
  assert.equal(stateOf({ status: "consumed" }), "booked");
  assert.equal(stateOf({ status: "seated" }), "seated");
  assert.equal(stateOf({ status: "finished", finished_at: "x" }), "finished");
  assert.equal(stateOf({ status: "no_show" }), "no_show");
  assert.deepEqual(hostSteps("booked"), ["seat", "no-show", "cancel"]);
  assert.deepEqual(hostSteps("seated"), ["finish"]);
  assert.deepEqual(hostSteps("finished"), []);
  assert.deepEqual(hostSteps("cancelled"), []);
  assert.deepEqual(byArea([{ id: "T1", area: "terrace" }, { id: "H1", area: "hall" }, { id: "T2", area: "terrace" }]).map(([a, t]) => [a, t.length]),
    [["terrace", 2], ["hall", 1]]);
});

test("covers per pacing window: the parties starting in [t, t + window) against max", () => {
  const seatings = [seat("a", "20:00", "21:30", 4), seat("b", "20:10", "21:40", 3), seat("c", "20:15", "21:45", 2), seat("d", "21:00", "22:30", 5)];
  const starts = [1200, 1215, 1230, 1245, 1260];
  const c = covers(seatings, starts, { pacing: { window_min: 15, max: 6 }, capacity: 40 }, D);
  assert.deepEqual(c.map((x) => x.covers), [7, 2, 0, 0, 5]);
  assert.deepEqual(c.map((x) => x.limit), [6, 6, 6, 6, 6]);
  assert.deepEqual(c.map((x) => x.over), [true, false, false, false, false]);
  const wide = covers(seatings, [1200], { pacing: { window_min: 30, max: 9 } }, D);
  assert.deepEqual([wide[0].covers, wide[0].full, wide[0].over], [9, true, false]);
});

test("without pacing: covers per slot start against the slot's capacity", () => {
  const seatings = [seat("a", "20:00", "21:30", 4), seat("b", "20:10", "21:40", 3), seat("c", "20:15", "21:45", 2)];
  const c = covers(seatings, [1200, 1215], { capacity: 4 }, D);
  assert.deepEqual(c.map((x) => [x.covers, x.limit, x.full, x.over]), [[4, 4, true, false], [2, 4, false, false]]);
  assert.equal(covers(seatings, [1200], null, D)[0].limit, null);
});

test("a seating moves to the tables and combinations that seat its party", () => {
  const floor = { tables: [{ id: "T1", seats: [1, 2], count: 1 }, { id: "H1", seats: [2, 4], count: 1, area: "hall" },
    { id: "H2", seats: [2, 4], count: 1, area: "hall" }, { id: "4-top", seats: [2, 4], count: 3 }],
    combinations: [{ id: "H1+H2", of: ["H1", "H2"], seats: [3, 8], area: "hall" }] };
  assert.deepEqual(moveTargets(floor, { party: 3, tables: ["H1"] }).map((x) => x.id), ["H2", "H1+H2"]);
  assert.deepEqual(moveTargets(floor, { party: 2, tables: ["T1"] }).map((x) => x.id), ["H1", "H2"], "not a pool, not a too-big combination");
});

test("now on the floor's date, in the resource's time zone", () => {
  const ms = Date.UTC(2026, 11, 5, 19, 40);
  assert.equal(instantOn(D, ms, "Europe/Madrid"), 20 * 60 + 40);
  assert.equal(instantOn(D, ms, "UTC"), 19 * 60 + 40);
  assert.equal(instantOn("2026-12-04", ms, "UTC"), 1440 + 19 * 60 + 40, "the next day counts on");
  assert.ok(Number.isNaN(instantOn(D, ms, "Nowhere/Else")));
});
