// The host floor's strings: both languages have every key with the same placeholders, and
// every t("key") host.js uses is in the tables.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { STRINGS, t, timeOf } from "../src/i18n.js";

const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("English and Spanish have the same keys and placeholders", () => {
  const en = Object.keys(STRINGS.en).sort(), es = Object.keys(STRINGS.es).sort();
  assert.deepEqual(es, en);
  assert.ok(en.length > 50);
  for (const k of en) {
    assert.deepEqual(holes(STRINGS.es[k]), holes(STRINGS.en[k]), `placeholders of ${k}`);
    assert.ok(STRINGS.es[k].trim() || STRINGS.en[k].trim() === "", `${k} is empty in Spanish`);
  }
});

test("change.js's forms (on the floor) use only keys the tables have", () => {
  const src = readFileSync(new URL("../src/change.js", import.meta.url), "utf8");
  const used = [...src.matchAll(/\btr\(\s*"([^"]+)"/g)].map((m) => m[1]);
  assert.ok(used.length >= 15, `found ${used.length} tr("…") calls`);
  for (const k of used) assert.ok(k in STRINGS.en && k in STRINGS.es, `change.js uses ${k}, missing from the tables`);
  assert.doesNotMatch(src, /field\("[A-Z]/);
});

test("host.js uses only keys the tables have", () => {
  const src = readFileSync(new URL("../src/host.js", import.meta.url), "utf8");
  const used = [...src.matchAll(/\bt\(\s*"([^"]+)"/g)].map((m) => m[1]);
  assert.ok(used.length > 40, `found ${used.length} t("…") calls`);
  for (const k of used) assert.ok(k in STRINGS.en && k in STRINGS.es, `host.js uses ${k}, missing from the tables`);
  // A t(`status.${…}`) key is built from the origin's statuses: those the tables have.
  for (const s of ["held", "pending", "consumed", "booked", "seated", "finished", "no_show", "cancelled", "released", "expired"]) {
    assert.ok(`status.${s}` in STRINGS.es, `status.${s}`);
  }
  // No English text left in a button, field or legend of host.js.
  assert.doesNotMatch(src, /(button|field)\("[A-Z]/);
  assert.doesNotMatch(src, /el\("legend", \{\}, [`"]/);
});

test("placeholders are filled, times follow the language", () => {
  assert.equal(t("act.done", { what: "Seat" }, "en"), "Seat: done.");
  assert.equal(t("act.done", { what: "Sentar" }, "es"), "Sentar: hecho.");
  assert.equal(t("bar.label", { table: "T1", party: 4, who: "Ana", from: "20:00", to: "21:30", status: "sentada", at: "" }, "es"),
    "T1: grupo de 4, Ana, 20:00–21:30, sentada");
  assert.equal(timeOf(20 * 60 + 5, "es"), "20:05");
  assert.equal(timeOf(20 * 60 + 5, "en"), "20:05");
  assert.equal(t("no.such.key", {}, "es"), "no.such.key");
});
