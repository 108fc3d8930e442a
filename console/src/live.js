// Server-Sent Events from GET /v1/resources/{id}/events, read with fetch (an EventSource
// cannot send the Authorization header): each event's id is kept, and a dropped stream is
// opened again with Last-Event-ID, so nothing is missed or seen twice.
import { getToken } from "./token.js";

export function subscribe(resourceId, onEvent, onState) {
  let last = null;
  let stopped = false;
  const ctl = { abort: null };
  (async () => {
    while (!stopped) {
      const abort = new AbortController();
      ctl.abort = abort;
      try {
        const headers = { authorization: "Bearer " + getToken(), accept: "text/event-stream" };
        if (last) headers["last-event-id"] = last;
        const r = await fetch(`/v1/resources/${encodeURIComponent(resourceId)}/events`, { headers, signal: abort.signal });
        if (!r.ok) { onState(`events: ${r.status}`); if (r.status < 500 && r.status !== 429) return; }
        else {
          onState("live");
          const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
          let buf = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buf += value;
            let cut;
            while ((cut = buf.indexOf("\n\n")) >= 0) {
              const block = buf.slice(0, cut);
              buf = buf.slice(cut + 2);
              let id = null, data = "";
              for (const line of block.split("\n")) {
                if (line.startsWith("id: ")) id = line.slice(4);
                else if (line.startsWith("data: ")) data += line.slice(6);
              }
              if (id) last = id;
              if (data && id) onEvent(JSON.parse(data));
            }
          }
        }
      } catch (e) {
        if (stopped) return;
        onState("reconnecting");
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
  return () => { stopped = true; ctl.abort && ctl.abort.abort(); };
}
