// The buyer page's script, served by the Worker at /page.js under a strict
// Content-Security-Policy (no inline script, Trusted Types required for HTML sinks).
// Every string that comes from a server (slot names, price tiers, problem details, hold ids)
// is written as text: elements are built with createElement and filled with text nodes,
// never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

// An element with attributes (set as properties) and children (strings become text nodes).
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  e.append(...children);
  return e;
}

let timer = null;

function money(p) {
  if (!p) return "";
  return (p.unit_minor / 100).toFixed(2) + " " + p.currency + (p.tier && p.tier !== "standard" ? " (" + p.tier + ")" : "");
}

function say(text) { $("message").textContent = text; }

async function search(ev) {
  if (ev) ev.preventDefault();
  const id = encodeURIComponent($("resource").value.trim());
  const q = new URLSearchParams({ date: $("date").value, qty: $("qty").value });
  say("Loading…");
  $("slots").replaceChildren();
  $("alternatives").replaceChildren();
  const r = await fetch(`/v1/resources/${id}/availability?${q}`);
  const a = await r.json();
  if (!r.ok) { say(a.detail || a.title); return; }
  renderSlots(a);
}

function renderSlots(a) {
  const slots = a.slots || [];
  const fits = (s) => s.status === "available" || s.status === "limited";
  if (a.stale) say("Showing data from " + a.as_of + " (the origin is not answering).");
  else if (!slots.length) say("Nothing on this date: " + a.status.replace("_", " ") + ".");
  else if (!slots.some(fits)) say("No time on " + a.date + " has room for " + a.qty + ".");
  else say(slots.length + (slots.length === 1 ? " time on " : " times on ") + a.date + " for " + a.qty + ".");
  for (const s of slots) {
    const label = s.reason === "no_table" ? "no table" : s.status.replace("_", " ");
    const b = el("button", { className: "slot " + s.status, disabled: !(s.status === "available" || s.status === "limited") },
      el("b", null, s.slot), el("span", { className: "status" }, label), el("br"),
      s.remaining + " left", el("br"), el("span", { className: "price" }, money(s.price)));
    b.dataset.slot = s.slot;
    b.addEventListener("click", () => hold(a, s));
    $("slots").append(b);
  }
  const noTable = slots.find((s) => s.reason === "no_table");
  if (noTable) {
    const next = slots.find((s) => s.start > noTable.start && fits(s));
    say(`no table for ${a.qty} at ${noTable.slot}` + (next ? `, try ${next.slot}` : "") + ".");
  }
  if (a.alternatives && a.alternatives.length && !slots.some(fits)) {
    say($("message").textContent + " Try " + a.alternatives.map(altName).join(", ") + ".");
    showAlternatives(a, a.alternatives);
  }
}

const altName = (x) => x.date + (x.slot ? " " + x.slot : "");

// The places where the party fits instead, as buttons (keyboard-usable: a button takes focus
// and Enter/Space); holding one asks for the same party at that date and slot.
function showAlternatives(a, alts) {
  const box = $("alternatives");
  const list = el("ul", { className: "alternatives" });
  for (const x of alts) {
    const b = el("button", { type: "button", className: "alternative" }, "Hold " + altName(x),
      el("span", { className: "muted" }, " (" + x.remaining + " left)"));
    b.dataset.date = x.date;
    if (x.slot) b.dataset.slot = x.slot;
    b.addEventListener("click", () => hold({ resource_id: a.resource_id, date: x.date, qty: a.qty }, { slot: x.slot }));
    list.append(el("li", null, b));
  }
  box.replaceChildren(el("p", { id: "alternatives-title" }, "Where your party of " + a.qty + " fits instead:"), list);
  list.setAttribute("aria-labelledby", "alternatives-title");
}

// A refusal said plainly: maintenance (read-only) and an unreachable service are not the
// buyer's doing, and nothing was held or charged.
function refusal(r, h, a, s) {
  const wait = Number(r.headers.get("retry-after"));
  const again = wait > 0 && wait <= 600 ? `Try again in ${wait} seconds.` : "Try again shortly.";
  if (h.code === "READ_ONLY") return `Bookings are paused for maintenance; nothing was charged or held. ${again}`;
  if (r.status === 503) return `We could not reach the booking service (${h.title || "unavailable"}); nothing was charged or held. ${again}`;
  if (h.code === "SOLD_OUT" && h.detail && h.detail.includes("no_table")) return `no table for ${a.qty} at ${s.slot}`;
  return h.detail || h.title || "The hold was refused.";
}

async function hold(a, s) {
  const body = { resource_id: a.resource_id, date: a.date, slot: s.slot, qty: a.qty };
  const key = "page-" + (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random());
  const r = await fetch("/v1/holds", {
    method: "POST",
    headers: { "content-type": "application/json", "authorization": "Bearer " + $("token").value.trim(), "idempotency-key": key },
    body: JSON.stringify(body),
  });
  const h = await r.json().catch(() => ({}));
  if (!r.ok) {
    const alt = (h.alternatives || []).map((x) => x.slot || x.date);
    say(refusal(r, h, a, s) + (alt.length ? ", try " + alt.slice(0, 3).join(", ") : ""));
    if (alt.length) showAlternatives(a, h.alternatives);
    return;
  }
  showHold(h);
  search();
}

function showHold(h) {
  const box = $("hold");
  box.hidden = false;
  const it = h.items[0];
  const until = Date.parse(h.expires_at);
  clearInterval(timer);
  const tick = () => {
    const left = Math.max(0, Math.round((until - Date.now()) / 1000));
    const mm = String(Math.floor(left / 60)).padStart(2, "0"), ss = String(left % 60).padStart(2, "0");
    box.replaceChildren(
      el("strong", { id: "hold-status" }, h.status === "held" && left > 0 ? "Held" : "Expired"),
      `: ${it.qty} at ${it.slot || ""} on ${it.date || ""} `, el("span", { className: "price" }, money(it.price)),
      ...(it.tables && it.tables.length ? [" ", el("span", { id: "hold-tables" }, (it.tables.length > 1 ? "tables " : "table ") + it.tables.join("+"))] : []),
      el("br"),
      el("span", { id: "countdown" }, `${mm}:${ss}`), " left to pay ", el("span", { className: "muted" }, `(${h.id})`));
    if (left === 0) clearInterval(timer);
  };
  tick();
  timer = setInterval(tick, 1000);
}

$("date").value = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
$("search").addEventListener("submit", search);
