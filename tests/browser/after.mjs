// A booking's life after the sale in the console, in headless Chromium (playwright-core)
// against the real origin and Redis (run by tests/tests/console_e2e.rs). A restaurant open
// all day (RESOURCE_ID, created by the Rust side without a policy):
//   the seller sets the after-the-sale policy in the document form (a fee of 150 % shown as
//   the validator's error at its field) and saves it; an evening is booked through the API
//   with guests, starting within the hour; in the bookings list the seller finds a guest by
//   name and by phone (one character is explained, not sent), seats one party and finishes a
//   walk-in,
//   is refused a change onto a full slot and picks one of the alternatives offered (the party
//   changes 2 → 3), cancels another booking (the refund shown) and marks a third a no-show
//   (the booking has not started: NOT_STARTED shown — a booking cannot start in the past, so
//   a no-show itself is not reachable here); on the host floor a bar says its guest's name,
//   the host edits its guest (the notes then shown in the seating's actions) and changes
//   its party.
// Env: ORIGIN_URL, SELLER_TOKEN, BUYER_TOKEN, RESOURCE_ID, SHOTS; TZ=UTC (the resource's).
import { check, launch, openPage } from "./launch.mjs";

const { ORIGIN_URL, SELLER_TOKEN, BUYER_TOKEN, RESOURCE_ID, SHOTS } = process.env;
const browser = await launch();
try {
  const { page, errors } = await openPage(browser, { width: 1400, height: 1100 });
  await page.goto(`${ORIGIN_URL}/console/#token=${SELLER_TOKEN}`);
  await page.waitForSelector("body[data-ready='1']");
  const api = (method, path, token, body, key) => page.evaluate(async ([method, path, token, body, key]) => {
    const headers = { authorization: "Bearer " + token, "content-type": "application/json" };
    if (key) headers["idempotency-key"] = key;
    const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: await r.json() };
  }, [method, path, token, body, key]);
  // Every control of `scope` has a name a screen reader says: a label (or aria-label) for a
  // field, text (or aria-label) for a button.
  const unnamed = (scope) => page.$$eval(`${scope} input, ${scope} select, ${scope} textarea, ${scope} button`, (xs) => xs
    .filter((x) => x.type !== "hidden" && !(x.getAttribute("aria-label") || (x.labels && x.labels.length) ||
      (x.tagName === "BUTTON" && x.textContent.trim())))
    .map((x) => x.id || x.outerHTML.slice(0, 60)));
  const named = async (scope) => { const u = await unnamed(scope); check(u.length === 0, `${scope}: controls without a name: ${u.join(", ")}`); };
  const statusOf = (sel) => page.textContent(sel);
  const settled = (sel, re) => page.waitForFunction(([sel, re]) => new RegExp(re).test(document.querySelector(sel)?.textContent || ""), [sel, re.source]);

  // 1. The policy, in the document form: a fee over 100 % is the validator's error at its field.
  await page.click("nav [data-view='seller']");
  await page.click(`#resource-list [data-id='${RESOURCE_ID}']`);
  await page.waitForSelector("#detail-title");
  await page.getByLabel("Late cancellation fee (% of the price)").fill("150");
  await page.getByLabel("Free cancellation until (hours before the start)").fill("24");
  await page.waitForSelector("[data-path='cancellation.fee_percent'][aria-invalid='true']");
  const feeErr = await page.$eval("[data-path='cancellation.fee_percent']", (i) => document.getElementById(i.id + "-err").textContent);
  console.log(`policy: field error at cancellation.fee_percent: ${feeErr}`);
  await page.getByLabel("Late cancellation fee (% of the price)").fill("50");
  await page.getByLabel("Seat from (min before the start)").fill("1440");
  await page.getByLabel("No-show from (min after the start)").fill("0");
  await page.getByLabel("Longest hold, extensions included (s)").fill("3600");
  await page.waitForSelector("[data-path='cancellation.fee_percent']:not([aria-invalid])");
  await page.click("#save");
  await settled("#save-status", /^Saved \(replaced/);
  console.log(`policy saved: ${await statusOf("#save-status")}`);

  // 2. The evening, booked through the API: S within the hour (seatable with early_seat_min
  // 1440), S2 an hour later.
  const at = new Date(Math.ceil((Date.now() + 40 * 60000) / 1800000) * 1800000);
  const date = at.toISOString().slice(0, 10);
  const slot = at.toISOString().slice(11, 16);
  const at2 = new Date(at.getTime() + 3600000);
  const [date2, slot2] = [at2.toISOString().slice(0, 10), at2.toISOString().slice(11, 16)];
  const book = async (name, qty, guest, d = date, s = slot) => {
    const h = await api("POST", "/v1/holds", BUYER_TOKEN, { resource_id: RESOURCE_ID, date: d, slot: s, qty, guest }, `after-e2e-${name}`);
    check(h.status === 201, `hold for ${name}: ` + JSON.stringify(h));
    const c = await api("POST", `/v1/holds/${h.body.id}/consume`, BUYER_TOKEN);
    check(c.status === 200 && c.body.status === "consumed", `consume for ${name}: ` + JSON.stringify(c));
    return h.body.id;
  };
  const ada = await book("ada", 2, { name: "Ada Lovelace", phone: "+34 600 11 22 33", email: "ada@example.com", notes: "allergy: nuts", tags: ["vip", "window"] });
  const bob = await book("bob", 4, { name: "Bob Marley", phone: "+1 555 0100" });
  const cy = await book("cy", 2, { name: "Cy Twombly" });
  const dee = await book("dee", 2, { name: "Dee Dee Ramone", notes: "high chair" }, date2, slot2);
  console.log(`booked: ${ada} ${bob} ${cy} at ${date} ${slot}, ${dee} at ${date2} ${slot2}`);

  // 3. The bookings list: a day's, then a search (too short is said, not sent).
  const row = (id) => `#bookings-table tr[data-hold='${id}']`;
  await page.fill("#bookings-date", date);
  await page.click("#bookings-show");
  await page.waitForSelector(row(ada));
  const adaRow = await page.textContent(row(ada));
  check(/Booked/.test(adaRow) && /Ada Lovelace/.test(adaRow) && /allergy: nuts/.test(adaRow) && /vip, window/.test(adaRow),
    "the row lacks its status, guest, notes or tags: " + adaRow);
  await named("#bookings");
  await page.fill("#bookings-q", "a");
  await page.click("#bookings-show");
  await settled("#bookings-q-err", /at least 2 characters/);
  console.log(`search: too short: ${await statusOf("#bookings-q-err")}`);
  await page.fill("#bookings-q", "lovelace");
  await page.click("#bookings-show");
  await page.waitForFunction((n) => document.querySelectorAll("#bookings-table tbody tr").length === n, 1);
  check(await page.isVisible(row(ada)), "the search by name does not find Ada");
  console.log(`search: lovelace finds ${await page.$$eval("#bookings-table tbody tr", (r) => r.map((x) => x.dataset.hold).join(" "))}`);
  await page.fill("#bookings-q", "600 11 22");
  await page.click("#bookings-show");
  await page.waitForFunction((n) => document.querySelectorAll("#bookings-table tbody tr").length === n, 1);
  check(await page.isVisible(row(ada)), "the search by phone does not find Ada");
  console.log(`search: by phone finds ${ada}: ${await statusOf("#bookings-what")}`);
  await page.fill("#bookings-q", "");
  await page.click("#bookings-show");
  await page.waitForSelector(row(bob));

  const step = async (id, s, confirm) => {
    await page.click(`${row(id)} [data-step='${s}']`);
    if (confirm) await page.click("#confirm-yes");
    await page.waitForFunction(() => !/…$/.test(document.getElementById("bookings-status").textContent));
    return statusOf("#bookings-status");
  };
  // 4. Dee onto the full slot S (party 3: 8 of 10 taken there): refused with alternatives;
  // one of them taken (before Ada is seated and finished: a party finished before its start
  // keeps nothing, and S would have room).
  await page.fill("#bookings-date", date2);
  await page.click("#bookings-show");
  await page.click(`${row(dee)} [data-step='change']`);
  await page.waitForSelector("#bk-change-form");
  await named("#bookings-edit");
  await page.fill("#bk-change-date", date);
  await page.fill("#bk-change-slot", slot);
  await page.fill("#bk-change-party", "3");
  await page.click("#bk-change-apply");
  await settled("#bk-change-status", /refused/);
  const alts = await page.$$eval("#bk-change-alternatives button", (b) => b.map((x) => x.textContent));
  console.log(`change refused: ${await statusOf("#bk-change-status")} alternatives: ${alts.join(" | ")}`);
  check(alts.length > 0, "no alternatives offered");
  await page.click("#bk-change-alternatives button >> nth=0");
  await settled("#bk-change-status", /^Changed/);
  console.log(`change: ${await statusOf("#bk-change-status")}`);
  await page.click("#bookings-edit-close");

  // 5. Seat Ada (early: early_seat_min 1440). A seated party is finished once its seating has
  // started: Eve, a walk-in seated now (with a guest), is finished from the list.
  await page.fill("#bookings-date", date);
  await page.click("#bookings-show");
  await page.waitForSelector(row(ada));
  console.log(`seat: ${await step(ada, "seat")}`);
  await page.waitForSelector(`${row(ada)}[data-status='seated'] [data-step='finish']`);
  const eve = await api("POST", `/v1/resources/${RESOURCE_ID}/walk-ins`, SELLER_TOKEN, { party: 2, guest: { name: "Eve Walker" } }, "after-e2e-eve");
  check(eve.status === 201 && eve.body.status === "seated", "walk-in: " + JSON.stringify(eve));
  await page.fill("#bookings-date", eve.body.items[0].date);
  await page.click("#bookings-show");
  await page.waitForSelector(`${row(eve.body.id)}[data-status='seated']`);
  console.log(`finish: ${await step(eve.body.id, "finish", true)}`);
  await page.waitForSelector(`${row(eve.body.id)}[data-status='finished']`);
  check((await page.textContent(`${row(eve.body.id)} .status`)) === "Finished", "a finished row does not say so");

  // 6. Cancel Bob (the refund said), mark Cy a no-show (not started yet: refused, said).
  await page.fill("#bookings-date", date);
  await page.click("#bookings-show");
  await page.waitForSelector(row(bob));
  console.log(`cancel: ${await step(bob, "cancel", true)}`);
  await page.waitForSelector(`${row(bob)}[data-status='cancelled']`);
  check((await page.textContent(`${row(bob)} .status`)) === "Cancelled", "a cancelled row does not say so");
  console.log(`no-show: ${await step(cy, "no-show", true)}`);
  check(await page.isVisible(`${row(cy)}[data-status='consumed']`), "a refused no-show changed the row");
  await page.locator("#detail").screenshot({ path: `${SHOTS}/console-bookings.png` });

  // 7. The host floor: the guest's name on the bar and in its label, notes in its actions; the
  // host edits Cy's guest and changes Cy's party.
  await page.click("nav [data-view='host']");
  await page.waitForSelector(`#host-resource option[value='${RESOURCE_ID}']`, { state: "attached" });
  await page.fill("#host-date", date);
  await page.selectOption("#host-resource", RESOURCE_ID);
  await page.waitForSelector(`#floor [data-hold='${cy}']`);
  // (Ada, finished before her start, holds no table any more: not drawn.)
  const bar = await page.$eval(`#floor [data-hold='${cy}']`, (b) => [b.textContent, b.getAttribute("aria-label")]);
  check(bar[0].includes("Cy Twombly") && bar[1].includes("Cy Twombly"), "the bar does not name its guest: " + bar);
  console.log(`floor: bar "${bar[0]}" labelled "${bar[1]}"`);
  await page.click(`#floor [data-hold='${cy}']`);
  await page.click("#guest-open");
  await page.fill("#host-guest-notes", "called: 10 minutes late");
  await page.fill("#host-guest-tags", "regular");
  await named("#host-actions");
  await page.click("#host-guest-apply");
  await settled("#host-status", /^Guest: saved/);
  await settled("#seating-guest", /10 minutes late/);
  console.log(`floor guest: ${await statusOf("#seating-guest")}`);
  await page.click("#change-open");
  await page.fill("#host-change-party", "1");
  await page.click("#host-change-apply");
  await settled("#host-status", /^Change: done/);
  console.log(`floor change: ${await statusOf("#host-status")}`);
  await page.waitForFunction((id) => /^1 ·/.test(document.querySelector(`#floor [data-hold='${id}']`)?.textContent || ""), cy);
  await page.locator("#host").screenshot({ path: `${SHOTS}/console-host-guest.png` });

  const violations = await page.evaluate(() => window.__violations);
  check(violations.length === 0, "CSP violations: " + violations.join(", "));
  check(errors.length === 0, "page errors: " + errors.join(", "));
  console.log("no CSP violations, no page errors");
} finally {
  await browser.close();
}
