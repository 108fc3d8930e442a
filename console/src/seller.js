// The seller view: the seller's resources, a new one from a template, and for one resource
// the document editor with live validation and preview (aforo-core in wasm), save with
// If-Match (412 handled) and the overcommit warning (409, "save anyway"), pause/resume, stock,
// the bookings of a day and the live event stream; the seller's webhooks (webhooks.js).
import { $, el, field, button, table, confirmStep } from "./dom.js";
import { call, get, problemText, newKey } from "./api.js";
import { validate, previewCalendar, previewDay } from "./core.js";
import { editor } from "./editor.js";
import { TEMPLATES } from "./templates.js";
import { limitsSummary, warningItems } from "./explain.js";
import { heatmap, slotsList, monthRange } from "./heatmap.js";
import { bookingsPanel } from "./bookings.js";
import { subscribe } from "./live.js";
import { webhooksPanel } from "./webhooks.js";

let stopLive = null;

// The view is left: its event stream is closed (mount opens it again).
export function unmount() {
  if (stopLive) { stopLive(); stopLive = null; }
}

export function mount(root, role) {
  const list = el("div", { className: "list", id: "resource-list" });
  const detail = el("div", { id: "detail" }, el("p", { className: "muted" }, "Pick a resource, or start a new one from a template."));
  root.replaceChildren(root.firstElementChild, el("div", { className: "grid" },
    el("div", {}, el("h3", {}, "Resources"), list, newForm(detail, list, role), webhooksPanel()), detail));
  loadList(list, detail, role);
}

async function loadList(list, detail, role) {
  const a = await get("/v1/resources?limit=200");
  if (!a.ok) { list.replaceChildren(problemText(a)); return; }
  list.replaceChildren(...(a.body.items.length ? a.body.items.map((r) => button(
    `${r.id} — ${r.name} (${r.kind}${r.paused ? ", paused" : ""})`, () => open(r.id, detail, list, role), { dataset: { id: r.id } })) :
    [el("p", { className: "muted" }, "No resources yet.")]));
}

function newForm(detail, list, role) {
  const kind = el("select", { id: "template" }, ...Object.entries(TEMPLATES).map(([k, t]) => el("option", { value: k }, t.label)));
  const id = el("input", { id: "new-id", size: 16, required: true, pattern: "[A-Za-z0-9._-]{1,64}" });
  // The template's defaults, so the owner sees which limits will apply before starting.
  const defaults = el("p", { className: "muted", id: "template-defaults" });
  const showDefaults = () => { defaults.textContent = `Defaults: ${limitsSummary(TEMPLATES[kind.value].doc())}`; };
  kind.addEventListener("input", showDefaults);
  showDefaults();
  const f = el("form", {}, el("h3", {}, "New from a template"), field("Template", kind), defaults, field("Resource id", id),
    el("button", { type: "submit", id: "new-start" }, "Start"));
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    show({ id: id.value.trim(), doc: TEMPLATES[kind.value].doc(), etag: null, isNew: true }, detail, list, role);
  });
  return f;
}

async function open(id, detail, list, role) {
  const a = await get(`/v1/resources/${encodeURIComponent(id)}`);
  if (!a.ok) { detail.replaceChildren(problemText(a)); return; }
  show({ id, doc: a.body.document, etag: a.headers.get("etag"), info: a.body }, detail, list, role);
}

