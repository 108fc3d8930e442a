// The host floor: one resource's tables (by area) × the evening's time, each seating a bar
// (party size and buyer, styled held / seated / finished), the covers per pacing window
// against its limit, and the host's operations of issue #11 — move a seating to another table
// or combination (409 TABLE_TAKEN shown), finish it early, release it (operators: a hold
// belongs to its buyer), seat a walk-in (with an Idempotency-Key). Redrawn from the resource's
// Server-Sent Events (live.js), so a buyer's hold in another tab shows within 2 s.
//   GET  /v1/resources/{id}/tables?date=D[&area=A]   the floor
//   POST /v1/holds/{id}/tables {"tables":[...],"resource_id"}  move (this floor's seating)
//   POST /v1/holds/{id}/finish {"resource_id"}                 finish early
//   POST /v1/holds/{id}/release                       release (the buyer, or ops)
//   POST /v1/resources/{id}/walk-ins {"party":n}      a walk-in, seated now
//   POST /v1/holds/{id}/change, PATCH /v1/holds/{id}/guest   change.js's forms
//   GET  /v1/resources/{id}/waitlist?date=D           the date's waiting list (waitlist.js)
// A bar says the party and its guest's name (the buyer's id when no name was given); the
// seating's actions show the guest's notes and tags.
import { el, field, button, confirmStep } from "./dom.js";
import { call, get, problemText, newKey } from "./api.js";
import { subscribe } from "./live.js";
import { instantOn, minutesOn, clock, seatingsOf, span, bar, stateOf, hostSteps, covers, byArea, moveTargets } from "./floor.js";
import { statusLabel, refundText, guestLine } from "./after.js";
import { changeForm, guestForm } from "./change.js";
import { t, lang, setLang, LANGS, STRINGS, timeOf } from "./i18n.js";
import { fetchWaitlist, drawWaitlist } from "./waitlist.js";

// A time of day shown to the host, in the language in use (Intl).
const hm = (m) => timeOf(((m % 1440) + 1440) % 1440);
// A seating's status in words (the origin's status; an unknown one: the after view's label).
const stateText = (s) => (STRINGS.en[`status.${s.status}`] ? t(`status.${s.status}`) : statusLabel(s.status).toLowerCase());

let stopLive = null;

const localToday = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

// Clears the pending redraw of the mounted floor (set by mount).
let clearTimer = null;

// The view is left: its event stream is closed and its timer cleared (mount opens them again).
export function unmount() {
  if (stopLive) { stopLive(); stopLive = null; }
  if (clearTimer) { clearTimer(); clearTimer = null; }
}

