// The buyer page's script, an ES module served by the Worker at /page.js under a strict
// Content-Security-Policy (no inline script, Trusted Types required for HTML sinks). Every
// string from a server (names, price tiers, problem details) is written as text: elements are
// built with createElement and text nodes, never parsed as HTML. Words come from
// page-i18n.mjs, decisions from page-logic.mjs (both unit-tested under node --test).
import { t, pickLang } from "/page-i18n.mjs";
import * as L from "/page-logic.mjs";

const $ = (id) => document.getElementById(id);
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

const params = new URLSearchParams(location.search);
// A buyer token handed over in the fragment (the marketplace's, or a test's) is kept for the
// tab and taken out of the address; the text area (a local demo pre-fills it) wins.
const handed = L.tokenOf(location.hash);
if (handed.token) {
  sessionStorage.setItem("aforo-token", handed.token);
  history.replaceState(null, "", location.pathname + location.search + handed.hash);
}
if (!$("token").value.trim() && sessionStorage.getItem("aforo-token")) $("token").value = sessionStorage.getItem("aforo-token");
const explicit = params.get("lang") || sessionStorage.getItem("aforo-lang");
const S = {
  // An explicit choice (?lang= or the switch), else the Worker's pick from Accept-Language.
  lang: pickLang(explicit, document.documentElement.lang),
  resource: params.get("resource"), about: null, party: Number(params.get("party")) || null, date: params.get("date"),
  avail: null, days: [], chosen: null, hold: null, change: null, keys: new Map(), timer: null, busy: false,
};
const tr = (key, vars) => t(S.lang, key, vars);
const fresh = () => (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(36).slice(2));
const say = (text) => { $("message").textContent = text; };
const partyText = (n) => tr(S.about && S.about.kind === "STOCK" ? (n === 1 ? "units_one" : "units_many") : (n === 1 ? "party_one" : "party_many"), { n });
const dateText = (d, long) => L.formatDate(S.lang, d, long);
const slotText = (s) => L.formatSlot(S.lang, s);
const money = (minor, cur) => L.formatMoney(S.lang, minor, cur);

function applyLang() {
  document.documentElement.lang = S.lang;
  for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = tr(e.dataset.i18n);
  $("lang-switch").value = S.lang;
  if (S.about) {
    document.title = S.about.name + " — " + tr(S.about.kind === "STOCK" ? "title_stock" : "title");
    $("party-label").textContent = tr(S.about.kind === "STOCK" ? "quantity" : "party");
  }
}

async function api(method, path, body, key) {
  const headers = { authorization: "Bearer " + $("token").value.trim() };
  if (body) headers["content-type"] = "application/json";
  if (key) headers["idempotency-key"] = key;
  try {
    const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: await r.json().catch(() => ({})), retry: Number(r.headers.get("retry-after")) };
  } catch (e) {
    return { status: 0, body: { detail: String(e) }, retry: 0 };
  }
}

function refusalText(r) {
  const k = L.refusalKey(r.status, r.body.code);
  const again = r.retry > 0 && r.retry <= 600 ? tr("retry_in", { s: r.retry }) : tr("retry_soon");
  if (k === "read_only" || k === "unreachable") return tr(k) + " " + again;
  return k === "error" ? tr("error", { detail: r.body.detail || r.body.title || r.status }) : tr(k);
}

// ---- choosing ---------------------------------------------------------------------------
async function loadPlace() {
  if (!S.resource) { say(tr("no_place")); $("booking").hidden = true; return; }
  say(tr("loading"));
  const r = await fetch(`/v1/resources/${encodeURIComponent(S.resource)}/about`);
  if (!r.ok) { say(tr("not_found")); return; }
  S.about = await r.json();
  $("place").textContent = S.about.name;
  applyLang();
  $("day-picker").hidden = S.about.kind === "STOCK";
  const booking = L.bookingOf(location.hash);
  if (booking) await openBooking(booking);
  else await refresh();
}

async function refresh() {
  if (S.about.kind !== "STOCK") await loadDays();
  await loadAvailability();
}

