// The runbook (docs/runbook.md, built into the origin and served at /console/runbook.md): an
// alert's `runbook` (docs/runbook.md#anchor) opens its section here, as text.
import { el, $ } from "./dom.js";
import { get } from "./api.js";

const slug = (h) => h.toLowerCase().replace(/[^a-z0-9 -]/g, "").trim().replace(/ /g, "-");

// The section of markdown `md` under the heading whose anchor is `anchor`, up to the next
// heading of the same or a higher level.
export function section(md, anchor) {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => /^#+ /.test(l) && slug(l.replace(/^#+ /, "")) === anchor);
  if (start < 0) return null;
  const level = lines[start].match(/^#+/)[0].length;
  let end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.match(/^#+/)[0].length <= level);
  if (end < 0) end = lines.length;
  return lines.slice(start, end).join("\n");
}

// A link for an alert's runbook value (`docs/runbook.md#store-unavailable`).
export function runbookLink(value) {
  const anchor = (value || "").split("#")[1] || "";
  return el("a", { href: "#runbook=" + anchor, className: "runbook", onclick: (e) => { e.preventDefault(); show(anchor); } },
    value || "runbook");
}

export async function show(anchor) {
  const box = $("runbook") || el("section", { id: "runbook", "aria-label": "Runbook" });
  $("oncall").append(box);
  const a = await fetch("/console/runbook.md");
  const md = a.ok ? await a.text() : "";
  const text = section(md, anchor) || `No section #${anchor} in docs/runbook.md.`;
  box.replaceChildren(el("h3", {}, "Runbook: #" + anchor), el("pre", { tabIndex: 0 }, text));
  box.scrollIntoView();
}
