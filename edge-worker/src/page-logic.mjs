// The buyer page's decisions, pure (no DOM, no fetch, no clock but what is passed in), so
// that edge-worker/test/page-logic.test.mjs checks them under `node --test`.

/** One intent per choice: the same resource, date, slot and party is the same booking. */
export function intentOf({ resource_id, date, slot, qty }) {
  return [resource_id, date || "", slot || "", qty].join("|");
}

/**
 * The Idempotency-Key of an intent: the one already given to it (a repeated tap reuses it),
 * else a new one from `fresh()`, remembered in `keys` (a Map).
 */
export function keyFor(keys, intent, fresh) {
  if (!keys.has(intent)) keys.set(intent, "page-" + fresh());
  return keys.get(intent);
}

/**
 * Whether the key of a refused attempt is let go: a 4xx took nothing, so the next attempt is
 * a new one (its guest details may differ); after a 5xx or no answer the hold may stand, so
 * the retry keeps its key and converges on it.
 */
export const forgetsKey = (status) => status >= 400 && status < 500;

/** A slot's meal by its local start: lunch from 11:00 to 16:59, dinner from 17:00 to 03:59. */
export function mealOf(slot) {
  const h = Number(String(slot).slice(0, 2));
  if (h >= 11 && h < 17) return "lunch";
  if (h >= 17 || h < 4) return "dinner";
  return "other_times";
}

/** Slots grouped by meal, lunch then dinner then others, each in the answer's order. */
export function groupSlots(slots) {
  const order = ["lunch", "dinner", "other_times"];
  const groups = new Map(order.map((m) => [m, []]));
  for (const s of slots || []) groups.get(mealOf(s.slot)).push(s);
  return order.filter((m) => groups.get(m).length).map((meal) => ({ meal, slots: groups.get(meal) }));
}

/** Whether a slot, day or stock answer fits the party asked. */
export const fits = (x) => x.status === "available" || x.status === "limited";

/** A calendar day as the day picker shows it: `room`, `full` or `closed`. */
export function dayState(day) {
  if (fits(day)) return "room";
  if (day.status === "sold_out") return "full";
  return "closed";
}

/**
 * The party sizes to offer: from the resource's `qty.min` to the largest party that can be
 * seated on some day of the calendar (`max_party` with tables, else `remaining`), never past
 * `qty.max`, and at most `cap` when nothing bounds it. At least `qty.min` is offered.
 */
export function partyChoices(qty, days, cap = 20) {
  const min = Math.max(1, (qty && qty.min) || 1);
  let max = Math.min((qty && qty.max) || cap, cap);
  const open = (days || []).filter((d) => d.status !== "closed" && d.status !== "beyond_horizon" && d.status !== "too_late"
                                          && d.status !== "paused");
  if (open.length) {
    const seatable = Math.max(...open.map((d) => (d.max_party !== undefined ? d.max_party : d.remaining)));
    if (seatable >= min) max = Math.min(max, seatable);
  }
  const out = [];
  for (let n = min; n <= Math.max(min, max); n++) out.push(n);
  return out;
}

