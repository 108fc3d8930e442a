// A guest on a phone (390×844) books through the buyer page, in one language (LANG: en or
// es, sent as the browser's locale, so as Accept-Language): a free table with guest details
// (a double tap makes one hold), confirm, manage my booking (change, cancel with the refund
// shown); a hold that expires and offers to choose again; a time taken by someone else
// meanwhile (409: said, the time shown full, alternatives offered); a priced stock item
// handed to the marketplace's checkout and back. axe-core checks each view: no serious or
// critical violation.
// Env: EDGE_URL, ORIGIN_URL, BUYER_TOKEN, SELLER_TOKEN, DATE (YYYY-MM-DD), LANG, SHOTS (a
// directory), CHECKOUT_URL (the Worker's setting; the test answers it in the browser).
// Resources (created by tests/tests/buyer_e2e.rs, each suffixed -LANG): mesa (free, tables
// of 2, 2 and 4, lunch and dinner, closed on DATE+1), rapido (hold_ttl_s 2), barra (one
// 4-top, 20:00 only), panettone (stock, priced).
import { check, launch, openPage, axe } from "./launch.mjs";

const { EDGE_URL, ORIGIN_URL, BUYER_TOKEN, SELLER_TOKEN, DATE, LANG, SHOTS, CHECKOUT_URL } = process.env;
const W = {
  en: { lunch: "Lunch", dinner: "Dinner", held: "Held for you", booked: "Booked", cancelled: "Cancelled", expired: "Your hold expired",
        refused: "That time is no longer free.", closed: "closed", refund: "Refund: 100%", confirmed: "Status: confirmed",
        people: "4 people", price: "€18.00", fits: "Where 2 fit instead:", changed: "Changed: ", need_phone: "Please give a phone number." },
  es: { lunch: "Comida", dinner: "Cena", held: "Guardada para ti", booked: "Reservado", cancelled: "Cancelada", expired: "Tu reserva ha caducado",
        refused: "Esa hora ya no está libre.", closed: "cerrado", refund: "Reembolso: 100 %", confirmed: "Estado: confirmada",
        people: "4 personas", price: "18,00 €", fits: "Dónde hay sitio para 2:", changed: "Cambiada: ", need_phone: "Indica un teléfono." },
}[LANG];
const PHONE = { width: 390, height: 844 };
const locale = LANG === "es" ? "es-ES" : "en-US";
const id = (base) => `${base}-${LANG}`;
const norm = (s) => s.replace(/\s+/g, " ").trim();
const log = (what) => console.log(`[${LANG}] ${what}`);

async function inView(page, sel) {
  const b = await page.locator(sel).boundingBox();
  return b && b.y >= 0 && b.y < PHONE.height;
}

async function api(method, path, token, body, key) {
  const headers = { authorization: "Bearer " + token };
  if (body) headers["content-type"] = "application/json";
  if (key) headers["idempotency-key"] = key;
  const r = await fetch(ORIGIN_URL + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json().catch(() => ({})) };
}

async function fillDetails(page, name) {
  await page.fill("#g-name", name);
  await page.fill("#g-phone", "+34 600 000 000");
  await page.fill("#g-email", "guest@example.com");
  await page.fill("#g-notes", "una trona / a high chair");
}

async function open(browser, path) {
  const { page, errors } = await openPage(browser, PHONE, { locale, hasTouch: true });
  // The marketplace hands the page its buyer token in the fragment, as the console takes one.
  await page.goto(EDGE_URL + path + (path.includes("#") ? "&" : "#") + "token=" + BUYER_TOKEN);
  check(!page.url().includes("token="), "the token stays in the address: " + page.url());
  return { page, errors };
}

