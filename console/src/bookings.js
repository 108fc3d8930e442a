// The bookings of one resource (GET /v1/resources/{id}/bookings): a day's, or every day's
// whose guest matches a search (`q=`, a piece of the name, phone or email), each with its
// status in words and its guest, and the steps its status allows (after.js, bookingSteps):
// seat, no-show, cancel (the refund the answer gives), finish, change of date, slot or
// party, the guest's details — for the seller owning the resource and ops, as the API allows
// them; release and consume stay a buyer's (and ops') own.
import { el, field, button, confirmStep } from "./dom.js";
import { call, get, problemText } from "./api.js";
import { statusLabel, bookingSteps, searchQuery, cancelBody, refundText, guestLine } from "./after.js";
import { changeForm, guestForm } from "./change.js";

const TITLES = { seat: "Seat", "no-show": "No-show", cancel: "Cancel", finish: "Finish", change: "Change", guest: "Edit guest",
  release: "Release", consume: "Consume" };

export function bookingsPanel(id, role) {
  const date = el("input", { id: "bookings-date", type: "date", value: new Date().toISOString().slice(0, 10) });
  const q = el("input", { id: "bookings-q", type: "search", size: 20, autocomplete: "off", placeholder: "name or phone" });
  const out = el("div", { id: "bookings" });
  const say = el("p", { id: "bookings-status", role: "status", "aria-live": "polite" });
  const edit = el("div", { id: "bookings-edit" });
  const what = el("p", { className: "muted", id: "bookings-what" });
  const res = encodeURIComponent(id);

  const load = async () => {
    const s = searchQuery(q.value);
    const hint = document.getElementById(q.id + "-err");
    if (hint) hint.textContent = s.ok ? "" : s.message;
    if (!s.ok) { q.setAttribute("aria-invalid", "true"); return; }
    q.removeAttribute("aria-invalid");
    // A search looks at every day; without one, the day chosen.
    const p = s.q ? new URLSearchParams({ q: s.q, limit: "200" }) : new URLSearchParams({ from: date.value, to: date.value, limit: "200" });
    const a = await get(`/v1/resources/${res}/bookings?${p}`);
    if (!a.ok) { out.replaceChildren(el("p", { className: "field-error" }, problemText(a))); return; }
    const items = a.body.items || [];
    what.textContent = s.q ? `${items.length} booking(s) whose guest matches “${s.q}”, any day.` : `${items.length} booking(s) on ${date.value}.`;
    out.replaceChildren(items.length === 0 ? el("p", { className: "muted" }, s.q ? "No guest matches." : "No bookings that day.") : grid(items));
  };

  // One step on one booking: confirmed when it cannot be undone, its answer said.
  const step = async (b, what) => {
    const hold = encodeURIComponent(b.hold_id);
    const who = (b.guest && b.guest.name) || b.hold_id;
    if (what === "change" || what === "guest") {
      edit.replaceChildren(what === "change"
        ? changeForm({ prefix: "bk", holdId: b.hold_id, resourceId: id, date: b.date, slot: b.slot || "", qty: b.qty,
          currency: b.price && b.price.currency, done: load })
        : guestForm({ prefix: "bk", holdId: b.hold_id, guest: b.guest, done: load }),
        button("Close", () => edit.replaceChildren(), { id: "bookings-edit-close" }));
      const first = edit.querySelector("input");
      if (first) first.focus();
      return;
    }
    const questions = {
      cancel: `Cancel the booking of ${who} (${b.hold_id})? Its units come back now; the seller's cancel refunds it in full.`,
      "no-show": `Mark ${who} (${b.hold_id}) as a no-show? Its table and covers are free from now on.`,
      finish: `Finish ${who} (${b.hold_id}) now? Its table is free from this moment.`,
      release: `Release hold ${b.hold_id}?`,
      consume: `Consume hold ${b.hold_id} (as its buyer would after paying)?`,
    };
    if (questions[what] && !(await confirmStep(questions[what], `Yes, ${TITLES[what].toLowerCase()}`))) return;
    say.className = "";
    say.textContent = `${TITLES[what]} ${who}…`;
    const body = what === "cancel" ? cancelBody("cancelled from the console") : ["seat", "no-show", "finish"].includes(what) ? { resource_id: id } : undefined;
    const a = await call("POST", `/v1/holds/${hold}/${what}`, { body });
    say.className = a.ok ? "ok" : "field-error";
    say.textContent = !a.ok ? `${TITLES[what]} ${who}: ${problemText(a).replace(/\.$/, "")}. Nothing changed.`
      : what === "cancel" ? `Cancelled ${who}: ${refundText(a.body, b.price && b.price.currency)}.`
      : `${TITLES[what]} ${who}: done, now ${statusLabel(a.body.status).toLowerCase()}.`;
    await load();
  };

  const grid = (items) => el("table", { id: "bookings-table" },
    el("thead", {}, el("tr", {}, ["Start", "Slot", "Party", "Tables", "Status", "Guest", "Buyer", "Price", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, items.map((b) => {
      const who = (b.guest && b.guest.name) || b.hold_id;
      const steps = bookingSteps(b.status, role);
      return el("tr", { dataset: { hold: b.hold_id, status: b.status } },
        el("td", {}, (b.start || b.date || "").replace("T", " ").slice(0, 16)), el("td", {}, b.slot || ""), el("td", {}, String(b.qty)),
        el("td", {}, (b.tables || []).join("+")),
        el("td", {}, el("span", { className: `status ${b.status}` }, statusLabel(b.status))),
        el("td", { className: "guest" }, b.guest && b.guest.name ? el("strong", {}, b.guest.name) : el("span", { className: "muted" }, "—"),
          b.guest && b.guest.phone ? ` ${b.guest.phone}` : "",
          b.guest && (b.guest.notes || (b.guest.tags || []).length) ? el("div", { className: "muted" }, guestLine({ ...b.guest, name: "" })) : ""),
        el("td", {}, b.buyer || ""),
        el("td", {}, b.price ? `${(b.price.unit_minor / 100).toFixed(2)} ${b.price.currency}` : ""),
        el("td", { className: "actions" }, steps.map((s) => button(TITLES[s], () => step(b, s),
          { dataset: { step: s }, "aria-label": `${TITLES[s]}: ${who}, ${b.slot || b.date}, party of ${b.qty}`,
            className: s === "cancel" ? "danger" : "" }))));
    })));

  const f = el("form", { className: "row", id: "bookings-form" }, field("Day", date), field("Find a guest (name or phone, any day)", q),
    el("button", { type: "submit", id: "bookings-show" }, "Show bookings"));
  f.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  return el("fieldset", {}, el("legend", {}, "Bookings"), f, what, say, out, edit,
    role === "ops" ? "" : el("p", { className: "muted" }, "Release and consume belong to each hold's buyer (and to operators); seat, no-show, cancel, finish, change and the guest are yours on your resources."));
}
