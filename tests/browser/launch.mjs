// The one way the browser tests start Chromium and open a page: Debian's headless Chromium
// (CHROMIUM overrides the path) through playwright-core, with what every test watches set up
// before any script of the page runs.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

/** Throws `what` unless `ok`: a failed check ends the test with its message. */
export const check = (ok, what) => { if (!ok) throw new Error(what); };

/** Headless Chromium without the background traffic and sandbox a container cannot give. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
}

/**
 * A page of `viewport` (with more of playwright's page `options`: a locale, a phone's touch) with a 15 s default timeout; `errors` collects uncaught page errors and
 * `window.__violations` each Content-Security-Policy violation (a blocked load or inline script).
 */
export async function openPage(browser, viewport, options = {}) {
  const page = await browser.newPage({ viewport, ...options });
  page.setDefaultTimeout(15000);
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
  });
  return { page, errors };
}

const AXE = readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

// axe-core on the page as it stands: no serious or critical violation of WCAG 2.1 A/AA and
// best practice; the minor ones are said through `log`.
export async function axe(page, view, log = console.log) {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    const res = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  const bad = r.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(bad.length === 0, `axe on ${view}: ${JSON.stringify(bad)}`);
  log(`axe ${view}: no serious or critical violation (${r.length} minor: ${r.map((v) => v.id).join(", ") || "none"})`);
}
