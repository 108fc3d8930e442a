// The on-call view: SLO health, alerts with their runbook, signals, the breaker and the
// read-only switch (with a confirmation step), the drift check, and audit search.
import { $, el, field, button, confirmStep, table } from "./dom.js";
import { call, get, problemText } from "./api.js";
import { runbookLink } from "./runbook.js";

const cls = (s) => el("span", { className: "status " + s }, s);
const badge = (text, state) => el("span", { className: "status " + state }, text);
const num = (v, d = 3) => (v === null || v === undefined ? "—" : Number(v).toFixed(d).replace(/\.?0+$/, ""));

export function mount(root) {
  const out = {
    health: el("div", { id: "oncall-health" }),
    mode: el("div", { id: "oncall-mode" }),
    alerts: el("div", { id: "oncall-alerts" }),
    signals: el("div", { id: "oncall-signals" }),
    check: el("div", { id: "oncall-check" }),
    audit: el("div", { id: "oncall-audit" }),
  };
  root.replaceChildren(root.firstElementChild,
    el("p", {}, button("Refresh", () => refresh(out), { id: "oncall-refresh" })),
    el("fieldset", {}, el("legend", {}, "Store: breaker and read-only switch"), out.mode),
    el("fieldset", {}, el("legend", {}, "SLO health"), out.health),
    el("fieldset", {}, el("legend", {}, "Alerts"), out.alerts),
    el("fieldset", {}, el("legend", {}, "Signals"), signalsForm(out.signals), out.signals),
    el("fieldset", {}, el("legend", {}, "Drift check"), checkForm(out.check), out.check),
    el("fieldset", {}, el("legend", {}, "Audit search"), auditForm(out.audit), out.audit));
  refresh(out);
}

async function refresh(out) {
  await Promise.all([health(out), alerts(out.alerts), signals(out.signals, "")]);
}

async function health(out) {
  const [h, m] = await Promise.all([get("/v1/monitoring/health"), get("/v1/monitoring/mode")]);
  if (!h.ok) { out.health.replaceChildren(problemText(h)); return; }
  const b = h.body;
  out.health.replaceChildren(
    el("p", {}, "Overall: ", cls(b.status), ` · ${b.alerts_firing} alert(s) firing · generated ${b.generated_at}`),
    table(["route", "class", "status", "p95 ms (5m)", "errors (5m)", "availability (60m)"],
      b.routes.map((r) => [r.method + " " + r.route, r.class, cls(r.status), num(r.windows["5m"].p95_ms, 1),
        num(r.windows["5m"].error_rate), num(r.windows["60m"].availability, 4)])));
  modeView(out, b.store, m.ok ? m.body : { read_only: b.store.read_only });
}

function modeView(out, store, mode) {
  const ro = !!mode.read_only;
  const reason = el("input", { id: "mode-reason", size: 30, value: "" });
  const toggle = button(ro ? "Switch writes back on" : "Switch to read-only", async () => {
    const ok = await confirmStep(
      ro ? "Let every origin on this Redis take writes again?" : "Refuse every write (503 READ_ONLY) on every origin of this Redis? Reads go on.",
      ro ? "Yes, writes on" : "Yes, read-only");
    if (!ok) return;
    const a = await call("PUT", "/v1/monitoring/mode", { body: { read_only: !ro, reason: reason.value || undefined } });
    if (!a.ok) { say.textContent = problemText(a); return; }
    await health(out);
  }, { id: "mode-toggle", className: ro ? "primary" : "danger" });
  const say = el("span", { role: "status" });
  out.mode.replaceChildren(
    el("p", { id: "breaker-state" }, "Breaker: ", badge(store.breaker, store.breaker === "closed" ? "ok" : "bad"),
      ` · sweeper lag ${num(store.sweeper_lag_s, 1)} s · oversold buckets ${store.oversold_buckets} · drift buckets ${store.drift_buckets}`),
    el("p", { id: "mode-state" }, "Writes: ", ro ? badge("READ-ONLY", "bad") : badge("on", "ok"),
      mode.reason ? ` (${mode.reason}${mode.by ? ", by " + mode.by : ""}${mode.since ? ", since " + mode.since : ""})` : ""),
    el("div", { className: "row" }, field("Reason (audited)", reason), toggle, say));
}

