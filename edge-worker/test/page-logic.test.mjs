import { test } from "node:test";
import assert from "node:assert/strict";
import * as L from "../src/page-logic.mjs";

test("one key per intent: a repeated tap reuses it, another choice gets its own", () => {
  const keys = new Map();
  let n = 0;
  const fresh = () => String(++n);
  const a = L.intentOf({ resource_id: "t", date: "2026-12-05", slot: "20:00", qty: 2 });
  const k1 = L.keyFor(keys, a, fresh);
  assert.equal(L.keyFor(keys, a, fresh), k1);
  assert.equal(k1, "page-1");
  const b = L.intentOf({ resource_id: "t", date: "2026-12-05", slot: "20:00", qty: 3 });
  assert.notEqual(L.keyFor(keys, b, fresh), k1);
  assert.equal(L.intentOf({ resource_id: "p", qty: 1 }), "p|||1");
  assert.ok(L.forgetsKey(409) && L.forgetsKey(422) && !L.forgetsKey(503) && !L.forgetsKey(0) && !L.forgetsKey(201));
});

test("slots group into lunch, dinner and other times, in order", () => {
  const s = (slot) => ({ slot });
  const g = L.groupSlots([s("08:00"), s("13:00"), s("20:00"), s("16:45"), s("00:30"), s("17:00")]);
  assert.deepEqual(g.map((x) => [x.meal, x.slots.map((y) => y.slot)]),
    [["lunch", ["13:00", "16:45"]], ["dinner", ["20:00", "00:30", "17:00"]], ["other_times", ["08:00"]]]);
  assert.deepEqual(L.groupSlots([]), []);
});

test("days are room, full or closed", () => {
  assert.equal(L.dayState({ status: "available" }), "room");
  assert.equal(L.dayState({ status: "limited" }), "room");
  assert.equal(L.dayState({ status: "sold_out" }), "full");
  for (const s of ["closed", "paused", "too_late", "beyond_horizon"]) assert.equal(L.dayState({ status: s }), "closed");
});

