// The console's entry point (bundled by esbuild into /console/console.js): the token field,
// the role-aware navigation, and each view mounted when it is chosen.
import { $, banner } from "./dom.js";
import { fromFragment, getToken, setToken, claims, viewsFor, roleOf, setRoleClaim } from "./token.js";
import * as oidc from "./oidc.js";
import { load } from "./core.js";
import * as seller from "./seller.js";
import * as oncall from "./oncall.js";
import * as host from "./host.js";

const VIEWS = { seller, host, oncall };

function signedIn() {
  const t = getToken();
  const c = t ? claims(t) : null;
  const role = roleOf(c);
  const views = viewsFor(role);
  $("token").value = t;
  $("who").textContent = c ? `${c.sub} (${role || "no role"})${c.exp && c.exp * 1000 < Date.now() ? " — expired" : ""}` : t ? "not a JWT" : "";
  for (const b of document.querySelectorAll("nav button")) b.hidden = !views.includes(b.dataset.view);
  $("welcome").hidden = views.length > 0;
  if (t && !views.length) banner("This token's role has no view here (sellers and operators only).");
  else banner("");
  const current = document.querySelector("nav button[aria-current]");
  show(current && views.includes(current.dataset.view) ? current.dataset.view : views[0], role);
}

// The view shown; a view left (or shown again) stops its streams and timers first.
let mounted = null;

function show(name, role) {
  if (mounted && VIEWS[mounted].unmount) VIEWS[mounted].unmount();
  mounted = name || null;
  for (const b of document.querySelectorAll("nav button")) {
    if (b.dataset.view === name) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  }
  for (const v of Object.keys(VIEWS)) $(v).hidden = v !== name;
  if (name) VIEWS[name].mount($(name), role);
}

async function start() {
  fromFragment();
  $("signin").addEventListener("submit", (e) => { e.preventDefault(); setToken($("token").value); signedIn(); });
  $("signout").addEventListener("click", () => { setToken(""); signedIn(); });
  for (const b of document.querySelectorAll("nav button")) {
    b.addEventListener("click", () => show(b.dataset.view, roleOf(claims(getToken()))));
  }
  const signInError = await signInSettings();
  try {
    await load();
  } catch (e) {
    banner("aforo-core (wasm) did not load: " + e);
    return;
  }
  signedIn();
  if (signInError) banner(signInError);
  document.body.dataset.ready = "1";
}

// The sign-in the origin offers (GET /console/config): with a provider, a "Sign in" button
// and, when this load comes back from it, the code exchanged for the token. The token field
// stays (development, HS256 tokens). Returns why a sign-in failed, if one did.
async function signInSettings() {
  let cfg = null;
  try {
    const r = await fetch("/console/config", { headers: { accept: "application/json" } });
    cfg = r.ok ? await r.json() : null;
  } catch {
    cfg = null;
  }
  if (!cfg) return null;
  setRoleClaim(cfg.role_claim);
  if (!cfg.oidc) return null;
  $("oidc-signin").hidden = false;
  $("oidc-signin").addEventListener("click", () => oidc.begin(cfg.oidc).catch((e) => banner("Sign-in could not start: " + e.message)));
  try {
    const t = await oidc.complete(cfg.oidc);
    if (t) setToken(t);
    return null;
  } catch (e) {
    return "Sign-in failed: " + e.message;
  }
}

start();
