// A booking's life after the sale, as the console shows and asks it (no DOM; unit-tested
// under node): readable statuses, which steps a role may take on a booking in a status, the
// bodies of cancel, change and guest requests, the refund of a cancel, the 409's
// alternatives as choices, the search's bounds, and one Idempotency-Key per intent.
import { stateOf, hostSteps } from "./floor.js";

// Every status the bookings list or the floor may show (API.md, "After the sale").
export const STATUS_LABELS = {
  held: "Held (not paid)",
  pending: "Pending",
  consumed: "Booked",
  booked: "Booked",
  seated: "Seated",
  finished: "Finished",
  no_show: "No-show",
  cancelled: "Cancelled",
  released: "Released",
  expired: "Expired",
};

// A status as words; an unknown one as it came (never hidden).
export const statusLabel = (status) => STATUS_LABELS[status] || String(status || "unknown");

// The steps `role` may take on a booking in `status` (the origin's status, "consumed" for a
// paid booking), in the order they are offered:
// - seat, no-show, cancel, finish: the floor's own steps (hostSteps), for the seller owning
//   the resource and ops; a buyer's own cancel is not the console's;
// - change (date, slot, party): a held or booked booking;
// - guest: the guest's details, whatever the status (the record keeps them);
// - release, consume: a hold's buyer's steps, which ops may take for it.
export function bookingSteps(status, role) {
  if (role !== "seller" && role !== "ops") return [];
  const state = stateOf({ status });
  const steps = [...hostSteps(state)];
  if (state === "held" || state === "booked") steps.push("change");
  steps.push("guest");
  if (role === "ops" && (status === "held" || status === "pending")) steps.push("release", "consume");
  return steps;
}

// The search by guest: 2 to 100 characters once trimmed (the origin's bounds), or why not.
export function searchQuery(text) {
  const q = String(text || "").trim();
  if (q.length === 0) return { ok: true, q: "" };
  if (q.length < 2) return { ok: false, message: "Type at least 2 characters of the guest's name, phone or email to search." };
  if (new TextEncoder().encode(q).length > 100) return { ok: false, message: "A search is at most 100 characters." };
  return { ok: true, q };
}

// The body of a cancel: the reason when one is given (trimmed), else none.
export function cancelBody(reason) {
  const r = String(reason || "").trim();
  return r ? { reason: r } : {};
}

// What a cancel's answer says of the refund: "refund 100 %" or "refund 50 % (fee 12.50 EUR)".
export function refundText(answer, currency) {
  const r = answer && answer.refund;
  if (!r) return "no refund stated";
  const fee = Number(r.fee_minor) || 0;
  return `refund ${r.percent} %${fee > 0 ? ` (fee ${money(fee, currency)})` : ", no fee"}`;
}

// Minor units as "12.50 EUR" (two decimals; no currency: the bare figure).
export const money = (minor, currency) => `${(Number(minor) / 100).toFixed(2)}${currency ? " " + currency : ""}`;

// The hold request of a change: the booking's resource, the date, the slot (none for a
// resource without slots), the party, and an area when one is asked. Errors by field.
export function changeBody(resourceId, { date, slot, qty, area }) {
  const errors = [];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date || "")) errors.push({ path: "date", message: "a date YYYY-MM-DD" });
  const s = String(slot || "").trim();
  if (s && !/^\d{2}:\d{2}$/.test(s)) errors.push({ path: "slot", message: "a slot HH:MM, or empty for a resource without slots" });
  const n = Number(qty);
  if (!Number.isInteger(n) || n < 1) errors.push({ path: "qty", message: "a party of 1 or more" });
  if (errors.length) return { ok: false, errors };
  const body = { resource_id: resourceId, date, qty: n };
  if (s) body.slot = s;
  if (area) body.area = area;
  return { ok: true, body };
}

// A 409's alternatives (SOLD_OUT and the like) as choices for the change form.
export function alternativeChoices(problem) {
  return ((problem && problem.alternatives) || []).map((a) => ({
    date: a.date,
    slot: a.slot || "",
    remaining: a.remaining,
    label: `${a.date}${a.slot ? " " + a.slot : ""} (${a.remaining} left)`,
  }));
}

// A guest's details from the form: trimmed, empty fields left out, tags from "vip, birthday"
// (the PATCH replaces the whole guest, so what is left out is cleared).
export function guestBody({ name, phone, email, notes, tags }) {
  const g = {};
  const one = (k, v) => { const s = String(v || "").trim(); if (s) g[k] = s; };
  one("name", name);
  one("phone", phone);
  one("email", email);
  const n = String(notes || "").replace(/\r\n?/g, "\n").trim();
  if (n) g.notes = n;
  const t = String(tags || "").split(",").map((x) => x.trim()).filter(Boolean);
  if (t.length) g.tags = [...new Set(t)];
  return g;
}

// A guest in one line for a row or a bar: "Ada Lovelace · allergy: nuts · vip, birthday".
export function guestLine(guest) {
  if (!guest) return "";
  return [guest.name, guest.notes, (guest.tags || []).join(", ")].filter(Boolean).join(" · ");
}

// One Idempotency-Key per intended change: `keyFor(payload)` answers the key of that
// payload's intent — the same key while the same payload is retried after a lost answer
// (no status, or 5xx: the write may stand), a fresh one for another payload or after an
// answer (`settle(status)` ends the intent). `mint()` makes a fresh key.
export function intentKeys(mint) {
  let pending = null;
  return {
    keyFor(payload) {
      const p = typeof payload === "string" ? payload : JSON.stringify(payload);
      if (!pending || pending.payload !== p) pending = { payload: p, key: mint() };
      return pending.key;
    },
    settle(status) {
      if (status !== 0 && status < 500) pending = null;
    },
  };
}
