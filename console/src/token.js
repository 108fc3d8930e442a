// The token: typed into the field labelled "Token", or handed over once in the URL fragment
// (`/console/#token=...`, as ./dev prints it) and removed from the address bar at once. Kept
// in sessionStorage only (this tab, until it closes). Its role is decoded here only to choose
// which views to show; the API checks every call.

const KEY = "aforo.console.token";

export function fromFragment() {
  const m = /(?:^#|&)token=([A-Za-z0-9._-]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, m[1]);
    history.replaceState(null, "", location.pathname + location.search);
  }
}

export const getToken = () => sessionStorage.getItem(KEY) || "";
export const setToken = (t) => (t ? sessionStorage.setItem(KEY, t.trim()) : sessionStorage.removeItem(KEY));

// The claims of a JWT, unverified (display only): {sub, role, exp} or null.
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const c = JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    return typeof c === "object" && c ? c : null;
  } catch {
    return null;
  }
}

// The claim naming the role in the provider's tokens (GET /console/config); Aforo's own
// HS256 tokens name it `role`.
let roleClaim = "role";
export const setRoleClaim = (name) => { roleClaim = name || "role"; };

const ROLES = ["buyer", "seller", "ops", "edge"];

// The role of a token's claims, as the API reads it: the configured claim (a string, or a
// list naming exactly one of Aforo's roles), else `role`; null when none.
export function roleOf(c) {
  if (!c) return null;
  for (const v of [c[roleClaim], c.role]) {
    if (typeof v === "string" && ROLES.includes(v)) return v;
    if (Array.isArray(v)) {
      const known = v.filter((r) => ROLES.includes(r));
      if (known.length === 1) return known[0];
    }
  }
  return null;
}

// The views a role may use (ops may do everything, as in the API).
export function viewsFor(role) {
  switch (role) {
    case "ops": return ["seller", "host", "oncall"];
    case "seller": return ["seller", "host"];
    default: return [];
  }
}
