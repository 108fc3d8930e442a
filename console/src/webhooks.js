// The seller's webhooks (docs/webhooks.md): register an endpoint (its secret shown once),
// the endpoints with their failures and backlog, each one's delivery attempts, replay from
// an instant, delete. The pure parts (what is sent, how an endpoint reads) are exported for
// node --test (console/test/webhooks.test.mjs).
import { el, field, button, table, confirmStep } from "./dom.js";
import { call, get, problemText } from "./api.js";

export const EVENT_TYPES = ["hold.created", "hold.consumed", "hold.released", "hold.expired", "hold.cancelled",
  "hold.changed", "hold.seated", "hold.no_show", "hold.finished", "waitlist.offered", "availability.changed",
  "resource.updated", "stock.changed"];

// The body of POST /v1/webhooks from the form's values, or {error} naming what to fix
// (the origin checks it all again; this only saves a round trip for the obvious).
export function registration(url, events, resources) {
  const u = (url || "").trim();
  if (!/^https?:\/\/[^\s/]+/i.test(u)) return { error: "URL: an http address, such as http://hooks.example.com/aforo" };
  if (!events.length) return { error: "Events: pick at least one" };
  const ids = (resources || "").split(/[\s,]+/).filter(Boolean);
  const body = { url: u, events: [...new Set(events)] };
  if (ids.length) body.resource_ids = [...new Set(ids)];
  return { body };
}

// One endpoint in words: state, backlog, failures.
export function summary(ep) {
  const parts = [ep.status === "disabled" ? `disabled ${ep.disabled_at || ""}`.trim() : ep.status === "resuming" ? "being enabled again" : "enabled"];
  parts.push(`${ep.backlog} waiting`, `${ep.delivered} delivered`);
  if (ep.failed) parts.push(`${ep.failed} failed attempts`);
  if (ep.dropped) parts.push(`${ep.dropped} dropped (backlog full)`);
  if (ep.breaker === "open") parts.push(`failing since ${ep.failing_since}, next retry ${ep.next_retry_at}`);
  const last = ep.last_attempt;
  if (last) parts.push(`last: ${last.status ?? last.error ?? "no answer"} at ${last.at}`);
  return parts.join(" · ");
}

// Whether the endpoint can be enabled again (disabled, or an enabling left half done).
export function canEnable(ep) {
  return ep.status === "disabled" || ep.status === "resuming";
}

// The request that enables an endpoint again: resuming where it stopped ("keep": its
// backlog, then what happened while it was disabled) or from now ("drop").
export function enableRequest(id, backlog) {
  return { path: `/v1/webhooks/${encodeURIComponent(id)}/enable`, body: { backlog: backlog === "drop" ? "drop" : "keep" } };
}

// What enabling did, in words.
export function enabledText(body) {
  const e = body.enabled || {};
  if (!e.changed) return "Enable: it was enabled already";
  return e.backlog === "drop" ? `Enabled: from now on (${e.dropped} waiting event(s) dropped)`
    : `Enabled: resuming where it stopped, ${body.backlog} event(s) waiting (${e.gap_queued} from while it was disabled)`;
}

// One delivery attempt as a table row.
export function attemptRow(d) {
  const outcome = d.status != null ? String(d.status) : (d.error || "no answer");
  return [d.at, d.type, d.event_id, String(d.attempt), outcome, `${d.latency_ms} ms`, d.next_retry || ""];
}