export function mount(root, role) {
  unmount();
  const resource = el("select", { id: "host-resource" }, el("option", { value: "" }, t("pick.restaurant")));
  const date = el("input", { id: "host-date", type: "date", value: localToday() });
  const area = el("select", { id: "host-area" }, el("option", { value: "" }, t("all.areas")));
  const live = el("span", { id: "host-live", role: "status", className: "muted" }, "");
  const status = el("p", { id: "host-status", role: "status", "aria-live": "polite" });
  const floorBox = el("div", { id: "floor" }, el("p", { className: "muted" }, t("floor.empty")));
  const actionBox = el("div", { id: "host-actions" });
  const walkBox = el("div", { id: "host-walkin" });
  const waitBox = el("section", { id: "host-waitlist", "aria-live": "polite" });
  const controls = el("form", { className: "row", id: "host-controls" },
    field(t("field.restaurant"), resource), field(t("field.date"), date), field(t("field.area"), area),
    el("button", { type: "submit" }, t("show.floor")), live);
  // The language switch: kept in localStorage; the view is drawn again in the language picked.
  const langSel = el("select", { id: "host-lang" }, Object.entries(LANGS).map(([v, name]) => el("option", { value: v, lang: v }, name)));
  langSel.value = lang();
  langSel.addEventListener("change", () => { setLang(langSel.value); mount(root, role); });
  controls.append(field(t("lang.label"), langSel));
  root.lang = lang();
  root.replaceChildren(root.firstElementChild, controls, status, floorBox, actionBox, walkBox, waitBox);

  // `form`: the change or guest form open for the selected seating ({hold, node}), kept
  // across live redraws so that what the host types is not lost.
  const st = { id: "", slots: null, floor: null, selected: null, timer: null, seq: 0, form: null };
  clearTimer = () => clearTimeout(st.timer);

  // The latest request wins: an answer to an older one (another date, area or resource) is dropped.
  const load = async () => {
    if (!st.id) return;
    const seq = ++st.seq;
    const q = new URLSearchParams({ date: date.value });
    if (area.value) q.set("area", area.value);
    const [a, w] = await Promise.all([get(`/v1/resources/${encodeURIComponent(st.id)}/tables?${q}`), fetchWaitlist(st.id, date.value)]);
    if (seq !== st.seq) return;
    drawWaitlist(waitBox, w);
    if (!a.ok) { floorBox.replaceChildren(el("p", { className: "field-error" }, problemText(a))); return; }
    st.floor = a.body;
    const keep = area.value;
    area.replaceChildren(el("option", { value: "" }, t("all.areas")), ...(a.body.areas || []).map((x) => el("option", { value: x }, x)));
    area.value = keep;
    draw();
  };
  // Events come in bursts (a hold is several changes): one redraw per 200 ms.
  const soon = () => { clearTimeout(st.timer); st.timer = setTimeout(load, 200); };

  const choose = async () => {
    if (stopLive) { stopLive(); stopLive = null; }
    st.id = resource.value;
    st.selected = null;
    st.floor = null;
    st.seq++;
    actionBox.replaceChildren();
    if (!st.id) return;
    const doc = await get(`/v1/resources/${encodeURIComponent(st.id)}`);
    if (resource.value !== st.id) return;
    st.slots = doc.ok ? ((doc.body.document || {}).dimensions || {}).slots || null : null;
    st.currency = doc.ok ? ((doc.body.document || {}).pricing || {}).currency : undefined;
    if (!st.slots || !(st.slots.tables || []).length) {
      floorBox.replaceChildren(el("p", { className: "muted" }, t("no.tables", { id: st.id })));
      walkBox.replaceChildren();
      return;
    }
    walkBox.replaceChildren(walkInForm(st, status, load));
    live.textContent = t("live.connecting");
    stopLive = subscribe(st.id, soon, (s) => { live.textContent = s === "live" ? t("live.live") : s; });
    await load();
  };

  // A live redraw keeps the host's place: the focused bar or control, and the move target.
  const draw = () => {
    const f = st.floor;
    if (!f) return;
    const active = document.activeElement;
    const focusBar = active && active.dataset && active.dataset.hold && floorBox.contains(active) ? active.dataset.hold : null;
    const focusId = active && actionBox.contains(active) ? active.id : null;
    const moveTo = (actionBox.querySelector("#move-to") || {}).value;
    const dur = (st.slots && st.slots.duration_min) || 90;
    const sp = span(f, dur);
    const pos = (node, a, b) => { const p = bar(sp, a, b); node.style.left = p.left + "%"; node.style.width = p.width + "%"; return node; };
    const ticks = [];
    for (let m = sp.from; m < sp.to; m += 60) ticks.push(pos(el("span", { className: "tick" }, hm(m)), m, m + 60));
    // Now, when it falls in the evening shown (in the resource's time zone).
    const now = instantOn(f.date, Date.now(), f.timezone);
    if (now >= sp.from && now < sp.to) ticks.push(pos(el("span", { className: "now", id: "floor-now", title: t("now.title", { time: hm(now) }) }, t("now")), now, now));
    const rows = [el("div", { className: "floor-row floor-head" }, el("div", { className: "floor-label" }, t("table")), el("div", { className: "track" }, ticks))];
    for (const [name, tables] of byArea(f.tables || [])) {
      rows.push(el("div", { className: "floor-area", role: "heading", "aria-level": "3" }, name || t("no.area")));
      for (const tb of tables) {
        const bars = (tb.seatings || []).map((s) => {
          const a = minutesOn(f.date, s.from), b = minutesOn(f.date, s.to);
          const state = stateOf(s);
          const who = (s.guest && s.guest.name) || s.caller;
          const text = `${s.party} · ${who}`;
          return pos(button(text, () => { st.selected = s.hold_id; draw(); const c = actionBox.querySelector("select, button"); if (c) c.focus(); }, {
            className: `seating ${state}${st.selected === s.hold_id ? " selected" : ""}`,
            dataset: { hold: s.hold_id, table: tb.id, state },
            "aria-label": t("bar.label", { table: tb.id, party: s.party, who, from: hm(a), to: hm(b), status: stateText(s),
              at: s.tables.length > 1 ? t("bar.at", { tables: s.tables.join("+") }) : "" }),
            title: `${s.hold_id} ${clock(a)}–${clock(b)} ${state}`,
          }), a, b);
        });
        rows.push(el("div", { className: "floor-row", dataset: { table: tb.id } },
          el("div", { className: "floor-label", title: tb.id }, tb.id, el("span", { className: "muted" }, ` ${tb.seats[0]}–${tb.seats[1]}${tb.count > 1 ? " ×" + tb.count : ""}`)),
          el("div", { className: "track" }, bars)));
      }
    }
    // Covers: per pacing window (or per slot) against its limit.
    const starts = (f.slots || []).map((s) => minutesOn(f.date, s.start));
    const step = starts.length > 1 ? starts[1] - starts[0] : 15;
    const cv = covers(seatingsOf(f), starts, st.slots, f.date);
    const paced = st.slots && st.slots.pacing;
    rows.push(el("div", { className: "floor-row floor-covers", id: "floor-covers" },
      el("div", { className: "floor-label" }, paced ? t("covers.paced", { window: paced.window_min, max: paced.max }) : t("covers.slot")),
      el("div", { className: "track" }, cv.filter((c) => c.covers > 0 || starts.length <= 24).map((c) =>
        pos(el("span", { className: `cover${c.over ? " over" : c.full ? " full" : ""}`, dataset: { at: clock(c.at), covers: c.covers },
          title: t("covers.title", { time: hm(c.at), covers: c.covers, of: c.limit != null ? t("covers.of", { limit: c.limit }) : "" }) }, c.limit != null ? `${c.covers}/${c.limit}` : String(c.covers)),
        c.at, c.at + step)))));
    const n = seatingsOf(f);
    const floorGrid = el("div", { className: "floor", role: "group", "aria-label": t("floor.group") }, rows);
    floorGrid.style.setProperty("--hours", String((sp.to - sp.from) / 60));
    floorBox.replaceChildren(el("h3", {}, t("floor.heading", { resource: f.resource_id, date: f.date }), el("span", { className: "muted" },
      t("floor.summary", { n: n.length, covers: n.reduce((x, s) => x + s.party, 0), time: `${f.as_of.slice(11, 19)}Z` }))),
      floorGrid,
      el("p", { className: "muted legend" }, el("span", { className: "seating held" }, t("state.held")), " ",
        el("span", { className: "seating booked" }, t("state.booked")), " ",
        el("span", { className: "seating seated" }, t("state.seated")), " ", el("span", { className: "seating finished" }, t("state.finished")), " ",
        el("span", { className: "seating no_show" }, t("state.no_show")),
        t("legend.hint")));
    drawActions();
    if (focusBar) { const b = floorBox.querySelector(`[data-hold="${CSS.escape(focusBar)}"]`); if (b) b.focus(); }
    const mv = actionBox.querySelector("#move-to");
    if (mv && moveTo && [...mv.options].some((o) => o.value === moveTo)) mv.value = moveTo;
    if (focusId) { const c = actionBox.querySelector("#" + CSS.escape(focusId)); if (c) c.focus(); }
  };

  const act = async (what, fn) => {
    status.textContent = t("act.pending", { what });
    const a = await fn();
    await load();
    status.textContent = a.ok ? t("act.done", { what }) : a.body && a.body.code === "TABLE_TAKEN"
      ? t("act.taken", { what, detail: a.body.detail || t("act.taken.detail") })
      : t("act.failed", { what, problem: problemText(a) });
    status.className = a.ok ? "ok" : "field-error";
    return a;
  };

  const drawActions = () => {
    const f = st.floor;
    const s = f && seatingsOf(f).find((x) => x.hold_id === st.selected);
    if (!s) { actionBox.replaceChildren(); return; }
    const state = stateOf(s);
    const targets = moveTargets(f, s);
    const to = el("select", { id: "move-to" }, targets.map((x) => el("option", { value: x.tables.join(",") }, `${x.id}${x.area ? " (" + x.area + ")" : ""}`)));
    const hold = encodeURIComponent(s.hold_id);
    if (st.form && st.form.hold !== s.hold_id) st.form = null;
    // The change and guest forms, opened from here and kept over redraws.
    const open = (kind) => {
      const done = (a) => {
        const it = ((a.body && a.body.items) || [])[0] || {};
        status.className = "ok";
        status.textContent = kind === "change" ? t("change.done", { qty: it.qty, date: it.date, slot: it.slot ? t("change.slot", { slot: it.slot }) : "" })
          : t("guest.saved", { hold: s.hold_id });
        load();
      };
      const node = kind === "change"
        ? changeForm({ prefix: "host", holdId: s.hold_id, resourceId: st.id, date: f.date, slot: s.from.slice(11, 16), qty: s.party,
          currency: st.currency, done, lang: lang() })
        : guestForm({ prefix: "host", holdId: s.hold_id, guest: s.guest, done, lang: lang() });
      st.form = { hold: s.hold_id, kind, node };
      drawActions();
      const first = node.querySelector("input");
      if (first) first.focus();
    };
    const g = s.guest || {};
    actionBox.replaceChildren(el("fieldset", {}, el("legend", {}, t("seating.legend", { hold: s.hold_id })),
      el("p", {}, t("seating.line", { party: s.party, who: g.name || s.caller, tables: s.tables.join("+"), from: hm(minutesOn(f.date, s.from)), to: hm(minutesOn(f.date, s.to)), status: stateText(s) })),
      g.notes || (g.tags || []).length || g.phone ? el("p", { className: "guest-notes", id: "seating-guest" },
        el("strong", {}, t("guest.label")), guestLine(g) || "", g.phone ? ` · ${g.phone}` : "") : "",
      el("div", { className: "row" },
        targets.length ? field(t("field.move.to"), to) : el("span", { className: "muted" }, t("no.target")),
        targets.length ? button(t("move"), () => act(t("move.what", { target: to.selectedOptions[0].textContent }),
          () => call("POST", `/v1/holds/${hold}/tables`, { body: { tables: to.value.split(","), resource_id: st.id } })), { id: "move-apply", className: "primary" }) : "",
        hostSteps(state).includes("seat") ? button(t("seat"), () => act(t("seat"),
          () => call("POST", `/v1/holds/${hold}/seat`, { body: { resource_id: st.id } })), { id: "seat-apply", className: "primary" }) : "",
        hostSteps(state).includes("finish") ? button(t("finish"), async () => {
          if (await confirmStep(t("finish.confirm", { hold: s.hold_id }), t("finish.yes"))) {
            await act(t("finish"), () => call("POST", `/v1/holds/${hold}/finish`, { body: { resource_id: st.id } }));
          }
        }, { id: "finish-apply" }) : "",
        hostSteps(state).includes("no-show") ? button(t("no.show"), async () => {
          if (await confirmStep(t("no.show.confirm", { hold: s.hold_id, party: s.party }), t("no.show.yes"))) {
            await act(t("no.show"), () => call("POST", `/v1/holds/${hold}/no-show`, { body: { resource_id: st.id } }));
          }
        }, { id: "no-show-apply" }) : "",
        hostSteps(state).includes("cancel") && role !== "buyer" ? button(t("cancel.booking"), async () => {
          if (await confirmStep(t("cancel.confirm", { hold: s.hold_id, party: s.party }), t("cancel.yes"))) {
            const a = await act(t("cancel"), () => call("POST", `/v1/holds/${hold}/cancel`, { body: { reason: "cancelled by the host" } }));
            if (a.ok) status.textContent = t("cancel.done", { refund: refundText(a.body) });
          }
        }, { id: "cancel-apply", className: "danger" }) : "",
        role === "ops" && (state === "held" || state === "pending") ? button(t("release"), async () => {
          if (await confirmStep(t("release.confirm", { hold: s.hold_id, party: s.party }), t("release.yes"))) {
            const a = await act(t("release"), () => call("POST", `/v1/holds/${hold}/release`));
            if (a.ok) { st.selected = null; drawActions(); }
          }
        }, { id: "release-apply", className: "danger" }) : "",
        state === "held" || state === "booked" ? button(t("change.open"), () => open("change"), { id: "change-open" }) : "",
        button(t("guest.edit"), () => open("guest"), { id: "guest-open" }),
        button(t("close"), () => {
          st.selected = null;
          st.form = null;
          draw();
          const b = floorBox.querySelector(`[data-hold="${CSS.escape(s.hold_id)}"]`);
          if (b) b.focus();
        }, { id: "seating-close" })),
      st.form ? st.form.node : "",
      role === "ops" ? "" : el("p", { className: "muted" }, t("release.note"))));
  };

  // Escape in a seating's actions closes them and returns to its bar.
  actionBox.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !document.querySelector("dialog[open]")) { const c = actionBox.querySelector("#seating-close"); if (c) c.click(); }
  });
  controls.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  resource.addEventListener("change", choose);
  date.addEventListener("change", load);
  area.addEventListener("change", load);

  (async () => {
    const a = await get("/v1/resources?limit=200");
    if (!a.ok) { status.textContent = problemText(a); return; }
    resource.append(...a.body.items.map((r) => el("option", { value: r.id }, `${r.id} — ${r.name}`)));
  })();
}