function show(res, detail, list, role) {
  if (stopLive) { stopLive(); stopLive = null; }
  const status = el("p", { id: "save-status", role: "status" });
  const warn = el("div", { id: "save-warning" });
  const preview = el("div", { id: "preview" });
  const month = el("input", { id: "preview-month", type: "month", value: new Date().toISOString().slice(0, 7) });
  const qty = el("input", { id: "preview-qty", type: "number", min: 1, value: 2 });
  const day = el("div", { id: "preview-day" });
  // Limits that can never bind (aforo-core's lint): said, never refused.
  const warnings = el("ul", { className: "warn", id: "doc-warnings", "aria-live": "polite" });
  const limits = el("p", { className: "muted", id: "doc-limits" });
  // What the heat-map shows: this document as edited (wasm, nothing booked), or what the
  // origin answers for the saved document with its bookings.
  const source = el("select", { id: "preview-source" }, el("option", { value: "preview" }, "this document, nothing booked (preview)"),
    el("option", { value: "origin", disabled: !!res.isNew }, "saved, with bookings (origin)"));
  let pickedDate = null;
  const party = () => Number(qty.value) || 1;
  const refreshPreview = async () => {
    const v = validate(res.doc);
    ed.setErrors(v.ok ? [] : v.errors);
    warnings.replaceChildren(...warningItems(v).map((w) => el("li", { dataset: { path: w.path } }, w.text)));
    limits.textContent = `Limits: ${limitsSummary(res.doc)}`;
    const [from, to] = monthRange(month.value || new Date().toISOString().slice(0, 7));
    let days;
    if (source.value === "origin") {
      const a = await get(`/v1/resources/${encodeURIComponent(res.id)}/calendar?from=${from}&to=${to}&qty=${party()}`);
      if (!a.ok) { preview.replaceChildren(problemText(a)); return; }
      days = a.body.days;
    } else {
      if (!v.ok) { preview.replaceChildren(el("p", { className: "field-error" }, "Fix the fields marked in red to see the preview.")); day.replaceChildren(); return; }
      const c = previewCalendar(res.doc, from, to, party());
      if (!c.ok) { preview.replaceChildren(c.errors.map((e) => e.message).join("; ")); return; }
      days = c.calendar.days;
    }
    preview.replaceChildren(heatmap(days, (d) => { pickedDate = d; showDay(); }));
    showDay();
  };
  const showDay = async () => {
    if (!pickedDate) { day.replaceChildren(el("p", { className: "muted" }, "Pick a day to see its slots.")); return; }
    let a;
    if (source.value === "origin") {
      const r = await get(`/v1/resources/${encodeURIComponent(res.id)}/availability?date=${pickedDate}&qty=${party()}`);
      a = r.ok ? { ok: true, availability: r.body } : { ok: false, errors: [{ message: problemText(r) }] };
    } else a = previewDay(res.doc, pickedDate, party());
    day.replaceChildren(el("h4", {}, `Slots on ${pickedDate} (${source.value === "origin" ? "with bookings" : "preview, nothing booked"})`),
      a.ok ? slotsList(a.availability) : a.errors[0].message);
  };
  const ed = editor(res.doc, () => { status.textContent = "Unsaved changes."; refreshPreview(); });
  month.addEventListener("input", refreshPreview);
  source.addEventListener("input", refreshPreview);
  qty.addEventListener("input", refreshPreview);

  const save = async (force) => {
    warn.replaceChildren();
    const v = validate(res.doc);
    if (!v.ok) { ed.setErrors(v.errors); status.textContent = "Not saved: fix the fields marked in red."; return; }
    const headers = res.etag ? { "if-match": res.etag } : {};
    const a = await call("PUT", `/v1/resources/${encodeURIComponent(res.id)}${force ? "?force=true" : ""}`, { body: res.doc, headers });
    if (a.ok) {
      res.etag = a.headers.get("etag") || (a.body && a.body.version ? `"${a.body.version}"` : null);
      res.isNew = false;
      status.textContent = `Saved (${a.status === 201 ? "created" : "replaced"}, version ${a.body.version}).`;
      if (a.body.overcommitted && a.body.overcommitted.length) warn.replaceChildren(el("p", { className: "warn" }, `${a.body.overcommitted.length} counter(s) left past their limit.`));
      loadList(list, detail, role);
      return;
    }
    const code = a.body && a.body.code;
    if (code === "INVALID_CONFIG") { ed.setErrors(a.body.errors || []); status.textContent = "The origin refused it: see the fields marked in red."; }
    else if (code === "VERSION_CONFLICT") {
      status.textContent = "Someone saved this resource after you opened it.";
      warn.replaceChildren(el("p", {}, problemText(a)),
        button("Load their version (drop mine)", () => open(res.id, detail, list, role), { id: "conflict-reload" }), " ",
        button("Overwrite with mine", async () => {
          const cur = await get(`/v1/resources/${encodeURIComponent(res.id)}`);
          if (cur.ok) { res.etag = cur.headers.get("etag"); save(false); }
        }, { id: "conflict-overwrite", className: "danger" }));
    } else if (code === "CAPACITY_BELOW_COMMITTED") {
      status.textContent = "These limits are below what is already booked.";
      warn.replaceChildren(el("p", { className: "warn" }, a.body.detail),
        table(["date", "slot", "committed", "new limit"], (a.body.overcommitted || []).map((o) => [o.date, o.slot || "", o.committed, o.limit])),
        button("Save anyway (keep the bookings)", () => save(true), { id: "save-anyway", className: "danger" }));
    } else status.textContent = problemText(a);
  };

  detail.replaceChildren(
    el("h3", { id: "detail-title" }, res.isNew ? `New: ${res.id}` : `${res.id}`,
      res.info ? el("span", { className: "muted" }, ` · ${res.info.kind} · version ${res.info.version}${res.info.pause ? " · paused" : ""}`) : ""),
    el("fieldset", {}, el("legend", {}, "Month (aforo-core in this browser, or the origin)"),
      limits, warnings,
      el("div", { className: "row" }, field("Show", source), field("Month", month), field("Party size", qty)),
      el("div", { className: "preview" }, preview, day)),
    el("p", {}, button("Save", () => save(false), { id: "save", className: "primary" })), status, warn,
    ed.element,
    el("p", {}, button("Save", () => save(false), { className: "primary" })),
    res.isNew ? "" : actions(res, () => { open(res.id, detail, list, role); loadList(list, detail, role); }),
    res.isNew ? "" : bookingsPanel(res.id, role),
    res.isNew ? "" : livePanel(res.id));
  refreshPreview();
}

