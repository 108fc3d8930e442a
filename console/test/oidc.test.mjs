// The console's OpenID Connect sign-in (src/oidc.js) under node's test runner: PKCE as RFC 7636
// computes it, the authorization and token requests as the provider reads them, the callback
// and the token endpoint's answer, and the role a provider's token names (src/token.js).
// tests/idp/oidc-flow.mjs runs the same module against a real OpenID provider.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomString, challengeOf, authorizeUrl, tokenRequest, callbackOf, bearerOf, redirectUri } from "../src/oidc.js";
import { roleOf, setRoleClaim } from "../src/token.js";

const cfg = {
  authorization_url: "https://id.marketplace.test/authorize?prompt=login",
  token_url: "https://id.marketplace.test/oauth/token",
  client_id: "aforo-console",
  scope: "openid profile",
  redirect_uri: null,
  bearer: "id_token",
};

test("PKCE: the S256 challenge of RFC 7636 appendix B, and fresh verifiers", async () => {
  assert.equal(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const v = randomString(32);
  assert.match(v, /^[A-Za-z0-9_-]{43}$/, "43 unreserved characters");
  assert.notEqual(randomString(32), v);
  assert.match(await challengeOf(v), /^[A-Za-z0-9_-]{43}$/, "base64url without padding");
});

test("the authorization request carries the code flow's parameters and keeps the endpoint's own", () => {
  const u = new URL(authorizeUrl(cfg, { state: "st", nonce: "no", challenge: "ch", redirect: "https://aforo.test/console/" }));
  assert.equal(u.origin + u.pathname, "https://id.marketplace.test/authorize");
  assert.deepEqual(Object.fromEntries(u.searchParams), {
    prompt: "login",
    response_type: "code",
    client_id: "aforo-console",
    redirect_uri: "https://aforo.test/console/",
    scope: "openid profile",
    state: "st",
    nonce: "no",
    code_challenge: "ch",
    code_challenge_method: "S256",
  });
  assert.equal(redirectUri(cfg, { origin: "https://aforo.test", pathname: "/console/" }), "https://aforo.test/console/");
  assert.equal(redirectUri({ ...cfg, redirect_uri: "https://x.test/cb" }, { origin: "o", pathname: "/" }), "https://x.test/cb");
});

test("the token request sends the code with its verifier", () => {
  const body = tokenRequest(cfg, { code: "c0de", verifier: "v3r", redirect: "https://aforo.test/console/" });
  assert.equal(body.toString(), "grant_type=authorization_code&code=c0de&redirect_uri=https%3A%2F%2Faforo.test%2Fconsole%2F&client_id=aforo-console&code_verifier=v3r");
});

test("a callback is a code with its state, or an error", () => {
  assert.deepEqual(callbackOf("?code=abc&state=xyz"), { code: "abc", state: "xyz" });
  assert.deepEqual(callbackOf("?error=access_denied&error_description=no&state=s"), { error: "access_denied: no", state: "s" });
  assert.equal(callbackOf("?state=only"), null);
  assert.equal(callbackOf(""), null);
});

const jwt = (claims) => ["e30", Buffer.from(JSON.stringify(claims)).toString("base64url"), "sig"].join(".");

test("the bearer is the configured token, once the id token's nonce matches", () => {
  const id = jwt({ sub: "u", nonce: "n1" });
  assert.equal(bearerOf(cfg, { id_token: id, access_token: "opaque" }, "n1"), id);
  const at = jwt({ sub: "u" });
  assert.equal(bearerOf({ ...cfg, bearer: "access_token" }, { id_token: id, access_token: at }, "n1"), at);
  assert.throws(() => bearerOf(cfg, { id_token: id }, "n2"), /nonce/);
  assert.throws(() => bearerOf({ ...cfg, bearer: "access_token" }, { id_token: id, access_token: "opaque" }, "n1"), /no access_token JWT/);
  assert.throws(() => bearerOf(cfg, { error: "invalid_grant", error_description: "code used" }, "n1"), /invalid_grant: code used/);
  assert.throws(() => bearerOf(cfg, null, "n1"), /did not answer JSON/);
});

test("the role is read from the configured claim, as the API reads it", () => {
  setRoleClaim("https://marketplace.test/role");
  assert.equal(roleOf({ "https://marketplace.test/role": "seller" }), "seller");
  assert.equal(roleOf({ "https://marketplace.test/role": ["viewer", "ops"] }), "ops");
  assert.equal(roleOf({ "https://marketplace.test/role": ["ops", "seller"] }), null, "several: none");
  assert.equal(roleOf({ role: "seller" }), "seller", "an HS256 token keeps role");
  assert.equal(roleOf({ "https://marketplace.test/role": "admin" }), null);
  setRoleClaim(null);
  assert.equal(roleOf({ role: "ops" }), "ops");
  assert.equal(roleOf(null), null);
});
