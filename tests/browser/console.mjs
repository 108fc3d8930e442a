// Drives the console (served by the origin at /console/) in Debian's headless Chromium with
// playwright-core, against the real origin and Redis:
//   a seller opens the link ./dev prints (token in the fragment), creates a restaurant from the
//   template, sets weekly hours and a season, sees an invalid value's error at its field (from
//   aforo-core in wasm), fixes it, sees the preview and saves; the buyer page at the edge
//   (EDGE_URL) shows the slots the seller's hours make on that Monday; then an operator switches the
//   store to read-only (with the confirmation step) and a buyer's hold is refused with READ_ONLY.
// Env: ORIGIN_URL, EDGE_URL, SELLER_TOKEN, OPS_TOKEN, BUYER_TOKEN, RESOURCE_ID, SHOTS (folder for PNGs).
import { check, launch, openPage } from "./launch.mjs";

const { ORIGIN_URL, EDGE_URL, SELLER_TOKEN, OPS_TOKEN, BUYER_TOKEN, RESOURCE_ID, SHOTS } = process.env;
const browser = await launch();
try {
  const { page, errors } = await openPage(browser, { width: 1280, height: 900 });

  // The link ./dev prints: the token is read once into session storage and leaves the URL.
  const resp = await page.goto(`${ORIGIN_URL}/console/#token=${SELLER_TOKEN}`);
  const csp = resp.headers()["content-security-policy"] || "";
  for (const d of ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "frame-ancestors 'none'",
                   "require-trusted-types-for 'script'"]) check(csp.includes(d), `CSP lacks ${d}: ${csp}`);
  await page.waitForSelector("body[data-ready='1']");
  check(!page.url().includes("token="), "the token stayed in the URL: " + page.url());
  check(await page.evaluate(() => sessionStorage.length === 1 && localStorage.length === 0), "the token is not in session storage only");
  check((await page.getByLabel("Token", { exact: true }).inputValue()) === SELLER_TOKEN, "the Token field does not hold the token");
  check(await page.isVisible("nav [data-view='seller']") && !(await page.isVisible("nav [data-view='oncall']")),
    "a seller sees the seller view and not on-call");
  console.log("signed in: " + (await page.textContent("#who")));

  // A restaurant from the template.
  await page.selectOption("#template", "restaurant");
  // The template says its defaults before it is used.
  const defaults = await page.textContent("#template-defaults");
  check(defaults.includes("slot capacity 16") && defaults.includes("pacing 20 per 30 min"), "the template's defaults are not shown: " + defaults);
  await page.fill("#new-id", RESOURCE_ID);
  await page.click("#new-start");
  await page.waitForSelector(".heatmap [data-date]");
  // Weekly hours: Mondays too, and a lunch-only Sunday.
  await page.fill("[data-path='hours.mon']", "19:30-23:30");
  await page.fill("[data-path='hours.sun']", "13:00-16:30");
  // A season with a bigger slot capacity.
  await page.click("[data-add='seasons']");
  await page.fill("[data-path='seasons[0].name']", "verano");
  await page.fill("[data-path='seasons[0].overrides.slot_capacity']", "20");
  // A closure added and removed, a combination of three tables, a price trigger; the raw JSON
  // view edits the same document.
  await page.click("[data-add='closures']");
  await page.fill("[data-path='closures[0].reason']", "inventario");
  await page.click("button[aria-label='Remove closures 1']");
  check(await page.locator("[data-path='closures[0].reason']").count() === 0, "the closure was not removed");
  await page.click("[data-add='dimensions.slots.combinations']");
  await page.fill("[data-path='dimensions.slots.combinations[1].of']", "T1+T2+T3");
  await page.click("[data-add='pricing.triggers']");
  await page.click("#raw-view summary");
  const raw = JSON.parse(await page.inputValue("#raw-json"));
  check(JSON.stringify(raw.dimensions.slots.combinations[1].of) === '["T1","T2","T3"]' && raw.pricing.triggers.length === 2 && !raw.closures,
    "the raw view does not follow the form: " + JSON.stringify(raw));
  raw.horizon_days = 90;
  await page.fill("#raw-json", JSON.stringify(raw));
  await page.click("#raw-apply");
  check((await page.inputValue("[data-path='horizon_days']")) === "90", "the form does not follow the raw view");
  await page.click("#raw-view summary");

  // An invalid value: its error shows at its field, from the core in wasm, before any save.
  const interval = page.locator("[data-path='dimensions.slots.interval_min']");
  await interval.fill("0");
  await page.waitForSelector("[data-path='dimensions.slots.interval_min'][aria-invalid='true']");
  const errId = await interval.getAttribute("aria-describedby");
  const fieldError = (await page.textContent("#" + errId)).trim();
  check(fieldError.length > 0, "no error at the interval field");
  await page.click("#save");
  check((await page.textContent("#save-status")).includes("Not saved"), "an invalid document was sent");
  await page.screenshot({ path: `${SHOTS}/console-field-error.png`, fullPage: false });
  console.log("field error: dimensions.slots.interval_min: " + fieldError);
  await interval.fill("15");
  await page.waitForSelector("[data-path='dimensions.slots.interval_min']:not([aria-invalid])");
  // The preview of next month (whatever today is, it has open Mondays within the horizon).
  const now = new Date();
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
  await page.fill("#preview-month", next);
  await page.waitForSelector(`.heatmap [data-date='${next}-01']`);
  const monday = await page.$$eval(".heatmap [data-date]", (els) => els.map((e) => [e.dataset.date, e.dataset.status])
    .find(([d, s]) => new Date(d + "T12:00:00Z").getUTCDay() === 1 && s === "available"));
  check(monday, "no open Monday in the preview; problems: " + (await page.textContent("#errors")));
  await page.click(`.heatmap [data-date='${monday[0]}']`);
  await page.waitForSelector("#day-slots [data-slot='19:30']");
  const slots = await page.$$eval("#day-slots [data-slot]", (els) => els.map((e) => e.dataset.slot));
  console.log(`preview: ${monday[0]} has ${slots.length} slots from ${slots[0]} to ${slots[slots.length - 1]}`);
  // Each slot says which rule binds it (aforo-core's limited_by): with nothing booked, the
  // tables (one party at a time) or the slot's own capacity.
  const rules = await page.$$eval("#day-slots [data-slot]", (els) => els.map((e) => e.dataset.rule));
  check(rules.length && rules.every((r) => r === "tables" || r === "slot_capacity" || r === "lead_time"), "slots without their binding rule: " + rules.join(" "));
  console.log("preview: 19:30 reads " + (await page.textContent("#day-slots [data-slot='19:30']")));
  // Pacing of 20 per 15 minutes under a slot capacity of 16 is warned about, not refused.
  await page.fill("[data-path='dimensions.slots.pacing.window_min']", "15");
  await page.waitForSelector("#doc-warnings li[data-path='dimensions.slots.pacing.max']");
  await page.fill("[data-path='dimensions.slots.pacing.window_min']", "30");
  await page.waitForFunction(() => !document.querySelector("#doc-warnings li[data-path='dimensions.slots.pacing.max']"));
  await page.click("#save");
  await page.waitForFunction(() => document.getElementById("save-status").textContent.startsWith("Saved"));
  console.log("saved: " + (await page.textContent("#save-status")));

  // The buyer page at the edge shows the new restaurant's slots on that Monday: the ones the
  // seller's hours (19:30-23:30) make, as the preview showed them.
  const buyer = await browser.newPage({ viewport: { width: 900, height: 700 } });
  buyer.setDefaultTimeout(15000);
  await buyer.goto(`${EDGE_URL}/?resource=${RESOURCE_ID}&date=${monday[0]}&party=2`);
  await buyer.waitForSelector("#slots .slot.available, #slots .slot.limited");
  const atEdge = await buyer.$$eval("#slots .slot", (els) => els.map((e) => e.dataset.slot));
  check(atEdge[0] === "19:30" && JSON.stringify(atEdge) === JSON.stringify(slots),
    `the edge shows ${atEdge.join(" ")}; the preview showed ${slots.join(" ")}`);
  await buyer.screenshot({ path: `${SHOTS}/console-edge-buyer-page.png`, fullPage: true });
  console.log(`edge: the buyer page shows ${atEdge.length} slots on ${monday[0]} from ${atEdge[0]} to ${atEdge[atEdge.length - 1]}`);
  await buyer.close();
  await page.click(`#resource-list [data-id='${RESOURCE_ID}']`);
  await page.waitForSelector("#live-state");
  await page.waitForFunction(() => document.getElementById("live-state").textContent === "live");

  // A buyer holds a table: the change arrives over Server-Sent Events within 2 s.
  const api = (method, path, token, body, key) => page.evaluate(async ([method, path, token, body, key]) => {
    const headers = { authorization: "Bearer " + token, "content-type": "application/json" };
    if (key) headers["idempotency-key"] = key;
    const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: await r.json() };
  }, [method, path, token, body, key]);
  const held = await api("POST", "/v1/holds", BUYER_TOKEN, { resource_id: RESOURCE_ID, date: monday[0], slot: "19:30", qty: 2 }, "e2e-1");
  check(held.status === 201, "hold: " + JSON.stringify(held));
  const t0 = Date.now();
  await page.waitForFunction((id) => [...document.querySelectorAll("#live-log li")].some((li) => li.textContent.includes(id)),
    held.body.id, { timeout: 2000 });
  console.log(`live: the hold ${held.body.id} appeared in ${Date.now() - t0} ms`);
  // The month as the origin answers it, with that booking.
  await page.fill("#preview-month", next);
  await page.selectOption("#preview-source", "origin");
  await page.waitForSelector(`.heatmap [data-date='${monday[0]}']`);
  await page.click(`.heatmap [data-date='${monday[0]}']`);
  await page.waitForFunction(() => (document.querySelector("#preview-day h4") || {}).textContent?.includes("with bookings"));
  await page.waitForSelector("#day-slots [data-slot='19:30']");
  console.log("origin month: 19:30 on " + monday[0] + " shows " + (await page.textContent("#day-slots [data-slot='19:30']")));
  await page.screenshot({ path: `${SHOTS}/console-seller.png`, fullPage: false });

  // Someone else saves meanwhile: 412, then "overwrite with mine".
  const theirs = await api("GET", `/v1/resources/${RESOURCE_ID}`, SELLER_TOKEN);
  const moved = await api("PUT", `/v1/resources/${RESOURCE_ID}`, SELLER_TOKEN, { ...theirs.body.document, name: "Changed elsewhere" });
  check(moved.status === 200, "PUT elsewhere: " + JSON.stringify(moved));
  await page.fill("[data-path='name']", "Casa Nueva");
  await page.click("#save");
  await page.waitForSelector("#conflict-overwrite");
  console.log("conflict: " + (await page.textContent("#save-status")));
  await page.click("#conflict-overwrite");
  await page.waitForFunction(() => document.getElementById("save-status").textContent.startsWith("Saved (replaced"));

  // A slot capacity under what is held: the warning, then "save anyway".
  await page.fill("[data-path='dimensions.slots.capacity']", "1");
  await page.click("#save");
  await page.waitForSelector("#save-anyway");
  console.log("overcommit: " + (await page.textContent("#save-warning p")));
  await page.click("#save-anyway");
  await page.waitForFunction(() => document.getElementById("save-status").textContent.startsWith("Saved (replaced"));
  console.log("saved anyway: " + (await page.textContent("#save-status")));

  // Pause with a reason, then stock adjusted on the shop item (with an Idempotency-Key).
  await page.fill("#pause-reason", "kitchen works");
  await page.click("#pause-toggle");
  await page.waitForSelector(`#resource-list [data-id='${RESOURCE_ID}']:text("paused")`);
  await page.waitForFunction(() => document.getElementById("pause-toggle").textContent === "Resume sales");
  await page.click("#pause-toggle");
  await page.waitForFunction(() => document.getElementById("pause-toggle").textContent === "Pause sales");
  console.log("paused and resumed");
  await page.click("#resource-list [data-id='panettone']");
  await page.waitForSelector("#stock-apply");
  await page.selectOption("#stock-how", "delta");
  await page.fill("#stock-amount", "-2");
  await page.click("#stock-apply");
  await page.waitForFunction(() => document.getElementById("action-status").textContent.startsWith("Stock:"));
  console.log("stock: " + (await page.textContent("#action-status")));

  // The operator: on-call view, read-only with a confirmation, and a hold refused.
  await page.getByLabel("Token", { exact: true }).fill(OPS_TOKEN);
  await page.click("#signin button[type='submit']");
  check(await page.isVisible("nav [data-view='oncall']"), "ops does not see on-call");
  // An operator releases the buyer's hold from the bookings of that day.
  await page.click("nav [data-view='seller']");
  await page.click(`#resource-list [data-id='${RESOURCE_ID}']`);
  await page.fill("#bookings-date", monday[0]);
  await page.click("form:has(#bookings-date) button[type='submit']");
  await page.waitForSelector("#bookings table");
  await page.click("#bookings button:text('Release')");
  await page.click("#confirm-yes");
  await page.waitForSelector("#bookings tbody tr[data-status='released']");
  check((await page.textContent("#bookings tbody tr .status")) === "Released", "a released row does not say so");
  console.log("bookings: " + (await page.textContent("#bookings tbody tr")));
  await page.click("nav [data-view='oncall']");
  await page.waitForSelector("#mode-state");
  check((await page.textContent("#mode-state")).includes("on"), "writes are not on at first");
  await page.fill("#mode-reason", "console e2e");
  await page.click("#mode-toggle");
  await page.waitForSelector("dialog[open]");
  await page.click("#confirm-yes");
  await page.waitForFunction(() => document.getElementById("mode-state").textContent.includes("READ-ONLY"));
  const refused = await page.evaluate(async ([token, id]) => {
    const r = await fetch("/v1/holds", { method: "POST", headers: { authorization: "Bearer " + token, "idempotency-key": "e2e-ro",
      "content-type": "application/json" }, body: JSON.stringify({ resource_id: "panettone", qty: 1 }) });
    return [r.status, (await r.json()).code];
  }, [BUYER_TOKEN, RESOURCE_ID]);
  check(refused[0] === 503 && refused[1] === "READ_ONLY", "the hold was not refused: " + refused);
  console.log(`read-only: a hold answered ${refused[0]} ${refused[1]}`);
  await page.click("#check-run");
  await page.waitForSelector("#check-summary");
  console.log("drift check: " + (await page.textContent("#check-summary")));
  await page.fill("#audit-type", "mode.changed");
  await page.click("form:has(#audit-type) button[type='submit']");
  await page.waitForSelector("#oncall-audit table");
  console.log("audit: " + (await page.textContent("#oncall-audit tbody tr")).slice(0, 120));
  await page.screenshot({ path: `${SHOTS}/console-oncall.png`, fullPage: false });

  const violations = await page.evaluate(() => window.__violations);
  check(violations.length === 0, "CSP violations: " + violations.join(", "));
  check(errors.length === 0, "page errors: " + errors.join(", "));
  console.log("no CSP violations, no page errors");
} finally {
  await browser.close();
}
