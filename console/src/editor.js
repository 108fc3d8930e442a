// The document editor: a form for every part of a resource document (limits, weekly hours,
// closures, seasons and their overrides, lead time, cutoff, horizon, qty, per-buyer limits, the
// after-the-sale policy (cancellation fee, hold_max_s, early seat, no-show), pricing triggers,
// tables and combinations) and a raw JSON view, both editing one object. Errors are shown at
// the field their path names, whether they come from the wasm validator or the API.
import { el, field, button } from "./dom.js";
import { getPath, setPath, owner } from "./paths.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

export function editor(doc, onChange) {
  const root = el("div", { className: "editor" });
  const general = el("div", {});
  const raw = el("textarea", { className: "raw", id: "raw-json", spellcheck: false });
  const rawErr = el("p", { className: "field-error", id: "raw-error", "aria-live": "polite" });
  const summary = el("ul", { className: "field-error", id: "errors", "aria-live": "polite" });
  const changed = () => { raw.value = JSON.stringify(doc, null, 2); onChange(doc); };
  const render = () => { general.replaceChildren(...sections(doc, changed, render)); raw.value = JSON.stringify(doc, null, 2); };
  const applyRaw = () => {
    try {
      const next = JSON.parse(raw.value);
      for (const k of Object.keys(doc)) delete doc[k];
      Object.assign(doc, next);
      rawErr.textContent = "";
      render();
      onChange(doc);
    } catch (e) {
      rawErr.textContent = "Not JSON: " + e.message;
    }
  };
  render();
  root.append(general,
    el("details", { id: "raw-view" }, el("summary", {}, "Raw JSON"), field("Document (JSON)", raw),
      button("Apply JSON", applyRaw, { id: "raw-apply" }), rawErr),
    el("h4", {}, "Problems"), summary);
  return {
    element: root,
    // Shows each error at its field (and all of them in the list); [] clears them.
    setErrors(errors) {
      const inputs = [...root.querySelectorAll("[data-path]")];
      for (const i of inputs) {
        i.removeAttribute("aria-invalid");
        const e = document.getElementById(i.id + "-err");
        if (e) e.textContent = "";
      }
      summary.replaceChildren(...errors.map((x) => el("li", {}, `${x.path}: ${x.message}`)));
      for (const x of errors) {
        const i = owner(inputs, x.path);
        if (!i) continue;
        i.setAttribute("aria-invalid", "true");
        const e = document.getElementById(i.id + "-err");
        if (e) e.textContent = (e.textContent ? e.textContent + "; " : "") + (i.dataset.path === x.path ? x.message : `${x.path}: ${x.message}`);
      }
    },
    render,
  };
}

// An input bound to `path` of `doc`.
function bound(doc, changed, label, path, kind = "number", props = {}) {
  const v = getPath(doc, path);
  const input = el("input", { type: kind === "number" ? "number" : "text", value: v === undefined ? "" : String(v), ...props });
  if (kind === "number") input.step = props.step || "any";
  input.addEventListener("input", () => {
    const s = input.value.trim();
    setPath(doc, path, s === "" ? undefined : kind === "number" ? Number(s) : s);
    changed();
  });
  return field(label, input, path);
}

// Intervals as text: "13:00-16:00, 20:00-23:30".
const showIntervals = (iv) => (iv || []).map((p) => p.join("-")).join(", ");
const readIntervals = (s) => s.split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
  const [a, b] = x.split("-").map((y) => y.trim());
  return [a || "", b || ""];
});

function hoursRow(doc, changed, base, legend) {
  return el("div", { className: "row" }, DAYS.map((d) => {
    const path = `${base}.${d}`;
    const input = el("input", { type: "text", size: 22, value: showIntervals(getPath(doc, path)), placeholder: "closed" });
    input.addEventListener("input", () => {
      const iv = readIntervals(input.value);
      setPath(doc, path, iv.length ? iv : undefined);
      // Every day empty: no weekly hours at all (a dated resource is then open all day).
      if (!getPath(doc, base)) setPath(doc, base, undefined);
      changed();
    });
    return field(`${legend} ${d}`, input, path);
  }));
}

// A list of rows (closures, seasons, ...): each with its fields and a Remove button, and Add.
function rows(doc, changed, rerender, path, fresh, rowFields, addText) {
  const list = getPath(doc, path) || [];
  const items = list.map((_, i) => el("div", { className: "row", dataset: { row: `${path}[${i}]` } },
    rowFields(`${path}[${i}]`, i),
    button("Remove", () => { list.splice(i, 1); if (!list.length) setPath(doc, path, undefined); changed(); rerender(); },
      { "aria-label": `Remove ${path} ${i + 1}` })));
  return [...items, button(addText, () => { setPath(doc, `${path}[${list.length}]`, fresh()); changed(); rerender(); },
    { className: "add", dataset: { add: path } })];
}

const fs = (legend, ...children) => el("fieldset", {}, el("legend", {}, legend), ...children);

