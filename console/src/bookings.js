// The bookings of a day on one resource (GET /v1/resources/{id}/bookings), with release and
// consume for operators (a hold belongs to its buyer; the API lets ops act on any).
import { el, field, button, table, confirmStep } from "./dom.js";
import { call, get, problemText } from "./api.js";

export function bookingsPanel(id, role) {
  const date = el("input", { id: "bookings-date", type: "date", value: new Date().toISOString().slice(0, 10) });
  const out = el("div", { id: "bookings" });
  const load = async () => {
    const q = new URLSearchParams({ from: date.value, to: date.value, limit: "200" });
    const a = await get(`/v1/resources/${encodeURIComponent(id)}/bookings?${q}`);
    if (!a.ok) { out.replaceChildren(problemText(a)); return; }
    const items = a.body.items || [];
    const act = (b, what) => button(what, async () => {
      if (!(await confirmStep(`${what} hold ${b.hold_id}?`, `Yes, ${what.toLowerCase()}`))) return;
      const r = await call("POST", `/v1/holds/${encodeURIComponent(b.hold_id)}/${what.toLowerCase()}`);
      if (!r.ok) out.prepend(el("p", { className: "field-error" }, problemText(r)));
      load();
    });
    out.replaceChildren(items.length === 0 ? el("p", { className: "muted" }, "No bookings that day.") :
      table(["start", "slot", "qty", "tables", "status", "buyer", "price", role === "ops" ? "actions" : ""], items.map((b) => [
        b.start || b.date, b.slot || "", b.qty, (b.tables || []).join("+"), b.status, b.buyer,
        b.price ? `${(b.price.unit_minor / 100).toFixed(2)} ${b.price.currency}` : "",
        role === "ops" && (b.status === "held" || b.status === "pending") ? el("span", {}, act(b, "Release"), " ", act(b, "Consume")) : ""])));
  };
  const f = el("form", { className: "row" }, field("Day", date), el("button", { type: "submit" }, "Show bookings"));
  f.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  return el("fieldset", {}, el("legend", {}, "Bookings of a day"), f, out,
    role === "ops" ? "" : el("p", { className: "muted" }, "Release and consume belong to each hold's buyer (and to operators)."));
}