test("the party picker offers only what can be seated", () => {
  const days = [{ status: "available", remaining: 6, max_party: 6 }, { status: "closed", remaining: 0, max_party: 0 },
                { status: "sold_out", remaining: 0, max_party: 0 }];
  assert.deepEqual(L.partyChoices({ min: 1, max: 8 }, days), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(L.partyChoices({ min: 2, max: 4 }, days), [2, 3, 4]);
  // No tables: remaining bounds it; nothing bounds it: the cap.
  assert.deepEqual(L.partyChoices(null, [{ status: "available", remaining: 3 }]), [1, 2, 3]);
  assert.equal(L.partyChoices(null, []).length, 20);
  // Everything full: the smallest party is still offered (the days say full).
  assert.deepEqual(L.partyChoices({ min: 2, max: 8 }, [{ status: "sold_out", remaining: 0, max_party: 0 }]),
    [2, 3, 4, 5, 6, 7, 8]);
});

test("dates, times and money in the locale", () => {
  assert.equal(L.todayIn("Europe/Madrid", new Date("2026-12-05T23:30:00Z")), "2026-12-06");
  assert.equal(L.todayIn("America/New_York", new Date("2026-12-05T03:00:00Z")), "2026-12-04");
  assert.equal(L.addDays("2026-12-31", 1), "2027-01-01");
  assert.deepEqual(L.dayWindow("2026-12-05", null, 90), { from: "2026-12-05", to: "2026-12-18" });
  assert.deepEqual(L.dayWindow("2026-12-05", "2026-12-10", 90), { from: "2026-12-05", to: "2026-12-18" });
  assert.deepEqual(L.dayWindow("2026-12-05", "2027-01-04", 90), { from: "2026-12-29", to: "2027-01-11" });
  assert.deepEqual(L.dayWindow("2026-12-05", "2027-06-01", 90), { from: "2026-12-05", to: "2026-12-18" });
  assert.deepEqual(L.dayWindow("2026-12-05", null, 3), { from: "2026-12-05", to: "2026-12-08" });
  assert.deepEqual(L.dayWindow("2026-12-05", "zzz", 90), { from: "2026-12-05", to: "2026-12-18" });
  assert.deepEqual(L.dayWindow("2026-12-05", "2026-13-45", 90), { from: "2026-12-05", to: "2026-12-18" });
  assert.equal(L.formatDate("es", "2026-12-05", true), "sábado, 5 de diciembre");
  assert.equal(L.formatDate("en", "2026-12-05", true), "Saturday, December 5");
  assert.equal(L.formatSlot("es", "20:15"), "20:15");
  assert.equal(L.formatSlot("en", "20:15"), "8:15 PM");
  assert.equal(L.formatMoney("es", 3450, "EUR").replace(/\s/g, " "), "34,50 €");
  assert.equal(L.formatMoney("en", 3450, "EUR"), "€34.50");
  assert.equal(L.formatMoney("en", 500, "JPY"), "¥500");
});

test("free and priced holds; the checkout and manage links", () => {
  const free = { id: "h_1", items: [{ qty: 2 }] };
  const zero = { id: "h_2", items: [{ qty: 2, price: { unit_minor: 0, currency: "EUR" } }] };
  const priced = { id: "h_3", items: [{ qty: 2, price: { unit_minor: 2500, currency: "EUR" } }, { qty: 1 }] };
  assert.ok(L.isFree(free) && L.isFree(zero) && !L.isFree(priced));
  assert.deepEqual(L.holdTotal(priced), { minor: 5000, currency: "EUR" });
  assert.equal(L.holdTotal(free), null);
  const back = L.manageUrl("https://book.example/?resource=x&lang=en", "trattoria", "es", "h_3");
  assert.equal(back, "https://book.example/?resource=trattoria&lang=es#booking=h_3");
  const c = new URL(L.checkoutUrl("https://shop.example/pay?cart=7", "h_3", back));
  assert.equal(c.origin + c.pathname, "https://shop.example/pay");
  assert.deepEqual([c.searchParams.get("cart"), c.searchParams.get("hold"), c.searchParams.get("return")], ["7", "h_3", back]);
  assert.equal(L.bookingOf("#booking=h_01J-x.y"), "h_01J-x.y");
  assert.equal(L.bookingOf("#booking=<img>"), null);
  assert.equal(L.bookingOf(""), null);
  assert.equal(L.bookingOf("#booking=h_9&token=a.b.c"), "h_9");
  assert.deepEqual(L.tokenOf("#booking=h_9&token=a.b-c_d"), { token: "a.b-c_d", hash: "#booking=h_9" });
  assert.deepEqual(L.tokenOf("#token=a.b.c"), { token: "a.b.c", hash: "" });
  assert.deepEqual(L.tokenOf("#token=<x>&booking=h_1"), { token: null, hash: "#booking=h_1" });
  assert.deepEqual(L.tokenOf(""), { token: null, hash: "" });
});

test("the countdown is heard only in its last minute", () => {
  assert.deepEqual(L.countdown(600), { text: "10:00", live: false, expired: false });
  assert.deepEqual(L.countdown(61), { text: "01:01", live: false, expired: false });
  assert.deepEqual(L.countdown(60), { text: "01:00", live: true, expired: false });
  assert.deepEqual(L.countdown(1.7), { text: "00:01", live: true, expired: false });
  assert.deepEqual(L.countdown(-3), { text: "00:00", live: true, expired: true });
});

test("refusals, a refused slot, guests and bodies", () => {
  assert.equal(L.refusalKey(503, "READ_ONLY"), "read_only");
  assert.equal(L.refusalKey(503, "ORIGIN_UNAVAILABLE"), "unreachable");
  assert.equal(L.refusalKey(409, "SOLD_OUT"), "refused");
  assert.equal(L.refusalKey(409, "BUYER_LIMIT"), "buyer_limit");
  assert.equal(L.refusalKey(409, "BOOKING_STARTED"), "started");
  assert.equal(L.refusalKey(400, "INVALID_REQUEST"), "error");
  const a = { slots: [{ slot: "20:00", status: "available", remaining: 4 }, { slot: "21:00", status: "available", remaining: 4 }] };
  const m = L.markRefused(a, "20:00");
  assert.deepEqual(m.slots.map((s) => [s.status, s.remaining]), [["sold_out", 0], ["available", 4]]);
  assert.equal(a.slots[0].status, "available", "the answer itself is left as it was");
  assert.deepEqual(L.guestOf({ name: " Ana ", phone: "600 1", email: "", notes: " " }), { name: "Ana", phone: "600 1" });
  assert.equal(L.guestOf({}), null);
  assert.equal(L.missingDetail({ name: " ", phone: "1" }), "need_name");
  assert.equal(L.missingDetail({ name: "Ana" }), "need_phone");
  assert.equal(L.missingDetail({ name: "Ana", phone: "1" }), null);
  assert.deepEqual(L.holdBody({ resource_id: "p", qty: 1 }, null), { resource_id: "p", qty: 1 });
  assert.deepEqual(L.holdBody({ resource_id: "t", date: "2026-12-05", slot: "20:00", qty: 2 }, { name: "Ana" }),
    { resource_id: "t", qty: 2, date: "2026-12-05", slot: "20:00", guest: { name: "Ana" } });
});
