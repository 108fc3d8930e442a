// The forms a booking's life after the sale needs in both the bookings list and the host
// floor: change its date, slot or party (POST /v1/holds/{id}/change with one Idempotency-Key
// per intent; a 409's alternatives offered as choices), and edit its guest
// (PATCH /v1/holds/{id}/guest). `prefix` keeps the ids of the two places apart.
import { el, field, button } from "./dom.js";
import { call, problemText, newKey } from "./api.js";
import { changeBody, alternativeChoices, guestBody, intentKeys, money } from "./after.js";
import { t } from "./i18n.js";

// Marks `errors` ([{path, message}]) at the form's inputs by their data-path (and clears others).
function showErrors(form, errors) {
  for (const i of form.querySelectorAll("[data-path]")) {
    const mine = errors.filter((e) => e.path === i.dataset.path);
    if (mine.length) i.setAttribute("aria-invalid", "true"); else i.removeAttribute("aria-invalid");
    const e = document.getElementById(i.id + "-err");
    if (e) e.textContent = mine.map((x) => x.message).join("; ");
  }
}

// The change form of booking `holdId` on resource `resourceId`, filled with its date, slot
// and party; `done(answer)` after a change.
// `lang`: the language of its words (the host floor passes its own; English otherwise).
export function changeForm({ prefix, holdId, resourceId, date, slot, qty, currency, done, lang = "en" }) {
  const tr = (k, v) => t(k, v, lang);
  const d = el("input", { id: `${prefix}-change-date`, type: "date", value: date || "", required: true });
  const s = el("input", { id: `${prefix}-change-slot`, type: "text", size: 6, value: slot || "", placeholder: "HH:MM",
    inputMode: "numeric", autocomplete: "off" });
  const n = el("input", { id: `${prefix}-change-party`, type: "number", min: 1, value: qty || 1, required: true });
  const say = el("p", { id: `${prefix}-change-status`, role: "status", "aria-live": "polite" });
  const alts = el("div", { id: `${prefix}-change-alternatives`, role: "group", "aria-label": tr("form.alternatives") });
  const keys = intentKeys(() => newKey("console-change"));
  let busy = false;
  const f = el("form", { className: "row", id: `${prefix}-change-form` },
    field(tr("form.new.date"), d, "date"), field(tr("form.new.slot"), s, "slot"), field(tr("form.new.party"), n, "qty"),
    el("button", { type: "submit", id: `${prefix}-change-apply`, className: "primary" }, tr("form.change.apply")));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    const b = changeBody(resourceId, { date: d.value, slot: s.value, qty: n.value });
    showErrors(f, b.ok ? [] : b.errors);
    if (!b.ok) { say.className = "field-error"; say.textContent = tr("form.not.sent"); return; }
    busy = true;
    say.className = "";
    say.textContent = tr("form.changing");
    const key = keys.keyFor(holdId + JSON.stringify(b.body));
    const a = await call("POST", `/v1/holds/${encodeURIComponent(holdId)}/change`, { body: b.body, headers: { "idempotency-key": key } });
    busy = false;
    keys.settle(a.status);
    alts.replaceChildren();
    if (a.ok) {
      const it = (a.body.items || [])[0] || {};
      const diff = Number(a.body.price_change_minor) || 0;
      say.className = "ok";
      say.textContent = `Changed: party of ${it.qty} on ${it.date}${it.slot ? " at " + it.slot : ""}${it.tables ? " (" + it.tables.join("+") + ")" : ""}` +
        `${diff ? `, price ${diff > 0 ? "+" : "−"}${money(Math.abs(diff), currency)}` : ", same price"}.`;
      if (done) done(a);
      return;
    }
    say.className = "field-error";
    const choices = alternativeChoices(a.body);
    const p = problemText(a).replace(/\.$/, "");
    say.textContent = `Change refused, ${p}.${/unchanged/i.test(p) ? "" : " Nothing changed."}` +
      (a.status === 0 || a.status >= 500 ? " Submit again to retry (the same key)." : "") +
      (choices.length ? " These fit instead:" : "");
    alts.replaceChildren(...choices.map((c) => button(c.label, () => {
      d.value = c.date;
      s.value = c.slot;
      f.requestSubmit();
    }, { dataset: { date: c.date, slot: c.slot }, "aria-label": `Change to ${c.label}` })));
    // The origin's field errors (400) at their fields, when it names one.
    if (a.body && Array.isArray(a.body.errors)) showErrors(f, a.body.errors);
  });
  return el("fieldset", { id: `${prefix}-change` }, el("legend", {}, tr("form.change.legend", { hold: holdId })), f, say, alts);
}

// The guest form of booking `holdId`, filled with `guest`; `done(answer)` after a save.
export function guestForm({ prefix, holdId, guest, done, lang = "en" }) {
  const tr = (k, v) => t(k, v, lang);
  const g = guest || {};
  const name = el("input", { id: `${prefix}-guest-name`, type: "text", size: 24, maxLength: 100, value: g.name || "", autocomplete: "off" });
  const phone = el("input", { id: `${prefix}-guest-phone`, type: "tel", size: 16, maxLength: 32, value: g.phone || "", autocomplete: "off" });
  const email = el("input", { id: `${prefix}-guest-email`, type: "email", size: 24, maxLength: 254, value: g.email || "", autocomplete: "off" });
  const notes = el("textarea", { id: `${prefix}-guest-notes`, rows: 2, cols: 40, maxLength: 500, value: g.notes || "" });
  const tags = el("input", { id: `${prefix}-guest-tags`, type: "text", size: 24, value: (g.tags || []).join(", "), placeholder: "vip, birthday" });
  const say = el("p", { id: `${prefix}-guest-status`, role: "status", "aria-live": "polite" });
  const f = el("form", { className: "row", id: `${prefix}-guest-form` },
    field(tr("form.guest.name"), name, "name"), field(tr("form.phone"), phone, "phone"), field(tr("form.email"), email, "email"),
    field(tr("form.notes"), notes, "notes"), field(tr("form.tags"), tags, "tags"),
    el("button", { type: "submit", id: `${prefix}-guest-apply`, className: "primary" }, tr("form.guest.apply")));
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = guestBody({ name: name.value, phone: phone.value, email: email.value, notes: notes.value, tags: tags.value });
    const a = await call("PATCH", `/v1/holds/${encodeURIComponent(holdId)}/guest`, { body });
    say.className = a.ok ? "ok" : "field-error";
    say.textContent = a.ok ? `Guest saved${body.name ? ": " + body.name : ""}.` : `Guest not saved, ${problemText(a)}.`;
    if (a.ok && done) done(a);
  });
  return el("fieldset", { id: `${prefix}-guest` }, el("legend", {}, tr("form.guest.legend", { hold: holdId })), f, say);
}
