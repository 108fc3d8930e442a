// A stand-in identity provider's signing side, for the origin's JWKS tests
// (tests/tests/origin/jwks.rs): key pairs and tokens made by `jose`, an implementation other
// than the origin's, so that the two check each other.
//
// stdin: {"keys": [{"kid", "alg"}], "tokens": [{"kind", "key", "claims", "kid"?}]}
//   kind "sign": a JWS of `claims` by `key` with its algorithm (header kid: `kid` or the key's)
//   kind "none": an unsecured JWT (alg "none") of `claims`
//   kind "hs256-public-pem": HS256 keyed by the PEM of `key`'s public key (algorithm confusion)
//   kind "hs256-oct": HS256 keyed by a symmetric key published in the set as `kid` "oct-1"
// stdout: {"jwks": {kid: public JWK}, "tokens": [string]}
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";

const input = JSON.parse(await new Promise((ok) => {
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => ok(s));
}));

const keys = {};
const jwks = {};
for (const { kid, alg } of input.keys) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  keys[kid] = { alg, publicKey, privateKey };
  jwks[kid] = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
}
const oct = crypto.getRandomValues(new Uint8Array(32));
jwks["oct-1"] = { ...(await exportJWK(oct)), kid: "oct-1", alg: "HS256", use: "sig" };

const tokens = [];
for (const t of input.tokens) {
  const k = keys[t.key];
  switch (t.kind) {
    case "sign":
      tokens.push(await new SignJWT(t.claims).setProtectedHeader({ alg: k.alg, kid: t.kid ?? t.key, typ: "JWT" }).sign(k.privateKey));
      break;
    case "none":
      tokens.push(new UnsecuredJWT(t.claims).encode());
      break;
    case "hs256-public-pem": {
      const pem = new TextEncoder().encode(await exportSPKI(k.publicKey));
      tokens.push(await new SignJWT(t.claims).setProtectedHeader({ alg: "HS256", kid: t.key, typ: "JWT" }).sign(pem));
      break;
    }
    case "hs256-oct":
      tokens.push(await new SignJWT(t.claims).setProtectedHeader({ alg: "HS256", kid: "oct-1", typ: "JWT" }).sign(oct));
      break;
    default:
      throw new Error(`unknown kind ${t.kind}`);
  }
}
process.stdout.write(JSON.stringify({ jwks, tokens }));