function sections(doc, changed, rerender) {
  const b = (label, path, kind, props) => bound(doc, changed, label, path, kind, props);
  const today = new Date().toISOString().slice(0, 10);
  const out = [
    fs("General", b("Name", "name", "text", { size: 40 }), b("Timezone", "timezone", "text"),
      b("Lead time (min)", "lead_time_min"), b("Horizon (days)", "horizon_days"), b("Hold TTL (s)", "hold_ttl_s"),
      b("Min qty per hold", "qty.min"), b("Max qty per hold", "qty.max"),
      b("Per buyer: max units held at once", "per_buyer.max_held_units"),
      b("Per buyer: max units per date", "per_buyer.max_units_per_date"),
      b("Cutoff: days before", "cutoff.days_before"), b("Cutoff: at (HH:MM)", "cutoff.at", "text", { size: 6 })),
    fs("Capacity", b("Stock on hand", "dimensions.stock.on_hand"), b("Daily capacity", "dimensions.daily.capacity"),
      b("Slot: duration (min)", "dimensions.slots.duration_min"), b("Slot: interval (min)", "dimensions.slots.interval_min"),
      b("Slot capacity", "dimensions.slots.capacity"), b("Concurrent", "dimensions.slots.concurrent"),
      b("Pacing window (min)", "dimensions.slots.pacing.window_min"), b("Pacing max", "dimensions.slots.pacing.max")),
    fs("Weekly hours (e.g. 13:00-16:00, 20:00-23:30; empty = closed)", hoursRow(doc, changed, "hours", "Hours")),
    fs("Closures", ...rows(doc, changed, rerender, "closures", () => ({ from: today, to: today }), (p) => [
      b("From", `${p}.from`, "text", { size: 10 }), b("To", `${p}.to`, "text", { size: 10 }), b("Reason", `${p}.reason`, "text")],
    "Add closure")),
    fs("Seasons", ...rows(doc, changed, rerender, "seasons",
      () => ({ name: "season", from: today, to: today, priority: 10, overrides: {} }), (p) => [
        b("Season name", `${p}.name`, "text", { size: 12 }), b("From", `${p}.from`, "text", { size: 10 }),
        b("To", `${p}.to`, "text", { size: 10 }), b("Priority", `${p}.priority`),
        b("Daily capacity", `${p}.overrides.daily_capacity`), b("Slot capacity", `${p}.overrides.slot_capacity`),
        b("Lead time (min)", `${p}.overrides.lead_time_min`), b("Price multiplier", `${p}.overrides.price_multiplier`),
        b("Cutoff: days before", `${p}.overrides.cutoff.days_before`), b("Cutoff: at (HH:MM)", `${p}.overrides.cutoff.at`, "text", { size: 6 }),
        el("details", {}, el("summary", {}, "Season's own weekly hours (empty: the usual hours)"),
          hoursRow(doc, changed, `${p}.overrides.hours`, "Season hours"))],
      "Add season")),
    // After the sale: what a buyer's late cancel owes, how long a hold may be extended, when
    // a party may be seated and when it counts as a no-show (absent: the origin's defaults).
    fs("After the sale (empty: no fee; holds up to 1,800 s; seat from 30 min before; no-show 15 min after)",
      b("Free cancellation until (hours before the start)", "cancellation.free_until_h", "number", { min: 0, step: 1 }),
      b("Late cancellation fee (% of the price)", "cancellation.fee_percent", "number", { min: 0, max: 100, step: 1 }),
      b("Longest hold, extensions included (s)", "hold_max_s", "number", { min: 0, step: 1 }),
      b("Seat from (min before the start)", "early_seat_min", "number", { min: 0, max: 1440, step: 1 }),
      b("No-show from (min after the start)", "no_show_after_min", "number", { min: 0, max: 1440, step: 1 })),
    fs("Pricing", b("Currency", "pricing.currency", "text", { size: 4 }), b("Base price (minor units)", "pricing.base_minor"),
      ...rows(doc, changed, rerender, "pricing.triggers", () => ({ utilization_gte: 0.95, multiplier: 1.3, tier: "peak" }), (p) => [
        b("Utilization ≥", `${p}.utilization_gte`), b("Multiplier", `${p}.multiplier`), b("Tier", `${p}.tier`, "text", { size: 8 })],
      "Add price trigger")),
  ];
  if (getPath(doc, "dimensions.slots")) {
    out.push(fs("Tables and combinations",
      ...rows(doc, changed, rerender, "dimensions.slots.tables", () => ({ id: "T" + ((getPath(doc, "dimensions.slots.tables") || []).length + 1), seats: [2, 4] }), (p) => [
        b("Table id", `${p}.id`, "text", { size: 5 }), b("Seats min", `${p}.seats[0]`), b("Seats max", `${p}.seats[1]`),
        b("Area", `${p}.area`, "text", { size: 8 })], "Add table"),
      ...rows(doc, changed, rerender, "dimensions.slots.combinations", () => ({ of: [], seats: [6, 8] }), (p) => [
        combo(doc, changed, `${p}.of`), b("Seats min", `${p}.seats[0]`), b("Seats max", `${p}.seats[1]`)], "Add combination")));
  }
  return out;
}

// A combination's tables as "H1+H2".
function combo(doc, changed, path) {
  const input = el("input", { type: "text", size: 10, value: (getPath(doc, path) || []).join("+") });
  input.addEventListener("input", () => {
    setPath(doc, path, input.value.split("+").map((x) => x.trim()).filter(Boolean));
    changed();
  });
  return field("Tables (e.g. H1+H2)", input, path);
}