async function alerts(box) {
  const a = await get("/v1/monitoring/alerts");
  if (!a.ok) { box.replaceChildren(problemText(a)); return; }
  box.replaceChildren(el("p", { className: "muted" }, `Last evaluation: ${a.body.evaluated_at || "never"} · ${a.body.active.length} active`),
    table(["alert", "severity", "state", "value", "since", "summary", "runbook"],
      a.body.rules.map((r) => [r.alert, r.severity, cls(r.state), num(r.value), r.since || "—", r.summary, runbookLink(r.runbook)])));
}

function signalsForm(box) {
  const level = el("select", { id: "signals-level" }, el("option", { value: "" }, "any"), el("option", { value: "warn" }, "warn"),
    el("option", { value: "error" }, "error"));
  const f = el("form", { className: "row" }, field("Level", level), el("button", { type: "submit" }, "Show signals"));
  f.addEventListener("submit", (e) => { e.preventDefault(); signals(box, level.value); });
  return f;
}

async function signals(box, level) {
  const q = new URLSearchParams({ limit: "50" });
  if (level) q.set("level", level);
  const a = await get("/v1/monitoring/signals?" + q);
  if (!a.ok) { box.replaceChildren(problemText(a)); return; }
  box.replaceChildren(a.body.signals.length === 0 ? el("p", { className: "muted" }, "No warnings or errors.") :
    table(["at", "level", "service", "message", "fields"],
      a.body.signals.map((s) => [s.at, cls(s.level), s.service, s.message, JSON.stringify(s.fields)])));
}

function checkForm(box) {
  const id = el("input", { id: "check-resource", size: 20, placeholder: "all resources" });
  const repair = el("input", { type: "checkbox", id: "check-repair" });
  const f = el("form", { className: "row" }, field("Resource id (optional)", id), field("Repair drift", repair),
    el("button", { type: "submit", id: "check-run" }, "Run drift check"));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (repair.checked && !(await confirmStep("Rewrite drifted counters from the hold records?", "Yes, repair"))) return;
    const body = { repair: repair.checked };
    if (id.value.trim()) body.resource_id = id.value.trim();
    box.replaceChildren("Checking…");
    const a = await call("POST", "/v1/monitoring/check", { body });
    if (!a.ok) { box.replaceChildren(problemText(a)); return; }
    const r = a.body;
    box.replaceChildren(el("p", { id: "check-summary" },
      `Checked ${r.checked} resource(s): ${r.drift_buckets} drifted bucket(s), ${r.oversold_buckets} oversold${r.repair ? ", repair on" : ""}.`),
      r.findings.length ? table(["resource", "repaired", "drift", "oversold"], r.findings.map((f) => [f.resource_id, String(f.repaired),
        (f.drift || []).map((d) => `${d.bucket}: ${d.counter}→${d.expected}`).join(", "),
        (f.oversold || []).map((o) => `${o.bucket}: ${o.committed}/${o.limit}`).join(", ")])) : "");
  });
  return f;
}

function auditForm(box) {
  const type = el("input", { id: "audit-type", size: 18, placeholder: "e.g. mode.changed" });
  const rid = el("input", { id: "audit-resource", size: 16 });
  const since = el("input", { id: "audit-since", type: "datetime-local" });
  const limit = el("input", { id: "audit-limit", type: "number", min: 1, max: 1000, value: 50 });
  const f = el("form", { className: "row" }, field("Type", type), field("Resource id", rid), field("Since (local time)", since),
    field("Limit", limit), el("button", { type: "submit" }, "Search audit"));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ limit: limit.value || "50" });
    if (type.value.trim()) q.set("type", type.value.trim());
    if (rid.value.trim()) q.set("resource_id", rid.value.trim());
    if (since.value) q.set("since", new Date(since.value).toISOString());
    const a = await get("/v1/audit/events?" + q);
    if (!a.ok) { box.replaceChildren(problemText(a)); return; }
    const events = a.body.events || a.body.items || [];
    box.replaceChildren(events.length === 0 ? el("p", { className: "muted" }, "No events.") :
      table(["at", "type", "actor", "role", "resource", "hold", "detail"], events.map((v) => [v.at, v.type,
        v.actor, v.role, v.resource_id, v.hold_id, JSON.stringify(v.detail ?? "")])));
  });
  return f;
}
