// Building the page without parsing HTML: elements from createElement, text from text nodes
// (the page runs under Trusted Types with no policy, so any HTML sink would throw).

export const $ = (id) => document.getElementById(id);

// An element with properties (attributes set as properties; `dataset`, `aria-*` and `for`
// handled) and children (strings become text nodes; null/false are skipped).
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("aria-") || k === "for" || k === "role") e.setAttribute(k, v);
    else if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else e[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

let nextId = 0;
// A labelled input: <label>Text <input></label>; the input gets an id and, with `path`, a
// data-path that field errors are shown against.
export function field(text, input, path) {
  input.id = input.id || "f" + nextId++;
  if (path) input.dataset.path = path;
  const err = el("span", { className: "field-error", id: input.id + "-err", "aria-live": "polite" });
  input.setAttribute("aria-describedby", err.id);
  return el("label", { for: input.id }, text, input, err);
}

export function button(text, onclick, props) {
  return el("button", { type: "button", onclick, ...(props || {}) }, text);
}

// A confirmation step in a modal dialog (keyboard: Escape cancels, focus starts on Cancel).
export function confirmStep(question, yesText) {
  return new Promise((resolve) => {
    const no = el("button", { type: "button", className: "primary" }, "Cancel");
    const yes = el("button", { type: "button", className: "danger", id: "confirm-yes" }, yesText);
    const d = el("dialog", { "aria-label": "Confirm" }, el("p", {}, question), el("div", {}, yes, " ", no));
    const done = (v) => { d.close(); d.remove(); resolve(v); };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    d.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(d);
    d.showModal();
    no.focus();
  });
}

export function banner(text) {
  const b = $("banner");
  b.textContent = text || "";
  b.hidden = !text;
}

export function table(headers, rows) {
  return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c ?? ""))))));
}
