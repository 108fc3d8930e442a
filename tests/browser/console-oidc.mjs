// The console's "Sign in" through a real OpenID provider (oidc-provider, started by
// tests/idp/oidc-flow.mjs with SERVE_ONLY=1) in Debian's headless Chromium: the button sends
// the browser to the provider, its login and consent pages are filled as a seller would, the
// provider sends the browser back to the console with a code, the page exchanges it (PKCE) at
// the token endpoint and the seller's views appear; the API accepts the id token (JWKS).
// Env: ORIGIN_URL, LOGIN (e.g. seller-7: a seller).
import { check, launch, openPage } from "./launch.mjs";

const { ORIGIN_URL, LOGIN } = process.env;
const browser = await launch();
try {
  const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
  await page.goto(`${ORIGIN_URL}/console/`);
  await page.waitForSelector("body[data-ready='1']");
  check(await page.isVisible("#oidc-signin"), "no Sign in button with a provider configured");
  check(await page.isVisible("#token"), "the token field is gone");

  await page.click("#oidc-signin");
  await page.waitForSelector("input[name='login']");
  const at = new URL(page.url());
  console.log("at the provider: " + at.origin + at.pathname);
  await page.fill("input[name='login']", LOGIN);
  await page.fill("input[name='password']", "any");
  await page.click("button[type='submit']");
  await page.waitForSelector("form input[name='prompt'][value='consent']", { state: "attached" });
  await page.click("button[type='submit']");

  await page.waitForURL((u) => u.href.startsWith(`${ORIGIN_URL}/console/`) && !u.search.includes("code="));
  await page.waitForSelector("body[data-ready='1']");
  await page.waitForFunction((login) => document.getElementById("who").textContent.startsWith(login), LOGIN);
  const who = await page.textContent("#who");
  console.log("signed in: " + who);
  check(await page.isVisible("nav [data-view='seller']"), "a seller does not see the seller view");
  check(!(await page.isVisible("nav [data-view='oncall']")), "a seller sees on-call");
  const banner = (await page.isVisible("#banner")) ? await page.textContent("#banner") : "";
  check(!banner.includes("failed"), "banner: " + banner);
  // The page's calls carry the provider's token, and the API takes it.
  const status = await page.evaluate(async () => (await fetch("/v1/resources", {
    headers: { authorization: "Bearer " + sessionStorage.getItem("aforo.console.token") } })).status);
  console.log("GET /v1/resources with the id token: " + status);
  check(status === 200, "the API refused the id token: " + status);
  check(!(await page.evaluate(() => sessionStorage.getItem("aforo.console.oidc"))), "the PKCE verifier stayed in storage");
  const violations = await page.evaluate(() => window.__violations);
  check(violations.length === 0, "CSP violations: " + violations.join(", "));
  check(errors.length === 0, "page errors: " + errors.join("; "));
} finally {
  await browser.close();
}