async function loadDays() {
  const { from, to } = L.dayWindow(L.todayIn(S.about.timezone, new Date()), S.date, S.about.horizon_days);
  const q = new URLSearchParams({ from, to, qty: String(S.party || S.about.qty.min || 1) });
  const r = await fetch(`/v1/resources/${encodeURIComponent(S.resource)}/calendar?${q}`);
  const c = await r.json();
  if (!r.ok) { say(c.detail || c.title); return; }
  S.days = c.days;
  fillParty(L.partyChoices(S.about.qty, c.days));
  if (!S.date || !c.days.some((d) => d.date === S.date)) S.date = (c.days.find((d) => L.dayState(d) === "room") || c.days[0]).date;
  const box = $("days");
  box.replaceChildren(...c.days.map((d) => {
    const state = L.dayState(d);
    const b = el("button", { type: "button", className: "day " + state }, dateText(d.date), el("small", null, tr("day_" + state)));
    b.dataset.date = d.date;
    b.setAttribute("aria-pressed", String(d.date === S.date));
    b.addEventListener("click", () => { S.date = d.date; for (const x of box.children) x.setAttribute("aria-pressed", String(x === b)); loadAvailability(); });
    return b;
  }));
}

function fillParty(choices) {
  const sel = $("party");
  if (!S.party || !choices.includes(S.party)) S.party = choices.includes(2) ? 2 : choices[0];
  sel.replaceChildren(...choices.map((n) => el("option", { value: String(n), selected: n === S.party }, partyText(n))));
}

async function loadAvailability() {
  const q = new URLSearchParams({ qty: String(S.party || 1) });
  if (S.about.kind !== "STOCK") q.set("date", S.date);
  $("alternatives").replaceChildren();
  hideDetails();
  const r = await fetch(`/v1/resources/${encodeURIComponent(S.resource)}/availability?${q}`);
  const a = await r.json();
  if (!r.ok) { say(a.detail || a.title); $("slots").replaceChildren(); return; }
  if (S.about.kind === "STOCK" && !S.days.length) fillParty(L.partyChoices(S.about.qty, [a]));
  S.avail = a;
  renderAvailability();
}

function renderAvailability() {
  const a = S.avail;
  const slots = a.slots || [];
  const box = $("slots");
  box.replaceChildren();
  if (a.stale) say(tr("stale", { time: L.formatTime(S.lang, a.as_of, S.about.timezone) }));
  else if (S.about.kind === "STOCK") say(L.fits(a) ? tr("stock_left", { n: a.remaining }) : tr("stock_out"));
  else if (!slots.length) say(L.fits(a) ? tr("left", { n: a.remaining }) : tr("nothing_on_day", { date: dateText(a.date, true) }));
  else if (!slots.some(L.fits)) say(tr("no_times", { date: dateText(a.date, true), n: a.qty }));
  else say(tr("times_on", { count: slots.filter(L.fits).length, date: dateText(a.date, true), n: a.qty }));
  for (const g of L.groupSlots(slots)) {
    const grid = el("div", { className: "slots" });
    for (const s of g.slots) {
      const label = s.reason === "no_table" || (s.limited_by && s.limited_by.rule === "tables" && !L.fits(s))
        ? tr("no_table", { n: a.qty }) : tr("status_" + s.status);
      const b = el("button", { type: "button", className: "slot " + s.status, disabled: !L.fits(s) },
        el("b", null, slotText(s.slot)), el("span", { className: "status" }, label),
        L.fits(s) ? el("span", { className: "status" }, tr("left", { n: s.remaining })) : null,
        s.price ? el("span", { className: "price" }, money(s.price.unit_minor, s.price.currency) +
          (s.price.tier && s.price.tier !== "standard" ? " (" + s.price.tier + ")" : "")) : null);
      b.dataset.slot = s.slot;
      b.addEventListener("click", () => choose({ resource_id: S.resource, date: a.date, slot: s.slot, qty: a.qty }, s.price));
      grid.append(b);
    }
    box.append(el("h2", { className: "meal" }, tr(g.meal)), grid);
  }
  if (a.alternatives && a.alternatives.length && !(slots.length ? slots.some(L.fits) : L.fits(a))) showAlternatives(a.qty, a.alternatives);
  // A stock item or a day without slots: the details come straight away (a change asks first).
  if (L.fits(a) && !slots.length) {
    const item = { resource_id: S.resource, date: a.date, qty: a.qty };
    if (!S.change) { choose(item, a.price, true); return; }
    const b = el("button", { type: "button", id: "change-to", className: "primary" }, tr("change_to"));
    b.addEventListener("click", () => choose(item, a.price));
    box.append(b);
  }
}

