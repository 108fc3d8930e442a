// The host floor's pure math (no DOM; unit-tested under node): minutes of a local date-time
// on the floor's date, the evening's time span, where a seating's bar goes, the seatings of
// a floor once each, and the covers per pacing window (or per slot start) against the limit.

// Minutes since the floor date's local midnight of an RFC 3339 local date-time
// ("2026-12-05T20:15:00+01:00" on 2026-12-05 → 1215): its wall clock is read as written, so
// the browser's own time zone plays no part. The next day counts on (24:30 → 1470).
export function minutesOn(date, iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
  if (!m) return NaN;
  const [y, mo, d] = date.split("-").map(Number);
  const days = Math.round((Date.UTC(+m[1], +m[2] - 1, +m[3]) - Date.UTC(y, mo - 1, d)) / 86400000);
  return days * 1440 + Number(m[4]) * 60 + Number(m[5]);
}

export const clock = (min) => {
  const m = ((min % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
};

// Every seating of the floor once (a combination's seating is listed under each of its
// tables), sorted by start.
export function seatingsOf(floor) {
  const seen = new Map();
  for (const t of floor.tables || []) for (const s of t.seatings || []) if (!seen.has(s.hold_id)) seen.set(s.hold_id, s);
  return [...seen.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

// The evening's span in minutes: from the day's first slot (or the first seating, if earlier;
// for a day of more than 12 hours of slots, an hour before the first seating) to the last
// seating's end (or the last slot start + the duration), on whole hours.
export function span(floor, durationMin) {
  const date = floor.date;
  const starts = (floor.slots || []).map((s) => minutesOn(date, s.start)).filter(Number.isFinite);
  const seats = seatingsOf(floor);
  const froms = seats.map((s) => minutesOn(date, s.from));
  const tos = seats.map((s) => minutesOn(date, s.to));
  const lo = Math.min(...starts, ...froms);
  const hi = Math.max(...starts.map((s) => s + (durationMin || 0)), ...tos);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { from: 18 * 60, to: 24 * 60 };
  // A room open (nearly) all day: the evening starts an hour before its first seating.
  let start = lo;
  if (hi - lo > 12 * 60 && froms.length) start = Math.max(lo, Math.min(...froms) - 60);
  const from = Math.floor(start / 60) * 60;
  return { from, to: Math.max(from + 60, Math.ceil(hi / 60) * 60) };
}

// Where a bar goes, in percent of the span's width (clipped to the span).
export function bar(sp, fromMin, toMin) {
  const w = sp.to - sp.from;
  const a = Math.max(sp.from, Math.min(sp.to, fromMin));
  const b = Math.max(a, Math.min(sp.to, toMin));
  return { left: ((a - sp.from) / w) * 100, width: ((b - a) / w) * 100 };
}

// A seating's state as the floor shows it: a paid booking whose party has not checked in is
// "booked"; seated, finished, no_show and cancelled are the booking's own statuses.
export const stateOf = (s) => (s.status === "consumed" ? "booked" : s.status);

// The steps the host may take on a seating in `state`: seat a booked party, mark it a no-show,
// cancel it (a full refund: the seller's), finish a seated one.
export function hostSteps(state) {
  return { booked: ["seat", "no-show", "cancel"], seated: ["finish"], held: ["cancel"], pending: [] }[state] || [];
}

// Covers against their limit, one entry per slot start of the day:
// - with pacing {window_min, max}: the parties starting in [start, start + window_min) (the
//   pacing window that opens at that instant, as the core counts it) against `max`;
// - without: the parties starting at that slot against the slot's capacity (or null).
// `seatings`: [{from, party}] (each once); `slotStarts`: minutes; `slots`: the document's
// slots dimension ({pacing, capacity}). Released holds are not on the floor, so not counted.
export function covers(seatings, slotStarts, slots, date) {
  const starts = seatings.map((s) => ({ at: minutesOn(date, s.from), party: s.party }));
  const pacing = slots && slots.pacing;
  return slotStarts.map((t) => {
    let n = 0;
    for (const s of starts) if (pacing ? s.at >= t && s.at < t + pacing.window_min : s.at === t) n += s.party;
    const limit = pacing ? pacing.max : slots && slots.capacity != null ? slots.capacity : null;
    return { at: t, covers: n, limit, over: limit != null && n > limit, full: limit != null && n >= limit };
  });
}

// The tables grouped by area, in the floor's order ("" for tables with no area).
export function byArea(tables) {
  const out = new Map();
  for (const t of tables) {
    const k = t.area || "";
    if (!out.has(k)) out.set(k, []);
    out.get(k).push(t);
  }
  return [...out.entries()];
}

// Where a seating may move: each single table and combination that seats its party (other
// than where it is).
export function moveTargets(floor, seating) {
  const here = (seating.tables || []).join("+");
  const fits = (seats) => seating.party >= seats[0] && seating.party <= seats[1];
  return [
    ...(floor.tables || []).filter((t) => t.count === 1 && fits(t.seats)).map((t) => ({ id: t.id, tables: [t.id], area: t.area })),
    ...(floor.combinations || []).filter((c) => fits(c.seats)).map((c) => ({ id: c.of.join("+"), tables: c.of, area: c.area })),
  ].filter((x) => x.id !== here);
}

// An instant (ms) as minutes on the floor's date in the resource's time zone (for the "now"
// line), or NaN when the zone is unknown to this browser.
export function instantOn(date, ms, timeZone) {
  try {
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return minutesOn(date, `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`);
  } catch {
    return NaN;
  }
}
