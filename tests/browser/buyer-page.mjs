// Drives the buyer page in Debian's headless Chromium with playwright-core: picks a date and
// party size, sees slots, holds one, and checks that it is held with a countdown.
// Env: EDGE_URL, BUYER_TOKEN, DATE (YYYY-MM-DD), SCREENSHOT (path of the PNG kept).
import { chromium } from "playwright-core";

const { EDGE_URL, BUYER_TOKEN, DATE, SCREENSHOT } = process.env;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  page.setDefaultTimeout(15000);
  await page.goto(EDGE_URL + "/");
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
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  console.log(`held: ${name} for 2 on ${DATE}, ${countdown} left; ${slots.length} slots shown`);

  // A room whose one 6-top is taken at 20:00: a party of 6 is told where it fits instead.
  await page.fill("#resource", "sala");
  await page.fill("#qty", "6");
  await page.click("#show");
  await page.waitForFunction(() => document.getElementById("message").textContent.includes("no table"));
  const message = (await page.textContent("#message")).trim();
  if (!message.startsWith("no table for 6 at 20:00, try 20:30")) throw new Error("message: " + message);
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, "-no-table.png"), fullPage: true });
  console.log(`no-table: ${message}`);
} finally {
  await browser.close();
}
