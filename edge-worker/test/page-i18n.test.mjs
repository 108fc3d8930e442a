import { test } from "node:test";
import assert from "node:assert/strict";
import { LANGS, STRINGS, t, pickLang } from "../src/page-i18n.mjs";

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("both languages have every key, none empty, with the same placeholders", () => {
  assert.deepEqual(LANGS, ["en", "es"]);
  const keys = Object.keys(STRINGS.en).sort();
  assert.ok(keys.length > 50);
  for (const lang of LANGS) {
    assert.deepEqual(Object.keys(STRINGS[lang]).sort(), keys, lang);
    for (const k of keys) {
      assert.ok(STRINGS[lang][k].trim().length > 0, `${lang}.${k} is empty`);
      assert.deepEqual(placeholders(STRINGS[lang][k]), placeholders(STRINGS.en[k]), `${lang}.${k}`);
    }
  }
  // Spanish is Spanish: most strings differ from the English ones.
  const same = keys.filter((k) => STRINGS.es[k] === STRINGS.en[k]);
  assert.ok(same.length < 8, "untranslated: " + same.join(", "));
});

test("t fills placeholders and refuses an unknown key", () => {
  assert.equal(t("es", "left", { n: 3 }), "quedan 3");
  assert.equal(t("en", "party_many", { n: 4 }), "4 people");
  assert.equal(t("fr", "party_one", { n: 1 }), "1 person");
  assert.throws(() => t("en", "no_such_key"));
});

test("the language: an explicit choice, else Accept-Language by q, else English", () => {
  assert.equal(pickLang("es", "en-US"), "es");
  assert.equal(pickLang("ES", null), "es");
  assert.equal(pickLang("fr", "es-ES,es;q=0.9"), "es");
  assert.equal(pickLang(null, "es-ES,es;q=0.9,en;q=0.8"), "es");
  assert.equal(pickLang(null, "fr-FR, en;q=0.5, es;q=0.7"), "es");
  assert.equal(pickLang(null, "de, fr"), "en");
  assert.equal(pickLang(null, "es;q=0, en;q=0.1"), "en");
  assert.equal(pickLang(null, ""), "en");
  assert.equal(pickLang(null, ["es-MX", "en"]), "es");
  assert.equal(pickLang(null, ["en-GB", "es"]), "en");
});
