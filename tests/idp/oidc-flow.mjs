// A real OpenID provider (the `oidc-provider` package) signing in the console's way: the
// console's own module (console/src/oidc.js) builds the authorization request (PKCE S256,
// state, nonce), the provider's login and consent pages are submitted as a user would, the
// code comes back to the console's redirect URI and is exchanged with the verifier at the
// token endpoint, and the id token goes through the console's checks. tests/tests/origin/jwks.rs
// then has the origin verify those tokens against the provider's own key set.
//
// argv: the console's redirect URI (a loopback one: as RFC 8252 says for native clients, any
// port of it is accepted). stdout, one line: {"issuer", "jwks_url", "client_id", "tokens":
// {login: id token}}; the provider keeps serving until stdin closes. With SERVE_ONLY=1 no
// sign-in is made here (tests/browser/console-oidc.mjs makes one in Chromium): "tokens" is {}.
import { createServer } from "node:http";
import Provider from "oidc-provider";
import { exportJWK, generateKeyPair } from "jose";
import { authorizeUrl, bearerOf, callbackOf, challengeOf, randomString, tokenRequest } from "../../console/src/oidc.js";

const ROLE = "https://marketplace.test/role";
const redirect = process.argv[2];
const CLIENT = "aforo-console";

const keys = [];
for (const [kid, alg] of [["op-rsa", "RS256"], ["op-es", "ES256"], ["op-ed", "EdDSA"]]) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  keys.push({ ...(await exportJWK(privateKey)), kid, alg, use: "sig" });
}

const server = await new Promise((ok) => {
  const s = createServer();
  s.listen(0, "127.0.0.1", () => ok(s));
});
const issuer = `http://localhost:${server.address().port}`;
const provider = new Provider(issuer, {
  clients: [
    { client_id: CLIENT, token_endpoint_auth_method: "none", application_type: "native", redirect_uris: [redirect],
      grant_types: ["authorization_code"], response_types: ["code"], id_token_signed_response_alg: process.env.ID_TOKEN_ALG || "RS256" },
  ],
  jwks: { keys },
  enabledJWA: { idTokenSigningAlgValues: ["RS256", "ES256", "EdDSA"] },
  claims: { openid: ["sub"], profile: [ROLE] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  // The console's page (on any loopback port) may call the token endpoint.
  clientBasedCORS: (_ctx, origin) => /^http:\/\/127\.0\.0\.1(:\d+)?$/.test(origin),
  // A login is an account whose role is the login's first word: "seller-7" is a seller.
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, [ROLE]: sub.split("-")[0] }) }),
});
provider.on("server_error", (_ctx, e) => console.error("provider:", e));
server.on("request", provider.callback());

// One browser's cookies.
function jar() {
  const cookies = new Map();
  return {
    header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; "),
    take(res) {
      for (const c of res.headers.getSetCookie()) {
        const [kv] = c.split(";");
        const i = kv.indexOf("=");
        cookies.set(kv.slice(0, i), kv.slice(i + 1));
      }
    },
  };
}

async function signIn(login) {
  const cookies = jar();
  const go = async (url, init = {}) => {
    const res = await fetch(new URL(url, issuer), { redirect: "manual", ...init, headers: { ...(init.headers || {}), cookie: cookies.header() } });
    cookies.take(res);
    return res;
  };
  const cfg = { authorization_url: `${issuer}/auth`, token_url: `${issuer}/token`, client_id: CLIENT, scope: "openid profile", bearer: "id_token" };
  const verifier = randomString(32);
  const state = randomString(16);
  const nonce = randomString(16);
  let res = await go(authorizeUrl(cfg, { state, nonce, challenge: await challengeOf(verifier), redirect }));
  // Login, then consent: each an interaction page whose form the user submits.
  for (const form of [{ prompt: "login", login, password: "any" }, { prompt: "consent" }]) {
    const page = await go(res.headers.get("location"));
    const html = await page.text();
    const action = /action="([^"]+)"/.exec(html);
    if (!action) throw new Error(`no form on the ${form.prompt} page (${page.status}): ${html.slice(0, 300)}`);
    res = await go(action[1], { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
    res = await go(res.headers.get("location")); // back to the authorization endpoint
  }
  const back = new URL(res.headers.get("location"));
  if (back.href.split("?")[0] !== redirect) throw new Error(`sent to ${back} rather than the console`);
  const cb = callbackOf(back.search);
  if (!cb || cb.error || cb.state !== state) throw new Error(`callback ${back.search}`);
  const answer = await (await fetch(cfg.token_url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: tokenRequest(cfg, { code: cb.code, verifier, redirect }) })).json();
  // The same code again is refused by the provider (it was used), and so by the console.
  const again = await (await fetch(cfg.token_url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
    body: tokenRequest(cfg, { code: cb.code, verifier, redirect }) })).json();
  try { bearerOf(cfg, again, nonce); throw new Error("a used code was exchanged twice"); } catch (e) { if (!/invalid_grant/.test(e.message)) throw e; }
  return bearerOf(cfg, answer, nonce);
}

const tokens = {};
if (process.env.SERVE_ONLY !== "1") for (const login of ["seller-7", "ops-3", "buyer-5"]) tokens[login] = await signIn(login);
process.stdout.write(JSON.stringify({ issuer, jwks_url: `${issuer}/jwks`, client_id: CLIENT, tokens }) + "\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
