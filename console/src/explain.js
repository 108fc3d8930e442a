// Words for what the core computes: the rule binding a slot or day (`limited_by`, decided in
// core/src/explain.rs, never here) and the limits a document sets (a template's defaults).
// Pure functions, tested under node (console/test/explain.test.mjs).

const NAMES = {
  slot_capacity: "slot capacity",
  pacing: "pacing",
  concurrent: "concurrent",
  daily: "daily capacity",
  tables: "tables",
  stock: "stock",
  closed: "closed",
  paused: "paused",
  lead_time: "lead time",
  cutoff: "cutoff",
  horizon: "horizon",
};

// "20:15" of an RFC 3339 instant with its local offset (the core writes `at` that way).
const hhmm = (at) => (typeof at === "string" && at.length >= 16 ? at.slice(11, 16) : "");
const dayOf = (at) => (typeof at === "string" ? at.slice(0, 10) : "");

// The short label shown on a slot: the binding rule and its figures.
export function ruleLabel(lb) {
  if (!lb || !lb.rule) return "";
  const name = NAMES[lb.rule] || lb.rule;
  if (lb.rule === "tables") return `${name} ${lb.used}/${lb.limit} busy`;
  if (lb.used !== undefined && lb.limit !== undefined) return `${name} ${lb.used}/${lb.limit}`;
  return name;
}

// The sentence for a slot or day: which rule binds, why, and (with tables) the largest party.
export function ruleSentence(lb, maxParty) {
  if (!lb || !lb.rule) return "";
  const at = lb.at ? hhmm(lb.at) : "";
  const party = maxParty === undefined || maxParty === null ? "" :
    maxParty === 0 ? " No party can be seated now." : ` The largest party that can sit now: ${maxParty}.`;
  const left = lb.limit !== undefined && lb.used !== undefined ? Math.max(0, lb.limit - lb.used) : null;
  let s;
  switch (lb.rule) {
    case "slot_capacity": s = `Slot capacity binds: ${lb.used} of ${lb.limit} start at ${at}, ${left} left.`; break;
    case "pacing": s = `Pacing binds: ${lb.used} of ${lb.limit} start in the window from ${at}, ${left} left.`; break;
    case "concurrent": s = `Concurrent binds: ${lb.used} of ${lb.limit} in at ${at}, ${left} left.`; break;
    case "daily": s = `Daily capacity binds: ${lb.used} of ${lb.limit} booked that day, ${left} left.`; break;
    case "stock": s = `Stock binds: ${lb.used} of ${lb.limit} held or sold, ${left} left.`; break;
    case "tables": s = `Tables bind: ${lb.used} of ${lb.limit} tables busy during the seating.`; break;
    case "closed": s = "Closed (a closure, or no hours that day)."; break;
    case "paused": s = lb.at ? `Sales are paused until ${dayOf(lb.at)} ${at}.` : "Sales are paused until resumed."; break;
    case "lead_time": s = lb.at ? `Lead time: sales stopped at ${dayOf(lb.at)} ${at}.` : "The date is past."; break;
    case "cutoff": s = `Cutoff: sales stopped at ${dayOf(lb.at)} ${at}.`; break;
    case "horizon": s = `Beyond the horizon: on sale from ${dayOf(lb.at)}.`; break;
    default: s = `${lb.rule} binds.`;
  }
  return s + party;
}

// A template's (or any document's) limits in one line, so an owner sees the defaults that
// will bind before saving: "slot capacity 16 every 15 min (90 min seatings) · pacing 20 per
// 30 min · concurrent 20 · daily 80 · 6 tables, 22 seats · per hold 1–8".
export function limitsSummary(doc) {
  const d = (doc && doc.dimensions) || {};
  const out = [];
  const s = d.slots;
  if (s) {
    out.push(`slot capacity ${s.capacity} every ${s.interval_min} min (${s.duration_min} min seatings)`);
    if (s.pacing) out.push(`pacing ${s.pacing.max} per ${s.pacing.window_min} min`);
    if (s.concurrent !== undefined) out.push(`concurrent ${s.concurrent}`);
  }
  if (d.daily) out.push(`daily ${d.daily.capacity}`);
  if (d.stock) out.push(`stock ${d.stock.on_hand}`);
  if (s && Array.isArray(s.tables) && s.tables.length) {
    const count = (t) => (t.count === undefined ? 1 : t.count);
    const tables = s.tables.reduce((n, t) => n + count(t), 0);
    const seats = s.tables.reduce((n, t) => n + count(t) * t.seats[1], 0);
    out.push(`${tables} table${tables === 1 ? "" : "s"}, ${seats} seats`);
  }
  if (doc && doc.qty) out.push(`per hold ${doc.qty.min ?? 1}–${doc.qty.max ?? "any"}`);
  if (doc && doc.lead_time_min) out.push(`lead time ${doc.lead_time_min} min`);
  return out.join(" · ");
}

// The validator's warnings (limits that can never bind) as list items: the field, then why.
export function warningItems(v) {
  return ((v && v.warnings) || []).map((w) => ({ path: w.path, text: `Never binds — ${w.path}: ${w.message}` }));
}