function showAlternatives(qty, alts) {
  const list = el("ul", { className: "alternatives" });
  for (const x of alts) {
    const b = el("button", { type: "button", className: "alternative" },
      tr("alt_button", { date: dateText(x.date), time: x.slot ? slotText(x.slot) : "" }).trim(),
      el("span", { className: "muted" }, " · " + tr("left", { n: x.remaining })));
    b.dataset.date = x.date;
    if (x.slot) b.dataset.slot = x.slot;
    b.addEventListener("click", () => choose({ resource_id: S.resource, date: x.date, slot: x.slot, qty }, null));
    list.append(el("li", null, b));
  }
  $("alternatives").replaceChildren(el("p", { id: "alternatives-title" }, tr("fits_instead", { n: qty })), list);
  list.setAttribute("aria-labelledby", "alternatives-title");
}

function choose(item, price, quiet) {
  for (const b of document.querySelectorAll(".slot")) b.setAttribute("aria-pressed", String(b.dataset.slot === item.slot));
  S.chosen = item;
  if (S.change) { changeTo(item); return; }
  const line = item.slot ? tr("chosen", { time: slotText(item.slot), date: dateText(item.date, true), party: partyText(item.qty) })
                         : partyText(item.qty) + (item.date ? ", " + dateText(item.date, true) : "");
  $("chosen").textContent = line + (price ? " · " + money(price.unit_minor, price.currency) : "");
  $("hold-button").textContent = tr(S.about.kind === "STOCK" ? "hold_stock" : "hold_button");
  $("details").hidden = false;
  $("form-error").textContent = "";
  if (!quiet) { $("details").scrollIntoView({ block: "start" }); $("g-name").focus({ preventScroll: true }); }
}

function hideDetails() { $("details").hidden = true; S.chosen = null; }

// ---- holding ----------------------------------------------------------------------------
async function submitHold(ev) {
  ev.preventDefault();
  if (S.busy || !S.chosen) return;
  const g = { name: $("g-name").value, phone: $("g-phone").value, email: $("g-email").value, notes: $("g-notes").value };
  const missing = L.missingDetail(g);
  if (missing) { $("form-error").textContent = tr(missing); $(missing === "need_name" ? "g-name" : "g-phone").focus(); return; }
  const intent = L.intentOf(S.chosen);
  // The hold of this choice is already made: show it again, ask for nothing.
  if (S.hold && S.hold.intent === intent && S.hold.status === "held") { showHold(S.hold, true); return; }
  S.busy = true;
  $("hold-button").disabled = true;
  $("hold-button").textContent = tr("holding");
  const chosen = S.chosen;
  const r = await api("POST", "/v1/holds", L.holdBody(chosen, L.guestOf(g)), L.keyFor(S.keys, intent, fresh));
  S.busy = false;
  $("hold-button").disabled = false;
  $("hold-button").textContent = tr(S.about.kind === "STOCK" ? "hold_stock" : "hold_button");
  if (r.status === 200 || r.status === 201) {
    S.hold = { ...r.body, intent };
    sessionStorage.setItem("aforo-booking-" + S.resource, r.body.id);
    hideDetails();
    showHold(S.hold, true);
    return;
  }
  if (L.forgetsKey(r.status)) S.keys.delete(intent);
  await refused(r, chosen);
}

// A refusal: said, the refused time shown full, availability read again, and where the party
// fits instead offered.
async function refused(r, chosen) {
  const text = refusalText(r);
  if (r.status === 409) {
    if (S.about.kind !== "STOCK") await loadDays();
    await loadAvailability();
    // The snapshot read may predate the refusal: the refused time stays shown full.
    if (S.avail && chosen.slot && S.avail.date === chosen.date) { S.avail = L.markRefused(S.avail, chosen.slot); renderAvailability(); }
  }
  say(text);
  if (r.body.alternatives && r.body.alternatives.length) showAlternatives(chosen.qty, r.body.alternatives);
  $("message").scrollIntoView({ block: "start" });
}

function holdLine(h) {
  const it = h.items[0];
  return it.slot ? tr("held_line", { party: partyText(it.qty), date: dateText(it.date, true), time: slotText(it.slot) })
                 : tr("held_stock", { party: partyText(it.qty) }) + (it.date ? ", " + dateText(it.date, true) : "");
}

function priceLines(h) {
  const total = L.holdTotal(h);
  if (!total) return [el("p", null, tr("free"))];
  const it = h.items[0];
  const each = S.about.kind === "STOCK" ? "price_unit" : "price_each";
  return [el("p", null, tr(each, { price: money(it.price.unit_minor, it.price.currency) }) +
    (it.price.tier && it.price.tier !== "standard" ? " (" + it.price.tier + ")" : "") + " · " + tr("total", { price: money(total.minor, total.currency) }))];
}

function tablesLine(h) {
  const it = h.items[0];
  return it.tables && it.tables.length ? el("p", { id: "hold-tables" }, tr("table", { t: it.tables.join("+") })) : null;
}

