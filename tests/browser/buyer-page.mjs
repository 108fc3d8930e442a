// Drives the buyer page in Debian's headless Chromium with playwright-core: opens a place's
// link with a date and party size, sees slots, holds one with guest details, and checks that
// it is held with a countdown; then shows
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
  // A place's link with a date and party: `?resource=&date=&party=`. The token box sits in a
  // closed <details>: set it the way a pasted value would be.
  const show = async (resource, date, party) => {
    await page.goto(`${EDGE_URL}/?resource=${resource}&date=${date}&party=${party}&lang=en`);
    await page.locator("#token").evaluate((el, v) => { el.value = v; }, BUYER_TOKEN);
    await page.waitForSelector("#slots .slot");
  };
  // A time chosen, then the guest's details, then the hold.
  const holdWith = async (slot) => {
    await slot.click();
    await page.fill("#g-name", "Ana");
    await page.fill("#g-phone", "600000000");
    await page.click("#hold-button");
  };
  await show("trattoria", DATE, 2);
  await page.waitForSelector(".slot.available, .slot.limited");
  const slots = await page.$$eval(".slot", (els) => els.map((e) => e.dataset.slot + ":" + e.className));
  if (slots.length < 5) throw new Error("too few slots: " + slots.join(", "));
  const pick = page.locator(".slot.available").first();
  const name = await pick.getAttribute("data-slot");
  await holdWith(pick);
  await page.waitForSelector("#hold.held #countdown");
  const status = await page.textContent("#hold-status");
  const countdown = await page.textContent("#countdown");
  if (status.trim() !== "Held for you") throw new Error("hold status is " + status);
  if (!/^\d\d:\d\d$/.test(countdown.trim())) throw new Error("no countdown: " + countdown);
  // The demo restaurant seats every party at numbered tables: the hold names them.
  const tables = await page.textContent("#hold-tables");
  if (!/^Table [A-Z]\d+(\+[A-Z]\d+)*$/.test(tables.trim())) throw new Error("no tables shown: " + tables);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`held: ${name} for 2 on ${DATE} at ${tables.trim()}, ${countdown} left; ${slots.length} slots shown`);

  // A room whose one 6-top is taken at 20:00: the time says there is no table for 6, and
  // the next one has room.
  await show("sala", DATE, 6);
  const noTable = (await page.textContent("#slots .slot[data-slot='20:00'] .status")).trim();
  check(noTable === "no table for 6" && (await page.isDisabled("#slots .slot[data-slot='20:00']")), "20:00 for 6: " + noTable);
  check(!(await page.isDisabled("#slots .slot[data-slot='20:30']")), "20:30 has room for 6");
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-no-table.png"), fullPage: true });
  console.log(`no-table: 20:00 ${noTable}, 20:30 available`);

  // A seller's strings are HTML: they must show as text, and nothing of them may run.
  await show(HOSTILE_ID, DATE, 1);
  await page.waitForSelector(".slot.available, .slot.limited");
  const prices = await page.$$eval("#slots .price", (els) => els.map((e) => e.textContent));
  for (const tier of HOSTILE_TIERS) {
    check(prices.some((p) => p.endsWith(" (" + tier + ")")), `tier ${tier} not shown as text: ${JSON.stringify(prices)}`);
  }
  check((await page.$$("#slots img, #slots script, #hold img, #hold script")).length === 0, "markup from a tier became elements");
  // Hold the slot whose tier is a <script>: the hold box repeats the tier, as text too.
  const scriptTier = HOSTILE_TIERS.find((t) => t.startsWith("<script>"));
  const target = page.locator("#slots .slot", { has: page.locator(".price", { hasText: scriptTier }) }).first();
  await holdWith(target);
  await page.waitForSelector("#hold.held #countdown");
  const box = await page.textContent("#hold");
  check(box.startsWith("Held for you1 person on "), "hold box: " + box);
  check(box.includes("(" + scriptTier + ")"), "hold box: " + box);
  check((await page.$$("#hold img, #hold script")).length === 0, "markup in the hold box became elements");
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-hostile.png"), fullPage: true });

  // Capacity exceeded: a party of 2 does not fit on DATE; the page offers where it does, as
  // buttons, and holding one (from the keyboard) works.
  await show(ALT_ID, DATE, 2);
  await page.waitForSelector("#alternatives button.alternative");
  check(await page.isDisabled("#slots .slot[data-slot='20:00']"), "the full 20:00 seating is offered");
  const alts = await page.$$eval("#alternatives button.alternative", (els) => els.map((e) => e.textContent));
  const first = page.locator("#alternatives button.alternative").first();
  const [altDate, altSlot] = [await first.getAttribute("data-date"), await first.getAttribute("data-slot")];
  check(altDate > DATE && altSlot === "20:00", `first alternative: ${altDate} ${altSlot}`);
  console.log("alternatives: " + alts.join(" | "));
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-alternatives.png"), fullPage: true });
  await first.focus();
  await page.keyboard.press("Enter");
  await page.waitForSelector("#details:not([hidden])");
  await page.fill("#g-name", "Ana");
  await page.fill("#g-phone", "600000000");
  await page.click("#hold-button");
  await page.waitForSelector("#hold.held #countdown");
  const altBox = (await page.textContent("#hold-line")).trim();
  const altLong = new Intl.DateTimeFormat("en", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(new Date(altDate + "T12:00:00Z"));
  check((await page.textContent("#hold-status")).trim() === "Held for you", "alternative hold: " + altBox);
  check(altBox === `2 people on ${altLong} at 8:00 PM`, "alternative hold box: " + altBox);
  check((await page.textContent("#hold-tables")).trim() === "Table B1", "alternative hold tables: " + altBox);
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
    await show("trattoria", DATE, 2);
    await page.waitForSelector("#slots .slot.available");
    await holdWith(page.locator("#slots .slot.available").last());
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
