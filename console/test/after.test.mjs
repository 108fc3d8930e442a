// A booking's life after the sale as the console asks it (console/src/after.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  STATUS_LABELS, statusLabel, bookingSteps, searchQuery, cancelBody, refundText, money, changeBody,
  alternativeChoices, guestBody, guestLine, intentKeys,
} from "../src/after.js";

test("every status the origin answers reads as words, an unknown one as it came", () => {
  for (const s of ["held", "pending", "consumed", "seated", "finished", "no_show", "cancelled", "released", "expired"]) {
    assert.ok(STATUS_LABELS[s] && !STATUS_LABELS[s].includes("_"), s);
  }
  assert.equal(statusLabel("consumed"), "Booked");
  assert.equal(statusLabel("no_show"), "No-show");
  assert.equal(statusLabel("held"), "Held (not paid)");
  assert.equal(statusLabel("paused_by_moon"), "paused_by_moon");
  assert.equal(statusLabel(undefined), "unknown");
});

test("a status allows the steps the API takes from it, for the seller owning it and ops", () => {
  for (const role of ["seller", "ops"]) {
    assert.deepEqual(bookingSteps("consumed", role).slice(0, 4), ["seat", "no-show", "cancel", "change"]);
    assert.deepEqual(bookingSteps("seated", role), ["finish", "guest"], "a seated party is finished, not cancelled or changed");
    for (const done of ["finished", "no_show", "cancelled", "expired"]) assert.deepEqual(bookingSteps(done, role), ["guest"], done);
  }
  assert.deepEqual(bookingSteps("held", "seller"), ["cancel", "change", "guest"], "release and consume stay the buyer's");
  assert.deepEqual(bookingSteps("held", "ops"), ["cancel", "change", "guest", "release", "consume"]);
  assert.deepEqual(bookingSteps("pending", "ops"), ["guest", "release", "consume"]);
  assert.deepEqual(bookingSteps("consumed", "buyer"), [], "the console's list is not a buyer's");
});

test("a search is 2 to 100 characters once trimmed, and says why not", () => {
  assert.deepEqual(searchQuery("  "), { ok: true, q: "" }, "nothing typed: the day's list");
  const short = searchQuery(" a ");
  assert.equal(short.ok, false);
  assert.match(short.message, /at least 2 characters/);
  assert.deepEqual(searchQuery(" Ad "), { ok: true, q: "Ad" });
  assert.equal(searchQuery("ñ".repeat(51)).ok, false, "counted in bytes, as the origin does");
  assert.equal(searchQuery("x".repeat(100)).ok, true);
});

test("a cancel carries its reason when there is one, and says the refund it got", () => {
  assert.deepEqual(cancelBody("  "), {});
  assert.deepEqual(cancelBody(" late train "), { reason: "late train" });
  assert.equal(refundText({ refund: { percent: 100, fee_minor: 0 } }), "refund 100 %, no fee");
  assert.equal(refundText({ refund: { percent: 50, fee_minor: 1250 } }, "EUR"), "refund 50 % (fee 12.50 EUR)");
  assert.equal(refundText({ status: "cancelled" }), "no refund stated");
  assert.equal(money(5), "0.05");
});

test("a change is a hold request on the booking's resource, checked by field", () => {
  assert.deepEqual(changeBody("trattoria", { date: "2026-12-06", slot: " 20:30 ", qty: "4" }),
    { ok: true, body: { resource_id: "trattoria", date: "2026-12-06", slot: "20:30", qty: 4 } });
  assert.deepEqual(changeBody("tour", { date: "2026-12-06", slot: "", qty: 2 }).body, { resource_id: "tour", date: "2026-12-06", qty: 2 },
    "no slot for a resource without slots");
  assert.deepEqual(changeBody("t", { date: "2026-12-06", qty: 2, area: "hall" }).body.area, "hall");
  const bad = changeBody("t", { date: "06/12", slot: "8pm", qty: "0" });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.errors.map((e) => e.path), ["date", "slot", "qty"]);
  assert.equal(changeBody("t", { date: "2026-12-06", qty: "2.5" }).ok, false);
});

test("a 409's alternatives become choices", () => {
  const c = alternativeChoices({ code: "SOLD_OUT", alternatives: [
    { date: "2026-12-06", slot: "21:00", start: "2026-12-06T21:00:00+00:00", remaining: 6 }, { date: "2026-12-07", remaining: 2 }] });
  assert.deepEqual(c.map((x) => x.label), ["2026-12-06 21:00 (6 left)", "2026-12-07 (2 left)"]);
  assert.deepEqual([c[0].date, c[0].slot, c[1].slot], ["2026-12-06", "21:00", ""]);
  assert.deepEqual(alternativeChoices({ code: "SOLD_OUT" }), []);
  assert.deepEqual(alternativeChoices(null), []);
});

test("a guest from the form: trimmed, empty fields left out, tags split and once each", () => {
  assert.deepEqual(guestBody({ name: " Ada ", phone: "", email: " ada@example.com", notes: "nuts\r\nwindow ", tags: "vip, ,birthday, vip" }),
    { name: "Ada", email: "ada@example.com", notes: "nuts\nwindow", tags: ["vip", "birthday"] });
  assert.deepEqual(guestBody({}), {}, "everything cleared: the PATCH clears the guest");
  assert.equal(guestLine({ name: "Ada", notes: "nuts", tags: ["vip", "birthday"] }), "Ada · nuts · vip, birthday");
  assert.equal(guestLine({ tags: [] }), "");
  assert.equal(guestLine(undefined), "");
});

test("one Idempotency-Key per intent: kept for a retry of the same payload after a lost answer", () => {
  let n = 0;
  const keys = intentKeys(() => `k${++n}`);
  const a = keys.keyFor({ date: "2026-12-06", qty: 4 });
  assert.equal(a, "k1");
  keys.settle(0);
  assert.equal(keys.keyFor({ date: "2026-12-06", qty: 4 }), "k1", "no answer: the same intent, the same key");
  keys.settle(503);
  assert.equal(keys.keyFor({ date: "2026-12-06", qty: 4 }), "k1", "a 5xx may have stood: the same key");
  keys.settle(409);
  assert.equal(keys.keyFor({ date: "2026-12-06", qty: 4 }), "k2", "an answer ends the intent: asking again is a new one");
  assert.equal(keys.keyFor({ date: "2026-12-06", qty: 5 }), "k3", "another payload, another intent");
  assert.equal(keys.keyFor("same"), "k4");
  keys.settle(200);
  assert.equal(keys.keyFor("same"), "k5");
});
