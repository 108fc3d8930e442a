// A month as a heat-map of day statuses (from the wasm preview of the document being edited,
// or from the origin's calendar with what is booked): one cell per day, Monday first.
import { el } from "./dom.js";
import { ruleLabel, ruleSentence } from "./explain.js";

export function monthRange(month) { // "2026-12" -> ["2026-12-01", "2026-12-31"]
  const [y, m] = month.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return [`${month}-01`, `${month}-${String(last).padStart(2, "0")}`];
}

export function heatmap(days, onPick) {
  if (!days.length) return el("p", { className: "muted" }, "No days.");
  const first = new Date(days[0].date + "T00:00:00Z").getUTCDay(); // 0 = Sunday
  const pad = (first + 6) % 7;
  const head = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => el("div", { className: "head" }, d));
  const blanks = Array.from({ length: pad }, () => el("div", { className: "head" }));
  const cells = days.map((d) => el("div", {
    className: d.status, title: `${d.date}: ${d.status}, ${d.remaining} left. ${ruleSentence(d.limited_by, d.max_party)}`,
    tabIndex: 0, role: "button",
    dataset: { date: d.date, status: d.status, rule: (d.limited_by && d.limited_by.rule) || "" },
    onclick: () => onPick && onPick(d.date),
    onkeydown: (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); onPick && onPick(d.date); } },
  }, d.date.slice(8), el("br"), d.status === "closed" ? "closed" : String(d.remaining)));
  return el("div", { className: "heatmap", role: "group", "aria-label": "Month" }, ...head, ...blanks, ...cells);
}

// One date's slots, each with what one hold can take, the rule binding it (core's
// `limited_by`) and, with tables, the largest party that can sit: "20:15 · 6 · pacing 14/20".
export function slotsList(a) {
  const slots = (a && a.slots) || [];
  if (!slots.length) {
    const why = a && a.limited_by ? ` ${ruleSentence(a.limited_by, a.max_party)}` : "";
    return el("p", { className: "muted", id: "day-slots" }, `No slots (${a ? a.status : "?"}).${why}`);
  }
  return el("div", { className: "slots", id: "day-slots" },
    ...slots.map((s) => el("span", {
      className: s.status, title: ruleSentence(s.limited_by, s.max_party),
      dataset: { slot: s.slot, rule: (s.limited_by && s.limited_by.rule) || "" },
    }, slotText(s))));
}

// The text of one slot in the list.
export function slotText(s) {
  const party = s.max_party === undefined || s.max_party === null ? "" : ` · party ≤ ${s.max_party}`;
  return `${s.slot} · ${s.remaining} · ${ruleLabel(s.limited_by)}${party}`;
}
