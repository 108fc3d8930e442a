// The host floor of the console in headless Chromium (playwright-core) against the real
// origin and Redis (run by tests/tests/console_e2e.rs): a restaurant with numbered tables
// (RESOURCE_ID, created by the Rust side) and a few buyers' holds on DATE;
//   the seller opens the floor; a buyer's hold made through the API shows on it within 2 s
//   (over Server-Sent Events); the host moves it to another table (its bar moves to that row);
//   a move onto a taken table shows TABLE_TAKEN; an operator releases another seating (its bar
//   goes); a walk-in is seated today; the waiting list beside the floor shows a party waiting,
//   then its offer when a table frees.
// Env: ORIGIN_URL, SELLER_TOKEN, OPS_TOKEN, BUYER_TOKEN, RESOURCE_ID, DATE, TODAY, SHOTS.
import { check, launch, openPage, axe } from "./launch.mjs";

const { ORIGIN_URL, SELLER_TOKEN, OPS_TOKEN, BUYER_TOKEN, RESOURCE_ID, DATE, TODAY, SHOTS } = process.env;
const browser = await launch();
try {
  const { page, errors } = await openPage(browser, { width: 1280, height: 1000 });
  // Event streams open now (window.__streams), counted around fetch: one is open from its
  // answer until it is aborted or ends.
  await page.addInitScript(() => {
    window.__streams = 0;
    const fetch0 = window.fetch;
    window.fetch = async (url, init = {}) => {
      const r = await fetch0(url, init);
      if (!(init.headers && init.headers.accept === "text/event-stream") || !r.ok) return r;
      let open = true;
      const close = () => { if (open) { open = false; window.__streams--; } };
      window.__streams++;
      if (init.signal) init.signal.addEventListener("abort", close);
      return new Response(r.body.pipeThrough(new TransformStream({ flush: close })), r);
    };
  });
  await page.goto(`${ORIGIN_URL}/console/#token=${SELLER_TOKEN}`);
  await page.waitForSelector("body[data-ready='1']");
  const api = (method, path, token, body, key) => page.evaluate(async ([method, path, token, body, key]) => {
    const headers = { authorization: "Bearer " + token, "content-type": "application/json" };
    if (key) headers["idempotency-key"] = key;
    const r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: await r.json() };
  }, [method, path, token, body, key]);
  const hold = async (slot, qty, key) => {
    const h = await api("POST", "/v1/holds", BUYER_TOKEN, { resource_id: RESOURCE_ID, date: DATE, slot, qty }, key);
    check(h.status === 201, `hold ${slot} x${qty}: ` + JSON.stringify(h));
    return { id: h.body.id, tables: h.body.items[0].tables };
  };
  // The evening so far: a few parties (one at the pushed-together tables).
  const other = await hold("21:00", 2, "host-e2e-other");
  await hold("19:30", 4, "host-e2e-a");
  await hold("20:30", 6, "host-e2e-b");
  await hold("22:00", 3, "host-e2e-c");

  // The host's floor, opened by keyboard-usable controls.
  const open = async () => {
    await page.click("nav [data-view='host']");
    await page.waitForSelector(`#host-resource option[value='${RESOURCE_ID}']`, { state: "attached" });
    await page.fill("#host-date", DATE);
    await page.selectOption("#host-resource", RESOURCE_ID);
    await page.waitForSelector(`#floor h3:text("${RESOURCE_ID} on ${DATE}")`);
    await page.waitForFunction(() => document.getElementById("host-live").textContent === "live");
  };
  await open();
  check(await page.isVisible(`#floor [data-hold='${other.id}']`), "a hold made before opening is not on the floor");
  // Every row's time track starts where the head's does, a 32-character table id included:
  // a bar stands under its time whatever the table is called.
  const lefts = await page.$$eval("#floor .floor-row .track", (ts) => ts.map((t) => Math.round(t.getBoundingClientRect().left)));
  check(lefts.length > 2 && lefts.every((l) => Math.abs(l - lefts[0]) <= 1), `the time tracks are not aligned: ${lefts.join(",")}`);
  console.log(`tracks: ${lefts.length} rows aligned at ${lefts[0]} px`);
  const labelled = [await page.getByLabel(/^Restaurant/).count(), await page.getByLabel("Party", { exact: true }).count()];
  check(labelled[0] >= 1 && labelled[1] >= 1, "controls lack labels: " + labelled);

  // A buyer's hold (another tab, through the API) appears within 2 s.
  const fresh = await hold("20:00", 2, "host-e2e-fresh");
  const t0 = Date.now();
  await page.waitForSelector(`#floor [data-hold='${fresh.id}']`, { timeout: 2000 });
  const ms = Date.now() - t0;
  check(ms <= 2000, `the hold took ${ms} ms`);
  const from = fresh.tables.join("+");
  check(await page.isVisible(`.floor-row[data-table='${fresh.tables[0]}'] [data-hold='${fresh.id}']`), "the hold is not on its table's row");
  console.log(`live: the hold ${fresh.id} (party 2 at ${from}) appeared on the floor in ${ms} ms`);
  const coversText = await page.textContent("#floor-covers [data-at='20:00']");
  console.log(`covers: 20:00 window ${coversText}`);

  // The host moves it (keyboard: focus the bar, Enter, choose the table, Move).
  await page.focus(`#floor [data-hold='${fresh.id}']`);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#move-to");
  check(await page.evaluate(() => document.activeElement.id === "move-to"), "Enter on a bar does not bring the focus to its actions");
  const target = "T6";
  await page.selectOption("#move-to", target);
  await page.click("#move-apply");
  await page.waitForSelector(`.floor-row[data-table='${target}'] [data-hold='${fresh.id}']`);
  check(!(await page.isVisible(`.floor-row[data-table='${fresh.tables[0]}'] [data-hold='${fresh.id}']`)), "the bar stayed on the old table");
  console.log(`moved: ${fresh.id} from ${from} to ${target}: ${await page.textContent("#host-status")}`);

  // Escape closes the seating's actions and returns to its bar.
  await page.focus("#move-to");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#move-to", { state: "detached" });
  check(await page.evaluate((id) => document.activeElement.dataset.hold === id, fresh.id), "Escape does not return to the bar");
  // A move onto a table taken for part of the seating: TABLE_TAKEN, shown, nothing changed.
  await page.click(`#floor [data-hold='${other.id}']`);
  await page.waitForSelector(`#host-actions legend:text("${other.id}")`);
  await page.selectOption("#move-to", target);
  await page.click("#move-apply");
  await page.waitForFunction(() => document.getElementById("host-status").textContent.includes("TABLE_TAKEN"));
  console.log("taken: " + (await page.textContent("#host-status")));
  check(await page.isVisible(`.floor-row[data-table='${other.tables[0]}'] [data-hold='${other.id}']`), "a refused move changed the floor");
  check(await page.locator("#release-apply").count() === 0, "a seller is offered the release of a buyer's hold");
  await page.locator("#host").screenshot({ path: `${SHOTS}/console-host.png` });

  // An operator releases the other seating: its bar goes.
  await page.getByLabel("Token", { exact: true }).fill(OPS_TOKEN);
  await page.click("#signin button[type='submit']");
  await open();
  await page.click(`#floor [data-hold='${other.id}']`);
  await page.click("#release-apply");
  await page.click("#confirm-yes");
  await page.waitForSelector(`#floor [data-hold='${other.id}']`, { state: "detached" });
  console.log(`released: ${other.id}: ${await page.textContent("#host-status")}`);

  // A walk-in, seated now (today's floor).
  await page.fill("#host-date", TODAY);
  await page.click("#host-controls button[type='submit']");
  await page.waitForSelector(`#floor h3:text("${RESOURCE_ID} on ${TODAY}")`);
  await page.fill("#walkin-party", "3");
  await page.click("#walkin-apply");
  await page.waitForFunction(() => document.getElementById("host-status").textContent.startsWith("Walk-in: party of 3 seated"));
  const walkin = (await page.textContent("#host-status")).match(/\((hk?_[^)]+)\)/)[1];
  await page.waitForSelector(`#floor [data-hold='${walkin}'][data-state='seated']`);
  console.log("walk-in: " + (await page.textContent("#host-status")));
  await page.locator("#host").screenshot({ path: `${SHOTS}/console-host-walkin.png` });
  // The party leaves early: finished (its table free from the current moment of the grid).
  await page.click(`#floor [data-hold='${walkin}']`);
  await page.click("#finish-apply");
  await page.click("#confirm-yes");
  await page.waitForFunction(() => /^Finish: (?!…)/.test(document.getElementById("host-status").textContent));
  // Finished at the moment it was seated, it may hold its table for no time at all.
  const left = await page.$eval(`#floor [data-hold='${walkin}']`, (b) => b.dataset.state).catch(() => "gone");
  console.log(`finished: ${await page.textContent("#host-status")} (bar: ${left})`);
  check(left === "finished" || left === "gone", "the finished seating shows as " + left);
  // The area filter: only the hall's tables.
  await page.selectOption("#host-area", "hall");
  await page.waitForSelector(".floor-row[data-table='T1']", { state: "detached" });
  check(await page.isVisible(".floor-row[data-table='T3']"), "the hall's tables are not shown");
  console.log("area: hall shows " + (await page.$$eval(".floor-row[data-table]", (r) => r.map((x) => x.dataset.table).join(" "))));
  await page.selectOption("#host-area", "");
  await page.waitForSelector(".floor-row[data-table='T1']");

  // A view left or a page hidden holds no event stream; shown again, it opens one.
  const streams = (n, why) => page.waitForFunction((n) => window.__streams === n, n, { timeout: 5000 })
    .catch(async () => { throw new Error(`${why}: ${await page.evaluate(() => window.__streams)} streams open, want ${n}`); });
  await streams(1, "the floor holds one stream");
  await page.click("nav [data-view='seller']");
  await streams(0, "the floor left for the seller view still streams");
  await open();
  await streams(1, "the floor shown again does not stream");
  const setHidden = (h) => page.evaluate((h) => {
    Object.defineProperty(document, "visibilityState", { value: h ? "hidden" : "visible", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  }, h);
  await setHidden(true);
  await streams(0, "a hidden page still streams");
  await page.waitForFunction(() => document.getElementById("host-live").textContent.startsWith("paused"));
  await setHidden(false);
  await streams(1, "the page shown again does not stream");
  await page.waitForFunction(() => document.getElementById("host-live").textContent === "live");
  const late = await hold("22:30", 2, "host-e2e-after-hidden");
  await page.waitForSelector(`#floor [data-hold='${late.id}']`, { timeout: 5000 });
  // Released again: the floor the Rust side reads afterwards is the one the steps above left.
  const freed = await api("POST", `/v1/holds/${late.id}/release`, BUYER_TOKEN);
  check(freed.status === 200, "release after the streams check: " + JSON.stringify(freed));
  console.log("streams: closed when the floor is left or the page hidden, opened again when shown");

  // The waiting list beside the floor, on the day after: 20:00 full by pacing (8 covers), a
  // party of 2 joins (with its guest), then a party of 4 releases: the list shows the offer,
  // live (the offer is made in the step that freed the covers, and its event redraws).
  const next = new Date(Date.parse(DATE + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);
  const full = [];
  for (const k of ["wl-a", "wl-b"]) {
    const h = await api("POST", "/v1/holds", BUYER_TOKEN, { resource_id: RESOURCE_ID, date: next, slot: "20:00", qty: 4 }, k);
    check(h.status === 201, "filling 20:00: " + JSON.stringify(h));
    full.push(h.body.id);
  }
  const joined = await api("POST", "/v1/waitlist", BUYER_TOKEN,
    { resource_id: RESOURCE_ID, date: next, from: "20:00", to: "20:00", qty: 2, guest: { name: "Lucía Pérez", phone: "+34 600 111 222" } }, "wl-join");
  check(joined.status === 201 && joined.body.position === 1, "join: " + JSON.stringify(joined));
  await page.fill("#host-date", next);
  await page.click("#host-controls button[type='submit']");
  await page.waitForSelector(`#wait-list tr[data-entry='${joined.body.id}'][data-status='waiting']`);
  const waitingRow = (await page.textContent(`#wait-list tr[data-entry='${joined.body.id}']`)).trim();
  check(waitingRow.includes("Lucía Pérez") && waitingRow.includes("#1"), "the waiting row says " + waitingRow);
  const freedAt = Date.now();
  check((await api("POST", `/v1/holds/${full[0]}/release`, BUYER_TOKEN)).status === 200, "release of a party of 4");
  await page.waitForSelector(`#wait-list tr[data-entry='${joined.body.id}'][data-status='offered']`, { timeout: 2000 });
  console.log(`waitlist: ${waitingRow} → offered on the list in ${Date.now() - freedAt} ms: ` +
    (await page.textContent(`#wait-list tr[data-entry='${joined.body.id}']`)).trim());
  // The offer is a held seating on the floor, the party's name on its bar.
  const offer = (await api("GET", `/v1/waitlist/${joined.body.id}`, BUYER_TOKEN)).body.hold_id;
  await page.waitForSelector(`#floor [data-hold='${offer}']`, { timeout: 2000 });
  check((await page.textContent(`#floor [data-hold='${offer}']`)).includes("Lucía Pérez"), "the offer's bar does not name the party");
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/console-waitlist.png`, fullPage: true });
  for (const h of [full[1], offer]) check((await api("POST", `/v1/holds/${h}/release`, BUYER_TOKEN)).status === 200, "clean-up release");
  await page.fill("#host-date", DATE);
  await page.click("#host-controls button[type='submit']");

  // axe on the console's views (signed in as an operator): the floor in English and Spanish
  // (the language switch, kept in localStorage), the seller's resource form with its preview
  // and the day's bookings, on-call.
  await open();
  await axe(page, "host floor (en)");
  await page.selectOption("#host-lang", "es");
  await page.waitForSelector("#host-controls button[type='submit']:text('Ver sala')");
  await page.waitForSelector(`#host-resource option[value='${RESOURCE_ID}']`, { state: "attached" });
  await page.fill("#host-date", DATE);
  await page.selectOption("#host-resource", RESOURCE_ID);
  await page.waitForSelector(`#floor h3:text("${RESOURCE_ID} el ${DATE}")`);
  await page.waitForFunction(() => document.getElementById("host-live").textContent === "en directo");
  check(await page.evaluate(() => localStorage.getItem("aforo.lang")) === "es", "the language picked is not kept");
  await axe(page, "host floor (es)");
  console.log("host floor in Spanish: " + (await page.textContent("#floor .legend")).trim());
  // A seating's guest form, opened on the Spanish floor, is in Spanish too.
  await page.locator("#floor [data-hold]").first().click();
  await page.click("#guest-open");
  await page.waitForSelector("#host-guest legend:text('Cliente de')");
  check(await page.getByLabel("Nombre del cliente").count() === 1, "the guest form on the Spanish floor is not in Spanish");
  await axe(page, "host floor guest form (es)");
  await page.click("#seating-close");
  await page.selectOption("#host-lang", "en");
  await page.waitForSelector("#host-controls button[type='submit']:text('Show floor')");
  await page.click("nav [data-view='seller']");
  await page.click(`#resource-list [data-id='${RESOURCE_ID}']`);
  await page.waitForSelector("#live-state");
  await page.fill("#bookings-date", DATE);
  await page.click("form:has(#bookings-date) button[type='submit']");
  await page.waitForSelector("#bookings table");
  await axe(page, "seller (resource form, preview, bookings list)");
  await page.click("nav [data-view='oncall']");
  await page.waitForSelector("#oncall:not([hidden])");
  await page.waitForTimeout(500);
  await axe(page, "on-call");

  const violations = await page.evaluate(() => window.__violations);
  check(violations.length === 0, "CSP violations: " + violations.join(", "));
  check(errors.length === 0, "page errors: " + errors.join(", "));
  console.log("no CSP violations, no page errors");
} finally {
  await browser.close();
}
