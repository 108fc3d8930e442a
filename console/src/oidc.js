// Signing in through the marketplace's OpenID Connect provider, when the origin names one
// (GET /console/config): the authorization code flow with PKCE (RFC 7636, S256) for a public
// client, all in this page. Sign-in sends the browser to the provider with a fresh verifier's
// challenge, a state and a nonce kept in this tab's sessionStorage; the provider sends it back
// to the console with ?code=&state=; the page checks the state, exchanges the code and its
// verifier at the token endpoint, checks the id token's nonce and keeps the configured token
// as its bearer (token.js). The API verifies that token on every call; nothing here trusts it.

const PENDING = "aforo.console.oidc";

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

// A random base64url string of `n` random bytes (43 characters for 32: a verifier of RFC 7636).
export const randomString = (n = 32) => b64url(crypto.getRandomValues(new Uint8Array(n)));

// The S256 challenge of a verifier: base64url(SHA-256(verifier)).
export async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

// Where the provider sends the browser back: the configured URI, or this page without its
// query and fragment.
export const redirectUri = (cfg, loc) => cfg.redirect_uri || loc.origin + loc.pathname;

// The authorization request's URL (the provider's endpoint may carry parameters of its own).
export function authorizeUrl(cfg, { state, nonce, challenge, redirect }) {
  const u = new URL(cfg.authorization_url);
  const p = {
    response_type: "code",
    client_id: cfg.client_id,
    redirect_uri: redirect,
    scope: cfg.scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  };
  for (const [k, v] of Object.entries(p)) u.searchParams.set(k, v);
  return u.toString();
}

// The token request's form body.
export function tokenRequest(cfg, { code, verifier, redirect }) {
  return new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirect, client_id: cfg.client_id, code_verifier: verifier });
}

// What the provider sent back in the query: {code, state}, {error}, or null (not a callback).
export function callbackOf(search) {
  const q = new URLSearchParams(search);
  if (q.has("error")) return { error: `${q.get("error")}${q.has("error_description") ? ": " + q.get("error_description") : ""}`, state: q.get("state") };
  if (q.has("code") && q.has("state")) return { code: q.get("code"), state: q.get("state") };
  return null;
}

// The claims of a JWT, unverified (the nonce check; the API verifies the signature).
function payload(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return null;
  }
}

// The bearer token of a token endpoint's answer: the configured one, after the id token's
// nonce matched the one sent. Throws, in words, otherwise.
export function bearerOf(cfg, answer, nonce) {
  if (!answer || typeof answer !== "object") throw new Error("the token endpoint did not answer JSON");
  if (answer.error) throw new Error(`the provider refused: ${answer.error}${answer.error_description ? ": " + answer.error_description : ""}`);
  if (answer.id_token) {
    const c = payload(answer.id_token);
    if (!c || c.nonce !== nonce) throw new Error("the id token's nonce is not the one this page sent: sign in again");
  }
  const t = answer[cfg.bearer];
  if (typeof t !== "string" || t.split(".").length !== 3) throw new Error(`the provider's answer has no ${cfg.bearer} JWT`);
  return t;
}

// Sends the browser to the provider.
export async function begin(cfg) {
  const verifier = randomString(32);
  const state = randomString(16);
  const nonce = randomString(16);
  const redirect = redirectUri(cfg, location);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, redirect }));
  location.assign(authorizeUrl(cfg, { state, nonce, challenge: await challengeOf(verifier), redirect }));
}

// On the way back from the provider: the bearer token, null when this load is no callback.
// The code leaves the address bar at once. Throws, in words, when the sign-in failed.
export async function complete(cfg) {
  const cb = callbackOf(location.search);
  if (!cb) return null;
  history.replaceState(null, "", location.pathname);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  if (!pending || cb.state !== pending.state) throw new Error("this sign-in was not started from this tab (state): sign in again");
  if (cb.error) throw new Error(`the provider refused: ${cb.error}`);
  let r;
  try {
    r = await fetch(cfg.token_url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: tokenRequest(cfg, { code: cb.code, verifier: pending.verifier, redirect: pending.redirect }),
    });
  } catch (e) {
    throw new Error(`the token endpoint could not be reached: ${e}`);
  }
  let answer = null;
  try { answer = await r.json(); } catch { /* handled by bearerOf */ }
  if (!r.ok && !(answer && answer.error)) throw new Error(`the token endpoint answered ${r.status}`);
  return bearerOf(cfg, answer, pending.nonce);
}
