// Drives the buyer page in Debian's headless Chromium with playwright-core: picks a date and
// party size, sees slots, holds one, and checks that it is held with a countdown; then shows
// a resource whose name and price tiers are HTML and checks they are shown as text and never
// run, under the page's Content-Security-Policy.
// Env: EDGE_URL, BUYER_TOKEN, DATE (YYYY-MM-DD), SCREENSHOT (path of the PNG kept),
// HOSTILE_ID (a resource whose price tiers are HOSTILE_TIERS, a JSON list of strings),
// UNSERVED_TOKEN (a DEMO_BUYER_TOKEN the Worker has but must not serve: no LOCAL_DEMO),
// ALT_ID (a resource whose one seating, 20:00 with table B1, has no room for 2 on DATE),
// ORIGIN_URL and OPS_TOKEN (to switch the origin to read-only and back).
import { check, launch, openPage } from "./launch.mjs";

const { EDGE_URL, BUYER_TOKEN, DATE, SCREENSHOT, HOSTILE_ID, UNSERVED_TOKEN, ALT_ID, ORIGIN_URL, OPS_TOKEN } = process.env;
const HOSTILE_TIERS = JSON.parse(process.env.HOSTILE_TIERS);
const browser = await launch();
try {
  // Any script that runs from injected markup sets window.__xss; any blocked load or inline
  // script is a CSP violation, recorded in window.__violations (launch.mjs).
  const { page } = await openPage(browser, { width: 900, height: 700 });
  const resp = await page.goto(EDGE_URL + "/");
  const h = resp.headers();
  const csp = h["content-security-policy"] || "";
  for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "base-uri 'none'",
                   "form-action 'none'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"]) {
    check(csp.includes(d), `CSP lacks ${d}: ${csp}`);
  }
  check(!csp.includes("unsafe"), "CSP allows unsafe-*: " + csp);
  check(h["x-content-type-options"] === "nosniff", "no nosniff");
  check(h["referrer-policy"] === "no-referrer", "referrer-policy: " + h["referrer-policy"]);
  // The Worker has a DEMO_BUYER_TOKEN but is not a local demo: the page must not carry it.
  const html = await resp.text();
  check(UNSERVED_TOKEN && !html.includes(UNSERVED_TOKEN), "the demo token is in the page without LOCAL_DEMO");
  check((await page.inputValue("#token")) === "", "the token box is pre-filled without LOCAL_DEMO");
  console.log("csp: " + csp);
  // The token box sits in a closed <details>: set it the way a pasted value would be.
  await page.locator("#token").evaluate((el, v) => { el.value = v; }, BUYER_TOKEN);
  await page.fill("#resource", "trattoria");
  await page.fill("#date", DATE);
  await page.fill("#qty", "2");
  await page.click("#show");
  await page.waitForSelector(".slot.available, .slot.limited");
  const slots = await page.$$eval(".slot", (els) => els.map((e) => e.dataset.slot + ":" + e.className));
  if (slots.length < 5) throw new Error("too few slots: " + slots.join(", "));
  const pick = page.locator(".slot.available").first();
  const name = await pick.getAttribute("data-slot");
  await pick.click();
  await page.waitForSelector("#hold-status");
  const status = await page.textContent("#hold-status");
  const countdown = await page.textContent("#countdown");
  if (status.trim() !== "Held") throw new Error("hold status is " + status);
  if (!/^\d\d:\d\d$/.test(countdown.trim())) throw new Error("no countdown: " + countdown);
  // The demo restaurant seats every party at numbered tables: the hold names them.
  const tables = await page.textContent("#hold-tables");
  if (!/^tables? [A-Z]\d+(\+[A-Z]\d+)*$/.test(tables.trim())) throw new Error("no tables shown: " + tables);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`held: ${name} for 2 on ${DATE} at ${tables.trim()}, ${countdown} left; ${slots.length} slots shown`);

  // A room whose one 6-top is taken at 20:00: a party of 6 is told where it fits instead.
  await page.fill("#resource", "sala");
  await page.fill("#qty", "6");
  await page.click("#show");
  await page.waitForFunction(() => document.getElementById("message").textContent.includes("no table"));
  const message = (await page.textContent("#message")).trim();
  if (!message.startsWith("no table for 6 at 20:00, try 20:30")) throw new Error("message: " + message);
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-no-table.png"), fullPage: true });
  console.log(`no-table: ${message}`);

  // A seller's strings are HTML: they must show as text, and nothing of them may run.
  await page.fill("#resource", HOSTILE_ID);
  await page.fill("#qty", "1");
  await page.click("#show");
  await page.waitForSelector(".slot.available, .slot.limited");
  const prices = await page.$$eval("#slots .price", (els) => els.map((e) => e.textContent));
  for (const tier of HOSTILE_TIERS) {
    check(prices.some((p) => p.endsWith(" (" + tier + ")")), `tier ${tier} not shown as text: ${JSON.stringify(prices)}`);
  }
  check((await page.$$("#slots img, #slots script, #hold img, #hold script")).length === 0, "markup from a tier became elements");
  // Hold the slot whose tier is a <script>: the hold box repeats the tier, as text too.
  const scriptTier = HOSTILE_TIERS.find((t) => t.startsWith("<script>"));
  const target = page.locator("#slots .slot", { has: page.locator(".price", { hasText: scriptTier }) }).first();
  const earlier = await page.textContent("#hold");
  await target.click();
  await page.waitForFunction((was) => document.getElementById("hold").textContent.split("left to pay")[1] !==
                                      was.split("left to pay")[1], earlier);
  const box = await page.textContent("#hold");
  check(box.startsWith("Held: 1 at "), "hold box: " + box);
  check(box.includes("(" + scriptTier + ")"), "hold box: " + box);
  check((await page.$$("#hold img, #hold script")).length === 0, "markup in the hold box became elements");
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-hostile.png"), fullPage: true });

  // Capacity exceeded: a party of 2 does not fit on DATE; the page offers where it does, as
  // buttons, and holding one (from the keyboard) works.
  await page.fill("#resource", ALT_ID);
  await page.fill("#date", DATE);
  await page.fill("#qty", "2");
  await page.click("#show");
  await page.waitForSelector("#alternatives button.alternative");
  check(await page.isDisabled("#slots .slot[data-slot='20:00']"), "the full 20:00 seating is offered");
  const alts = await page.$$eval("#alternatives button.alternative", (els) => els.map((e) => e.textContent));
  const first = page.locator("#alternatives button.alternative").first();
  const [altDate, altSlot] = [await first.getAttribute("data-date"), await first.getAttribute("data-slot")];
  check(altDate > DATE && altSlot === "20:00", `first alternative: ${altDate} ${altSlot}`);
  console.log("alternatives: " + alts.join(" | "));
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-alternatives.png"), fullPage: true });
  const shown = await page.textContent("#hold");
  await first.focus();
  await page.keyboard.press("Enter");
  await page.waitForFunction((was) => document.getElementById("hold").textContent.split("left to pay")[1] !==
                                      was.split("left to pay")[1], shown);
  const altBox = (await page.textContent("#hold")).split("left to pay")[0].replace(/\d\d:\d\d\s*$/, "").trim();
  check((await page.textContent("#hold-status")).trim() === "Held", "alternative hold: " + altBox);
  check(altBox.startsWith(`Held: 2 at 20:00 on ${altDate}`), "alternative hold box: " + altBox);
  check((await page.textContent("#hold-tables")).trim() === "table B1", "alternative hold tables: " + altBox);
  console.log("alternative held: " + altBox);

  // Ops switch the origin to read-only: a hold from the page is refused, said plainly; then
  // the switch goes back on.
  const mode = async (readOnly) => {
    const r = await fetch(ORIGIN_URL + "/v1/monitoring/mode", {
      method: "PUT",
      headers: { authorization: "Bearer " + OPS_TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ read_only: readOnly, reason: "edge e2e" }),
    });
    check(r.status === 200, `PUT mode ${readOnly}: ${r.status} ${await r.text()}`);
  };
  await mode(true);
  try {
    await page.fill("#resource", "trattoria");
    await page.fill("#qty", "2");
    await page.click("#show");
    await page.waitForSelector("#slots .slot.available");
    await page.locator("#slots .slot.available").first().click();
    await page.waitForFunction(() => document.getElementById("message").textContent.startsWith("Bookings are paused"));
    const refusedMsg = (await page.textContent("#message")).trim();
    check(/nothing was charged or held\. Try again (in \d+ seconds|shortly)\.$/.test(refusedMsg), "read-only message: " + refusedMsg);
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-read-only.png"), fullPage: true });
    console.log("read-only: " + refusedMsg);
  } finally {
    await mode(false);
  }

  // The page's own flow needs nothing the policy refuses.
  const before = await page.evaluate(() => window.__violations.slice());
  check(before.length === 0, "CSP violations by the page itself: " + JSON.stringify(before));

  // The policy is enforced, not only sent: an inline script added to the page does not run
  // (Trusted Types refuse its text, or script-src refuses to run it).
  const probe = await page.evaluate(() => {
    let thrown = "";
    try {
      const s = document.createElement("script");
      s.textContent = "window.__inline = 1";
      document.body.append(s);
    } catch (e) {
      thrown = e.name;
    }
    return { thrown, inline: window.__inline === undefined ? "blocked" : "ran" };
  });
  check(probe.inline === "blocked", "an inline script ran: " + JSON.stringify(probe));
  const state = await page.evaluate(() => ({ xss: typeof window.__xss, violations: window.__violations }));
  check(state.xss === "undefined", "window.__xss was set: injected markup ran");
  check(state.violations.every((v) => v.startsWith("require-trusted-types-for") || v.startsWith("script-src")),
        "CSP violations: " + JSON.stringify(state.violations));
  console.log(`hostile: tiers shown as text in ${prices.length} slots and the hold; window.__xss ${state.xss}; ` +
              `inline script probe ${probe.inline} (${probe.thrown || "no exception"}); violations ${JSON.stringify(state.violations)}`);
} finally {
  await browser.close();
}
