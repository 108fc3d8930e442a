// Verifies webhook requests with the official `standardwebhooks` library (npm), not with
// Aforo's own code: reads {"secret", "messages": [{"headers", "body"}]} on stdin, prints one
// {"ok", "error"?, "type"?} per message as a JSON array. Used by tests/tests/origin/webhooks.rs.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, messages } = JSON.parse(input);
const wh = new Webhook(secret);
const out = messages.map(({ headers, body }) => {
  try {
    const payload = wh.verify(body, headers);
    return { ok: true, type: payload.type };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(out));