function actions(res, reload) {
  const reason = el("input", { id: "pause-reason", size: 24 });
  const until = el("input", { id: "pause-until", type: "datetime-local" });
  const say = el("span", { role: "status", id: "action-status" });
  const paused = !!(res.info && res.info.pause);
  const pause = button(paused ? "Resume sales" : "Pause sales", async () => {
    const body = paused ? undefined : { reason: reason.value || undefined, until: until.value ? new Date(until.value).toISOString() : undefined };
    const a = await call("POST", `/v1/resources/${encodeURIComponent(res.id)}/${paused ? "resume" : "pause"}`, { body: body || {} });
    if (!a.ok) { say.textContent = problemText(a); return; }
    reload();
  }, { id: "pause-toggle" });
  const amount = el("input", { id: "stock-amount", type: "number", value: 0 });
  const how = el("select", { id: "stock-how" }, el("option", { value: "set" }, "set to"), el("option", { value: "delta" }, "adjust by"));
  const force = el("input", { id: "stock-force", type: "checkbox" });
  // One key per intended change: a retry after a lost answer (same payload) reuses it, so an
  // adjustment is never applied twice; a new payload, or an answer, starts a new one.
  let pending = null;
  const stock = button("Apply stock change", async () => {
    const body = { [how.value]: Number(amount.value) };
    if (force.checked) body.force = true;
    if (force.checked && !(await confirmStep("Set stock below what is held and sold?", "Yes, force"))) return;
    const payload = JSON.stringify(body);
    if (!pending || pending.payload !== payload) pending = { payload, key: newKey("console-stock") };
    const a = await call("POST", `/v1/resources/${encodeURIComponent(res.id)}/stock`, { body, headers: { "idempotency-key": pending.key } });
    if (a.status !== 0 && a.status < 500) pending = null;
    say.textContent = a.ok ? `Stock: ${JSON.stringify(a.body)}` : problemText(a);
  }, { id: "stock-apply" });
  const hasStock = !!(res.doc.dimensions && res.doc.dimensions.stock);
  return el("fieldset", {}, el("legend", {}, "Sales"),
    el("div", { className: "row" }, paused ? "" : field("Pause reason", reason), paused ? "" : field("Until (optional)", until), pause),
    hasStock ? el("div", { className: "row" }, field("Stock", how), field("Amount", amount), field("Force below committed", force), stock) : "",
    say);
}

function livePanel(id) {
  const log = el("ol", { id: "live-log", reversed: true });
  const state = el("span", { id: "live-state", role: "status" }, "connecting");
  stopLive = subscribe(id, (ev) => {
    log.prepend(el("li", {}, `${ev.id} ${ev.type}${ev.hold ? " " + ev.hold : ""} ${(ev.changes || []).map((c) => `${c.bucket} ${c.delta > 0 ? "+" : ""}${c.delta}`).join(", ")}`));
    while (log.children.length > 50) log.lastChild.remove();
  }, (s) => { state.textContent = s; });
  return el("fieldset", {}, el("legend", {}, "Live changes (Server-Sent Events)"), state, log);
}