export function webhooksPanel() {
  const out = el("div", { id: "webhooks" });
  const say = el("p", { id: "webhook-status", role: "status" });
  const url = el("input", { id: "webhook-url", size: 32, placeholder: "http://hooks.example.com/aforo" });
  const resources = el("input", { id: "webhook-resources", size: 24, placeholder: "all my resources" });
  const boxes = EVENT_TYPES.map((t) => el("input", { type: "checkbox", value: t, checked: t === "hold.created" || t === "availability.changed", dataset: { event: t } }));
  const load = async () => {
    const a = await get("/v1/webhooks");
    if (!a.ok) { out.replaceChildren(problemText(a)); return; }
    out.replaceChildren(...(a.body.webhooks.length ? a.body.webhooks.map((ep) => endpoint(ep, load, say)) :
      [el("p", { className: "muted" }, "No endpoints yet.")]));
  };
  const form = el("form", {}, field("URL", url), field("Only these resources (ids)", resources),
    el("fieldset", { className: "row" }, el("legend", {}, "Events"), ...boxes.map((b) => el("label", {}, b, " ", b.value))),
    el("button", { type: "submit", id: "webhook-create" }, "Add endpoint"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = registration(url.value, boxes.filter((b) => b.checked).map((b) => b.value), resources.value);
    if (r.error) { say.textContent = r.error; return; }
    const a = await call("POST", "/v1/webhooks", { body: r.body });
    if (!a.ok) { say.textContent = problemText(a); return; }
    // The secret is in this answer only: shown once, to be copied now.
    say.replaceChildren("Endpoint added. Its signing secret, shown this once — copy it now: ",
      el("code", { id: "webhook-secret" }, a.body.secret));
    url.value = "";
    load();
  });
  load();
  return el("fieldset", {}, el("legend", {}, "Webhooks"), form, say, out);
}

function endpoint(ep, reload, say) {
  const log = el("div", { dataset: { log: ep.id } });
  const since = el("input", { type: "datetime-local", dataset: { since: ep.id } });
  const show = button("Deliveries", async () => {
    const a = await get(`/v1/webhooks/${encodeURIComponent(ep.id)}/deliveries?limit=50`);
    if (!a.ok) { log.replaceChildren(problemText(a)); return; }
    log.replaceChildren(a.body.deliveries.length ? table(["at", "type", "event id", "attempt", "answer", "latency", "next retry"],
      a.body.deliveries.map(attemptRow)) : el("p", { className: "muted" }, "No attempts yet."));
  });
  const replay = button("Replay since", async () => {
    if (!since.value) { say.textContent = "Replay: pick an instant"; return; }
    const a = await call("POST", `/v1/webhooks/${encodeURIComponent(ep.id)}/replay`, { body: { since: new Date(since.value).toISOString() } });
    say.textContent = a.ok ? `Replay: ${a.body.queued} event(s) queued again` : problemText(a);
    reload();
  });
  const from = el("select", { dataset: { enableFrom: ep.id } },
    el("option", { value: "keep" }, "where it stopped"), el("option", { value: "drop" }, "from now (drop its backlog)"));
  const enable = button("Enable", async () => {
    const r = enableRequest(ep.id, from.value);
    const a = await call("POST", r.path, { body: r.body });
    say.textContent = a.ok ? enabledText(a.body) : problemText(a);
    reload();
  }, { dataset: { enable: ep.id } });
  const del = button("Delete", async () => {
    if (!(await confirmStep(`Delete the endpoint ${ep.url}? Its waiting events go with it.`, "Yes, delete"))) return;
    const a = await call("DELETE", `/v1/webhooks/${encodeURIComponent(ep.id)}`);
    if (!a.ok) say.textContent = problemText(a);
    reload();
  }, { className: "danger" });
  return el("div", { className: "webhook", dataset: { id: ep.id } },
    el("p", {}, el("strong", {}, ep.url), " ", el("span", { className: "muted" }, `${ep.events.join(", ")}${ep.resource_ids.length ? " on " + ep.resource_ids.join(", ") : ""}`)),
    el("p", { className: ep.breaker === "open" || ep.status === "disabled" ? "field-error" : "muted" }, summary(ep)),
    canEnable(ep) ? el("div", { className: "row" }, field("Resume", from), enable) : null,
    el("div", { className: "row" }, show, field("From", since), replay, del), log);
}