// A walk-in: a party seated now on the best free table (or the area's). One Idempotency-Key
// per intended walk-in: a retry of the same submission after a lost answer reuses it (the
// origin answers the first seating again); an answer, or another party, starts a new one.
function walkInForm(st, status, reload) {
  const party = el("input", { id: "walkin-party", type: "number", min: 1, value: 2, required: true });
  const area = el("select", { id: "walkin-area" }, el("option", { value: "" }, t("any.area")),
    ...[...new Set((st.slots.tables || []).map((t) => t.area).filter(Boolean))].map((a) => el("option", { value: a }, a)));
  let pending = null;
  const f = el("form", { className: "row", id: "walkin-form" }, field(t("field.party"), party), field(t("field.area.optional"), area),
    el("button", { type: "submit", id: "walkin-apply", className: "primary" }, t("walkin.seat")));
  let busy = false;
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    busy = true;
    const body = { party: Number(party.value) };
    if (area.value) body.area = area.value;
    const payload = st.id + JSON.stringify(body);
    if (!pending || pending.payload !== payload) pending = { payload, key: newKey("console-walkin") };
    const a = await call("POST", `/v1/resources/${encodeURIComponent(st.id)}/walk-ins`, { body, headers: { "idempotency-key": pending.key } });
    busy = false;
    if (a.status !== 0 && a.status < 500) pending = null;
    status.className = a.ok ? "ok" : "field-error";
    status.textContent = a.ok ? t("walkin.done", { party: body.party, tables: ((a.body.items || [])[0] || {}).tables?.join("+") || "?", id: a.body.id })
      : t("walkin.failed", { problem: problemText(a), retry: a.status === 0 || a.status >= 500 ? t("walkin.retry") : "" });
    reload();
  });
  return el("fieldset", {}, el("legend", {}, t("walkin.legend")), f);
}
