// The webhooks panel's pure parts (console/src/webhooks.js) under node's test runner.
import { test } from "node:test";
import assert from "node:assert/strict";
import { registration, summary, attemptRow, EVENT_TYPES, canEnable, enableRequest, enabledText } from "../src/webhooks.js";

test("a registration is checked and shaped as the API takes it", () => {
  assert.deepEqual(registration(" http://hooks.example.com/in ", ["hold.created", "hold.created"], "room, bar  room"),
    { body: { url: "http://hooks.example.com/in", events: ["hold.created"], resource_ids: ["room", "bar"] } });
  assert.deepEqual(registration("http://h.example/", ["stock.changed"], ""), { body: { url: "http://h.example/", events: ["stock.changed"] } });
  assert.match(registration("ftp://x", ["hold.created"], "").error, /URL/);
  assert.match(registration("http://x.example/", [], "").error, /Events/);
  assert.equal(EVENT_TYPES.length, 13);
});

test("an endpoint reads as its state, backlog and failures", () => {
  const ok = { status: "enabled", backlog: 0, delivered: 4, failed: 0, dropped: 0, breaker: "closed", last_attempt: { at: "t1", status: 204 } };
  assert.equal(summary(ok), "enabled · 0 waiting · 4 delivered · last: 204 at t1");
  const bad = { status: "enabled", backlog: 3, delivered: 0, failed: 2, dropped: 5, breaker: "open", failing_since: "t0", next_retry_at: "t9",
    last_attempt: { at: "t2", status: null, error: "timeout: no answer in time" } };
  assert.equal(summary(bad), "enabled · 3 waiting · 0 delivered · 2 failed attempts · 5 dropped (backlog full) · failing since t0, next retry t9 · last: timeout: no answer in time at t2");
  assert.match(summary({ ...bad, status: "disabled", disabled_at: "t5", breaker: "closed" }), /^disabled t5/);
});

test("an attempt row says the answer or why there was none", () => {
  const d = { at: "t", type: "hold.created", event_id: "msg_1", attempt: 2, status: null, error: "refused: a loopback address", latency_ms: 3, next_retry: "t2" };
  assert.deepEqual(attemptRow(d), ["t", "hold.created", "msg_1", "2", "refused: a loopback address", "3 ms", "t2"]);
  assert.equal(attemptRow({ ...d, status: 500 })[4], "500");
});

test("a disabled endpoint offers to be enabled again, where it stopped or from now", () => {
  assert.equal(canEnable({ status: "disabled" }), true);
  assert.equal(canEnable({ status: "resuming" }), true);
  assert.equal(canEnable({ status: "enabled" }), false);
  assert.deepEqual(enableRequest("we_0123456789abcdef0123", "keep"),
    { path: "/v1/webhooks/we_0123456789abcdef0123/enable", body: { backlog: "keep" } });
  assert.deepEqual(enableRequest("we_x", "drop").body, { backlog: "drop" });
  assert.deepEqual(enableRequest("we_x", "").body, { backlog: "keep" });
  assert.equal(enabledText({ backlog: 7, enabled: { changed: true, backlog: "keep", gap_queued: 4, dropped: 0 } }),
    "Enabled: resuming where it stopped, 7 event(s) waiting (4 from while it was disabled)");
  assert.equal(enabledText({ backlog: 0, enabled: { changed: true, backlog: "drop", gap_queued: 0, dropped: 3 } }),
    "Enabled: from now on (3 waiting event(s) dropped)");
  assert.equal(enabledText({ enabled: { changed: false } }), "Enable: it was enabled already");
  assert.match(summary({ status: "resuming", backlog: 2, delivered: 0 }), /^being enabled again/);
});
