// The console's pure helpers under node's test runner (tests/tests/console_e2e.rs runs it):
// document paths as the core names them, the runbook's sections, the token's claims.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parse, getPath, setPath, owner } from "../src/paths.js";
import { section } from "../src/runbook.js";
import { claims, viewsFor } from "../src/token.js";

test("paths are the core's: dotted names and [index]", () => {
  assert.deepEqual(parse("seasons[0].overrides.slot_capacity"), ["seasons", 0, "overrides", "slot_capacity"]);
  assert.deepEqual(parse("hours.mon[1][0]"), ["hours", "mon", 1, 0]);
  const doc = { dimensions: { slots: { capacity: 4 } } };
  assert.equal(getPath(doc, "dimensions.slots.capacity"), 4);
  assert.equal(getPath(doc, "dimensions.daily.capacity"), undefined);
  setPath(doc, "dimensions.slots.tables[0].seats[1]", 4);
  assert.equal(doc.dimensions.slots.tables[0].seats[1], 4);
  setPath(doc, "qty.min", 1);
  setPath(doc, "qty.min", undefined);
  assert.equal(doc.qty, undefined, "an object left empty goes");
  const season = { seasons: [{ name: "s", overrides: { slot_capacity: 4 } }] };
  setPath(season, "seasons[0].overrides.slot_capacity", undefined);
  assert.deepEqual(season.seasons[0].overrides, {}, "a season keeps its overrides");
});

test("an error belongs to its field, or to the nearest enclosing one", () => {
  const input = (path) => ({ dataset: { path } });
  const inputs = [input("hours.mon"), input("closures[0].from"), input("closures[0].to"), input("name")];
  assert.equal(owner(inputs, "hours.mon[0][1]").dataset.path, "hours.mon");
  assert.equal(owner(inputs, "closures[0].to").dataset.path, "closures[0].to");
  assert.equal(owner(inputs, "names"), null, "a prefix of a word is not a parent");
  assert.equal(owner(inputs, "timezone"), null);
});

test("a runbook section runs to the next heading of its level", () => {
  const md = "# Runbook\n## Store unavailable\nA\n### Detail\nB\n## Errors\nC\n";
  assert.equal(section(md, "store-unavailable"), "## Store unavailable\nA\n### Detail\nB");
  assert.equal(section(md, "errors"), "## Errors\nC\n");
  assert.equal(section(md, "nothing"), null);
});

test("the role only chooses views", () => {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  globalThis.atob ??= (s) => Buffer.from(s, "base64").toString("binary");
  assert.deepEqual(claims(`${b64({ alg: "HS256" })}.${b64({ sub: "s", role: "seller" })}.sig`), { sub: "s", role: "seller" });
  assert.equal(claims("not-a-jwt"), null);
  assert.deepEqual(viewsFor("seller"), ["seller", "host"]);
  assert.deepEqual(viewsFor("ops"), ["seller", "host", "oncall"]);
  assert.deepEqual(viewsFor("buyer"), []);
});