function panel(cls, title, ...children) {
  const box = $("hold");
  clearInterval(S.timer);
  box.hidden = false;
  box.className = cls;
  box.setAttribute("aria-labelledby", "hold-status");
  box.replaceChildren(el("h2", { id: "hold-status" }, title), ...children);
  return box;
}

function focusPanel() { const b = $("hold"); b.scrollIntoView({ block: "start" }); b.focus({ preventScroll: true }); }

function showHold(h, focus) {
  if (h.status !== "held") { showBooking(h, focus); return; }
  const until = Date.parse(h.expires_at);
  const count = el("span", { id: "countdown" });
  const live = el("p", { id: "countdown-live", className: "sr-only" });
  const act = el("button", { type: "button", id: "confirm", className: "primary" });
  const free = L.isFree(h);
  const total = L.holdTotal(h);
  act.textContent = free ? tr("confirm") : tr("pay", { price: money(total.minor, total.currency) });
  act.addEventListener("click", () => (free ? confirmHold(h) : pay(h)));
  const cancel = el("button", { type: "button", id: "cancel", className: "secondary" }, tr("cancel"));
  cancel.addEventListener("click", () => askCancel(h));
  const timeLine = el("p", { id: "countdown-line" });
  panel("held", tr("held_title"), el("p", { id: "hold-line" }, holdLine(h)), tablesLine(h), ...priceLines(h), timeLine, live, act, cancel);
  let heard = false;
  const tick = () => {
    const c = L.countdown((until - Date.now()) / 1000);
    count.textContent = c.text;
    const [before, after] = tr("countdown", { time: "\u0000" }).split("\u0000");
    if (!timeLine.firstChild) timeLine.append(before, count, after);
    // Silent to screen readers until the last minute; then said once, and its end.
    if (c.live && !live.hasAttribute("aria-live")) live.setAttribute("aria-live", "assertive");
    if (c.live && !heard && !c.expired) { heard = true; setTimeout(() => { live.textContent = tr("last_minute"); }, 50); }
    if (c.expired) { clearInterval(S.timer); expired(h); }
  };
  tick();
  if (!$("hold").classList.contains("expired")) S.timer = setInterval(tick, 1000);
  if (focus) focusPanel();
}

function expired(h) {
  S.keys.delete(h.intent);
  S.hold = null;
  const again = el("button", { type: "button", id: "choose-again", className: "primary" }, tr("choose_again"));
  again.addEventListener("click", async () => {
    $("hold").hidden = true;
    history.replaceState(null, "", location.pathname + location.search);
    await refresh();
    const first = document.querySelector(".slot:not([disabled])") || $("party");
    first.focus();
  });
  panel("expired", tr("expired_title"), el("p", null, tr("expired_text")), again);
  focusPanel();
}

async function confirmHold(h) {
  const b = $("confirm");
  b.disabled = true;
  b.textContent = tr("confirming");
  const r = await api("POST", `/v1/holds/${encodeURIComponent(h.id)}/consume`);
  if (r.status === 200 || r.status === 201) { showBooking({ ...r.body, intent: h.intent }, true); return; }
  if (r.body.code === "HOLD_EXPIRED" || r.status === 410) { expired(h); return; }
  b.disabled = false;
  b.textContent = tr("confirm");
  say(refusalText(r));
}

function pay(h) {
  const checkout = document.querySelector('meta[name="aforo-checkout"]').content;
  if (!checkout) { say(tr("no_checkout")); return; }
  location.assign(L.checkoutUrl(checkout, h.id, L.manageUrl(location.href, S.resource, S.lang, h.id)));
}

function policyLine() {
  const c = S.about.cancellation;
  return el("p", { className: "muted" }, c ? tr("policy", { h: c.free_until_h, fee: c.fee_percent }) : tr("policy_free"));
}

