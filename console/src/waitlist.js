// The waiting list of the date beside the host floor: the parties waiting in arrival order
// (position, party, the window they take, guest and phone), and those offered a table (until
// when), accepted, lapsed or gone. Drawn again with the floor on every live event, so an
// offer made when a table frees shows within the floor's 2 s.
//   GET /v1/resources/{id}/waitlist?date=D
import { el } from "./dom.js";
import { get, problemText } from "./api.js";
import { t, timeOf } from "./i18n.js";

// "19:30–21:00" for a window; empty for the whole day.
const windowOf = (e) => (!e.from && !e.to ? t("wait.anytime")
  : e.from && e.from === e.to ? e.from : `${e.from || "00:00"}–${e.to || "23:59"}`);

// A local time of day of an RFC 3339 instant in the host's language.
const timeAt = (iso) => { const d = new Date(iso); return timeOf(d.getHours() * 60 + d.getMinutes()); };

function row(e) {
  const g = e.guest || {};
  const status = e.status === "waiting" ? t("wait.position", { n: e.position })
    : e.status === "offered" ? t("wait.offered", { until: timeAt(e.offer_expires_at) }) : t(`wait.${e.status}`);
  return el("tr", { dataset: { entry: e.id, status: e.status } },
    el("td", {}, status),
    el("td", {}, String(e.qty)),
    el("td", {}, windowOf(e)),
    el("td", {}, g.name || t("wait.noname")),
    el("td", {}, g.phone || ""),
    el("td", {}, e.area || ""));
}

// The list of resource `id` on `date` (an answer of api.js's get), fetched beside the floor
// so that both are drawn from the same moment.
export const fetchWaitlist = (id, date) => get(`/v1/resources/${encodeURIComponent(id)}/waitlist?date=${encodeURIComponent(date)}`);

// Fills `box` with a fetched list.
export function drawWaitlist(box, a) {
  if (!a.ok) { box.replaceChildren(el("p", { className: "field-error" }, problemText(a))); return; }
  const entries = a.body.entries || [];
  const offered = entries.filter((e) => e.status === "offered").length;
  const heading = el("h3", { id: "wait-heading" }, t("wait.heading", { n: a.body.waiting, offered }));
  if (!entries.length) { box.replaceChildren(heading, el("p", { className: "muted" }, t("wait.empty"))); return; }
  const head = el("tr", {}, ...["wait.col.status", "wait.col.party", "wait.col.window", "wait.col.guest", "wait.col.phone", "wait.col.area"]
    .map((k) => el("th", { scope: "col" }, t(k))));
  box.replaceChildren(heading, el("table", { id: "wait-list", "aria-labelledby": "wait-heading" }, el("thead", {}, head), el("tbody", {}, entries.map(row))));
}