/** Today's date (YYYY-MM-DD) in a timezone, at `now` (a Date). */
export function todayIn(tz, now) {
  const p = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(now).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/** `date` (YYYY-MM-DD) plus `n` days. */
export function addDays(date, n) {
  const d = new Date(date + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/**
 * The 14 days the day picker shows: from today, or, for a date asked for (`?date=`) later
 * than that, the fortnight around it; never past the horizon.
 */
export function dayWindow(today, wanted, horizonDays) {
  const last = addDays(today, horizonDays);
  let from = today;
  const ok = /^\d{4}-\d{2}-\d{2}$/.test(wanted || "") && !Number.isNaN(Date.parse(wanted + "T12:00:00Z"));
  if (ok && wanted > addDays(today, 13) && wanted <= last) from = addDays(wanted, -6);
  const to = addDays(from, 13) < last ? addDays(from, 13) : last;
  return { from, to };
}

/** A resource-local date in the locale: short for the day picker, long for sentences. */
export function formatDate(lang, date, long) {
  const opts = long ? { weekday: "long", day: "numeric", month: "long" } : { weekday: "short", day: "numeric", month: "short" };
  return new Intl.DateTimeFormat(lang, { ...opts, timeZone: "UTC" }).format(new Date(date + "T12:00:00Z"));
}

/** A local slot name (HH:MM) in the locale's way of writing a time. */
export function formatSlot(lang, slot) {
  const [h, m] = String(slot).split(":").map(Number);
  return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(Date.UTC(2000, 0, 1, h, m));
}

/** An instant's time of day in a timezone, in the locale. */
export function formatTime(lang, instant, tz) {
  return new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", second: "2-digit", timeZone: tz }).format(new Date(instant));
}

/** Money in minor units of an ISO 4217 currency, in the locale (the currency's own decimals). */
export function formatMoney(lang, minor, currency) {
  const f = new Intl.NumberFormat(lang, { style: "currency", currency });
  const digits = f.resolvedOptions().maximumFractionDigits;
  return f.format(minor / 10 ** digits);
}

/** Whether a hold costs nothing: no item has a price above zero. */
export const isFree = (hold) => (hold.items || []).every((i) => !i.price || !i.price.unit_minor);

/** What a hold costs in all: `{minor, currency}`, or null when free. */
export function holdTotal(hold) {
  if (isFree(hold)) return null;
  const priced = hold.items.filter((i) => i.price);
  return { minor: priced.reduce((a, i) => a + i.price.unit_minor * i.qty, 0), currency: priced[0].price.currency };
}

/**
 * Where a priced hold goes to be paid: the marketplace's CHECKOUT_URL with `hold=<id>` and
 * `return=<the page's manage link>` added to its query (docs/operations.md).
 */
export function checkoutUrl(base, holdId, returnUrl) {
  const u = new URL(base);
  u.searchParams.set("hold", holdId);
  u.searchParams.set("return", returnUrl);
  return u.toString();
}

/** The link that opens a booking again: the place, the language, the hold id in the fragment. */
export function manageUrl(pageUrl, resource, lang, holdId) {
  const u = new URL("/", pageUrl);
  u.searchParams.set("resource", resource);
  u.searchParams.set("lang", lang);
  u.hash = "booking=" + encodeURIComponent(holdId);
  return u.toString();
}

/** The hold id of a manage link's fragment (`#booking=<id>`, maybe with `&token=`), or null. */
export function bookingOf(hash) {
  const id = new URLSearchParams(String(hash || "").replace(/^#/, "")).get("booking");
  return id && /^[A-Za-z0-9_.-]{1,128}$/.test(id) ? id : null;
}

/**
 * A buyer token handed over in the fragment (`#token=<jwt>`, as the console takes one: never
 * sent to a server), and the fragment without it; `token` is null when there is none.
 */
export function tokenOf(hash) {
  const f = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const token = f.get("token");
  f.delete("token");
  const rest = f.toString();
  return { token: token && /^[A-Za-z0-9_.-]{1,4096}$/.test(token) ? token : null, hash: rest ? "#" + rest : "" };
}

/**
 * The countdown at `left` seconds: its text (mm:ss), whether screen readers hear it (the
 * last minute only: aria-live is set then, never before), and whether it is over.
 */
export function countdown(left) {
  const s = Math.max(0, Math.floor(left));
  const text = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  return { text, live: s <= 60, expired: s === 0 };
}

/** The string key that says why a write was refused. */
export function refusalKey(status, code) {
  if (code === "READ_ONLY") return "read_only";
  if (status === 503 || status === 502 || status === 0) return "unreachable";
  if (code === "SOLD_OUT" || code === "TABLE_TAKEN") return "refused";
  if (code === "BUYER_LIMIT") return "buyer_limit";
  if (code === "BOOKING_STARTED") return "started";
  if (code === "HOLD_NOT_ACTIVE" || code === "HOLD_EXPIRED") return "not_active";
  return "error";
}

/** An availability answer with a refused slot shown as full until the next read says more. */
export function markRefused(avail, slot) {
  return { ...avail, slots: (avail.slots || []).map((s) => (s.slot === slot ? { ...s, status: "sold_out", remaining: 0 } : s)) };
}

/** The guest details as sent: trimmed, empty ones left out; null when none. */
export function guestOf(g) {
  const out = {};
  for (const k of ["name", "phone", "email", "notes"]) {
    const v = (g[k] || "").trim();
    if (v) out[k] = v;
  }
  return Object.keys(out).length ? out : null;
}

/** What is missing from the guest details, as a string key, or null. */
export function missingDetail(g) {
  if (!(g.name || "").trim()) return "need_name";
  if (!(g.phone || "").trim()) return "need_phone";
  return null;
}

/** A hold request's body: one item (date and slot when they apply), with the guest if any. */
export function holdBody({ resource_id, date, slot, qty }, guest) {
  const body = { resource_id, qty };
  if (date) body.date = date;
  if (slot) body.slot = slot;
  if (guest) body.guest = guest;
  return body;
}