const browser = await launch();
try {
  // 1. A free table: the place's name, the days, lunch and dinner, the party bounded by the
  //    largest table (4) though qty.max is 8.
  const { page, errors } = await open(browser, `/?resource=${id("mesa")}&date=${DATE}`);
  await page.waitForSelector(".slot.available");
  check(norm(await page.textContent("h1")) === "Casa Pepa", "the place's name: " + (await page.textContent("h1")));
  check(!(await page.textContent("body")).includes(id("mesa")), "the resource id is shown");
  check((await page.getAttribute("html", "lang")) === LANG, "html lang");
  const groups = await page.$$eval("#slots h2", (els) => els.map((e) => e.textContent));
  check(JSON.stringify(groups) === JSON.stringify([W.lunch, W.dinner]), "groups: " + groups);
  const parties = await page.$$eval("#party option", (els) => els.map((e) => e.value));
  check(parties.join(",") === "1,2,3,4", "party options: " + parties);
  const days = await page.$$eval("#days .day", (els) => els.map((e) => e.dataset.date + ":" + e.className + ":" + e.textContent));
  check(days.length === 14 && days.some((d) => d.includes(" closed:") && d.endsWith(W.closed)), "days: " + days.join(" | "));
  check(days.some((d) => d.startsWith(DATE + ":day room")), "DATE has room: " + days.join(" | "));
  await Promise.all([page.waitForResponse((r) => r.url().includes("/availability?") && r.url().includes("qty=4")),
                     page.selectOption("#party", "4")]);
  await page.waitForSelector("#slots .slot.available[data-slot='20:00']");
  await page.locator(`#slots .slot.available[data-slot='20:00']`).tap();
  check(await page.evaluate(() => document.activeElement.id) === "g-name", "the name field is focused after the choice");
  await axe(page, "details form", log);
  // No phone: said, nothing sent.
  await page.fill("#g-name", "Ana");
  await page.click("#hold-button");
  check(norm(await page.textContent("#form-error")) === W.need_phone, "missing phone: " + (await page.textContent("#form-error")));
  const guest = `Ana ${LANG} Pérez`;
  await fillDetails(page, guest);
  const posts = [];
  page.on("request", (r) => { if (r.method() === "POST" && r.url().endsWith("/v1/holds")) posts.push(r.headers()["idempotency-key"]); });
  // A double tap: one hold.
  await page.locator("#hold-button").dblclick();
  await page.waitForSelector("#hold.held #countdown");
  await page.waitForTimeout(300);
  check(posts.length >= 1 && new Set(posts).size === 1, "keys of the taps: " + JSON.stringify(posts));
  check(await page.evaluate(() => document.activeElement.id) === "hold", "the hold is focused");
  check(await inView(page, "#hold-status"), "the hold is in view");
  check(norm(await page.textContent("#hold-status")) === W.held, "hold title");
  check(norm(await page.textContent("#hold-line")).includes(W.people), "hold line: " + (await page.textContent("#hold-line")));
  check(/^\d\d:\d\d$/.test(norm(await page.textContent("#countdown"))), "countdown");
  check(await page.evaluate(() => document.querySelectorAll("[aria-live]").length) === 0, "aria-live before the last minute");
  const found = await api("GET", `/v1/resources/${id("mesa")}/bookings?q=${encodeURIComponent(guest)}`, SELLER_TOKEN);
  check(found.status === 200, "bookings: " + JSON.stringify(found.body));
  const list = found.body.bookings || found.body.items || found.body;
  check(Array.isArray(list) && list.length === 1, "one hold for the double tap: " + JSON.stringify(found.body));
  const holdId = list[0].id || list[0].hold_id;
  check(list[0].guest && list[0].guest.phone === "+34 600 000 000" && list[0].guest.notes === "una trona / a high chair", "guest: " + JSON.stringify(list[0]));
  check(!(await page.textContent("body")).includes(holdId), "the hold id is shown to the guest");
  await axe(page, "held", log);
  await page.screenshot({ path: `${SHOTS}/buyer-phone-${LANG}-held.png` });
  // Confirm (free: consume).
  await page.locator("#confirm").tap();
  await page.waitForSelector("#hold.consumed");
  check(norm(await page.textContent("#hold-status")) === W.booked, "booked title");
  check(norm(await page.textContent("#booking-status")) === W.confirmed, "status: " + (await page.textContent("#booking-status")));
  const manage = await page.getAttribute("#manage-link", "href");
  check(manage.includes("#booking=") && manage.includes(`lang=${LANG}`), "manage link: " + manage);
  await axe(page, "booked", log);
  await page.screenshot({ path: `${SHOTS}/buyer-phone-${LANG}-booked.png` });
  log(`booked: ${norm(await page.textContent("#hold-line"))}; one POST key for ${posts.length} taps`);

  // 2. Manage my booking, from its link: change the time, then cancel (the refund shown).
  const m = await open(browser, manage.replace(EDGE_URL, ""));
  await m.page.waitForSelector("#hold.consumed");
  check(norm(await m.page.textContent("#booking-status")) === W.confirmed, "manage: status");
  await m.page.locator("#change").tap();
  await m.page.waitForSelector("#change-title:not([hidden])");
  await m.page.waitForSelector(".slot.available[data-slot='21:00']");
  await m.page.locator(".slot.available[data-slot='21:00']").tap();
  await m.page.waitForFunction((w) => document.getElementById("message").textContent.startsWith(w), W.changed);
  check((await m.page.textContent("#hold-line")).includes(LANG === "es" ? "21:00" : "9:00"), "changed line: " + (await m.page.textContent("#hold-line")));
  const after = await api("GET", `/v1/holds/${holdId}`, BUYER_TOKEN);
  check(after.body.items[0].slot === "21:00" && after.body.status === "consumed", "changed hold: " + JSON.stringify(after.body));
  await m.page.locator("#cancel").tap();
  await m.page.locator("#cancel-sure").tap();
  await m.page.waitForSelector("#hold.cancelled #refund");
  check(norm(await m.page.textContent("#refund")).startsWith(W.refund), "refund: " + (await m.page.textContent("#refund")));
  check((await api("GET", `/v1/holds/${holdId}`, BUYER_TOKEN)).body.status === "cancelled", "cancelled at the origin");
  await axe(m.page, "cancelled");
  await m.page.screenshot({ path: `${SHOTS}/buyer-phone-${LANG}-cancelled.png` });
  log(`changed to 21:00, cancelled: ${norm(await m.page.textContent("#refund"))}`);
  check(m.errors.length === 0 && errors.length === 0, "page errors: " + [...errors, ...m.errors]);

  // 3. A hold of 2 s: in its last minute from the start (heard), it expires, choose again.
  const x = await open(browser, `/?resource=${id("rapido")}&date=${DATE}`);
  await x.page.locator(".slot.available").first().tap();
  await fillDetails(x.page, "Luis");
  await x.page.locator("#hold-button").tap();
  await x.page.waitForSelector("#countdown-live[aria-live]");
  await x.page.waitForSelector("#choose-again", { timeout: 8000 });
  check(norm(await x.page.textContent("#hold-status")) === W.expired, "expired title");
  await axe(x.page, "expired");
  await x.page.locator("#choose-again").tap();
  await x.page.waitForSelector("#hold", { state: "hidden" });
  await x.page.waitForFunction(() => document.activeElement && document.activeElement.matches(".slot.available"));
  log("expired hold: heard in its last minute, choose again offers the times");

  // 4. Taken meanwhile: the page showed 20:00 free; someone takes the one table; the hold is
  //    refused, said, the time shown full, alternatives offered.
  const b = await open(browser, `/?resource=${id("barra")}&date=${DATE}&party=2`);
  await b.page.locator(".slot.available[data-slot='20:00']").tap();
  await fillDetails(b.page, "Marta");
  const grab = await api("POST", "/v1/holds", BUYER_TOKEN, { resource_id: id("barra"), date: DATE, slot: "20:00", qty: 4 }, `grab-${LANG}`);
  check(grab.status === 201, "grab: " + JSON.stringify(grab.body));
  await b.page.locator("#hold-button").tap();
  await b.page.waitForSelector("#alternatives button.alternative");
  check(norm(await b.page.textContent("#message")) === W.refused, "refusal: " + (await b.page.textContent("#message")));
  check(norm(await b.page.textContent("#alternatives p")) === W.fits, "alternatives title");
  check(await b.page.isDisabled(".slot[data-slot='20:00']"), "the refused time is still offered");
  await axe(b.page, "refused");
  await b.page.screenshot({ path: `${SHOTS}/buyer-phone-${LANG}-refused.png` });
  await b.page.locator("#alternatives button.alternative").first().tap();
  await b.page.locator("#hold-button").tap();
  await b.page.waitForSelector("#hold.held");
  log(`refused: ${norm(await b.page.textContent("#message"))} alternatives held: ${norm(await b.page.textContent("#hold-line"))}`);

  // 5. A priced stock item: held, handed to the marketplace's checkout with the hold id and the
  //    way back; the marketplace confirms it; back on the page it is booked.
  const s = await open(browser, `/?resource=${id("panettone")}`);
  let checkout = null;
  await s.page.route(CHECKOUT_URL + "**", (route) => { checkout = route.request().url(); route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Checkout</title><p>pay" }); });
  await s.page.waitForSelector("#details:not([hidden])");
  await s.page.selectOption("#party", "2");
  await s.page.waitForSelector("#details:not([hidden])");
  check(norm(await s.page.textContent("#chosen")).includes(W.price), "stock price: " + (await s.page.textContent("#chosen")));
  await fillDetails(s.page, "Eva");
  await s.page.locator("#hold-button").tap();
  await s.page.waitForSelector("#hold.held #confirm");
  await axe(s.page, "stock held");
  await Promise.all([s.page.waitForURL(CHECKOUT_URL + "**"), s.page.locator("#confirm").tap()]);
  const c = new URL(checkout);
  const paid = c.searchParams.get("hold");
  check(paid && c.searchParams.get("return").includes("#booking=" + paid), "checkout URL: " + checkout);
  const consume = await api("POST", `/v1/holds/${paid}/consume`, BUYER_TOKEN);
  check(consume.status === 200, "the marketplace's consume: " + JSON.stringify(consume.body));
  await s.page.goto(c.searchParams.get("return"));
  await s.page.waitForSelector("#hold.consumed");
  check(norm(await s.page.textContent("#hold-status")) === W.booked, "back from checkout: booked");
  await s.page.screenshot({ path: `${SHOTS}/buyer-phone-${LANG}-stock.png` });
  log(`stock: checkout ${c.origin}${c.pathname} with hold and return; booked after payment`);

  // The explicit switch: the other language, kept on reload.
  const other = LANG === "es" ? "en" : "es";
  await s.page.selectOption("#lang-switch", other);
  check((await s.page.getAttribute("html", "lang")) === other, "switched");
  await s.page.reload();
  await s.page.waitForSelector("#hold.consumed");
  check((await s.page.getAttribute("html", "lang")) === other && norm(await s.page.textContent("#hold-status")) ===
        (other === "es" ? "Reservado" : "Booked"), "the switch is kept");
  const v = await s.page.evaluate(() => window.__violations);
  check(v.length === 0, "CSP violations: " + JSON.stringify(v));
  log(`switch to ${other} kept on reload; no CSP violation`);
} finally {
  await browser.close();
}