// A booking as "manage my booking" shows it: its status, and what can still be done.
function showBooking(h, focus) {
  S.hold = h;
  if (h.status === "held") { showHold(h, focus); return; }
  if (h.status === "expired" || h.status === "released") { expired(h); return; }
  const kids = [el("p", { id: "hold-line" }, holdLine(h)), tablesLine(h), ...priceLines(h),
    el("p", { id: "booking-status" }, tr("status_is", { status: tr("status_" + h.status) }))];
  let title = tr("manage_title");
  if (h.status === "consumed") {
    title = tr("confirmed_title");
    kids.unshift(el("p", null, tr("confirmed_text")));
    const link = el("a", { id: "manage-link", href: L.manageUrl(location.href, S.resource, S.lang, h.id) }, tr("manage_link"));
    const change = el("button", { type: "button", id: "change", className: "secondary" }, tr("change"));
    change.addEventListener("click", () => startChange(h));
    const cancel = el("button", { type: "button", id: "cancel", className: "secondary" }, tr("cancel"));
    cancel.addEventListener("click", () => askCancel(h));
    kids.push(el("p", null, link), policyLine(), change, cancel);
  }
  if (h.status === "cancelled") {
    title = tr("cancelled_title");
    if (h.refund) {
      const cur = (h.items.find((i) => i.price) || { price: { currency: S.about.currency || "EUR" } }).price.currency;
      kids.push(el("p", { id: "refund" }, h.refund.fee_minor > 0 ? tr("refund_fee", { percent: h.refund.percent, fee: money(h.refund.fee_minor, cur) })
                                                                  : tr("refund_full", { percent: h.refund.percent })));
    }
    const again = el("button", { type: "button", id: "book-again", className: "primary" }, tr("book_again"));
    again.addEventListener("click", async () => { $("hold").hidden = true; history.replaceState(null, "", location.pathname + location.search); await refresh(); $("party").focus(); });
    kids.push(again);
  }
  panel(h.status, title, ...kids);
  if (focus) focusPanel();
}

function askCancel(h) {
  const sure = el("button", { type: "button", id: "cancel-sure", className: "primary" }, tr("cancel_sure"));
  const keep = el("button", { type: "button", id: "keep", className: "secondary" }, tr("keep"));
  const box = el("div", { role: "group" }, el("p", { id: "cancel-ask" }, tr("cancel_ask")), policyLine(), sure, keep);
  box.setAttribute("aria-labelledby", "cancel-ask");
  $("hold").append(box);
  keep.addEventListener("click", () => { box.remove(); $("cancel").focus(); });
  sure.addEventListener("click", async () => {
    sure.disabled = true;
    const r = await api("POST", `/v1/holds/${encodeURIComponent(h.id)}/cancel`, { reason: "guest cancelled on the booking page" });
    if (r.status === 200) { S.keys.delete(h.intent); showBooking(r.body, true); await refresh(); return; }
    sure.disabled = false;
    box.append(el("p", { role: "alert" }, refusalText(r)));
  });
  sure.focus();
}

// ---- changing ---------------------------------------------------------------------------
async function startChange(h) {
  S.change = h;
  S.party = h.items[0].qty;
  if (h.items[0].date) S.date = h.items[0].date;
  await refresh();
  $("change-title").hidden = false;
  $("booking").scrollIntoView({ block: "start" });
  $("change-title").setAttribute("tabindex", "-1");
  $("change-title").focus({ preventScroll: true });
}

async function changeTo(item) {
  if (S.busy) return;
  S.busy = true;
  say(tr("changing"));
  const h = S.change;
  const intent = "change|" + h.id + "|" + L.intentOf(item);
  const r = await api("POST", `/v1/holds/${encodeURIComponent(h.id)}/change`, L.holdBody(item, null), L.keyFor(S.keys, intent, fresh));
  S.busy = false;
  if (r.status === 200 || r.status === 201) {
    S.change = null;
    $("change-title").hidden = true;
    await refresh();
    showBooking({ ...r.body, intent: L.intentOf(item) }, true);
    say(tr("changed", { line: holdLine(r.body) }));
    return;
  }
  if (L.forgetsKey(r.status)) S.keys.delete(intent);
  await refused(r, item);
}

async function openBooking(id) {
  const r = await api("GET", `/v1/holds/${encodeURIComponent(id)}`);
  if (r.status !== 200) { say(refusalText(r)); await refresh(); return; }
  const it = r.body.items[0];
  if (it.date) S.date = it.date;
  S.party = it.qty;
  await refresh();
  showBooking({ ...r.body, intent: L.intentOf(it) }, true);
}

// ---- wiring -----------------------------------------------------------------------------
$("details").addEventListener("submit", submitHold);
$("party").addEventListener("change", async () => { S.party = Number($("party").value); await refresh(); });
$("lang-switch").addEventListener("change", () => {
  S.lang = $("lang-switch").value;
  sessionStorage.setItem("aforo-lang", S.lang);
  const u = new URL(location.href);
  u.searchParams.set("lang", S.lang);
  history.replaceState(null, "", u);
  applyLang();
  if (S.about) { fillParty(L.partyChoices(S.about.qty, S.days)); if (S.avail) renderAvailability(); if (S.hold) showBooking(S.hold, false); }
});
applyLang();
loadPlace();
