// Calls to this origin's API with the session's token. Every answer is {ok, status, body,
// headers}; a problem+json body keeps its `code`, `detail` and `errors` for the views.
import { getToken } from "./token.js";

export async function call(method, path, { body, headers } = {}) {
  const h = { ...(headers || {}) };
  const t = getToken();
  if (t) h.authorization = "Bearer " + t;
  if (body !== undefined) h["content-type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    return { ok: false, status: 0, body: { code: "NETWORK", detail: String(e) }, headers: new Headers() };
  }
  const text = await r.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { detail: text }; }
  return { ok: r.ok, status: r.status, body: parsed, headers: r.headers };
}

export const get = (path) => call("GET", path);

// A problem as one line: "CODE: detail".
export function problemText(a) {
  const b = a.body || {};
  return `${b.code || a.status}: ${b.detail || b.title || ""}`;
}

// A fresh Idempotency-Key for one intended change.
export function newKey(prefix) {
  const r = crypto.getRandomValues(new Uint8Array(8));
  return prefix + "-" + Array.from(r, (x) => x.toString(16).padStart(2, "0")).join("");
}
