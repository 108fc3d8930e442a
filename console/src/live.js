// Server-Sent Events from GET /v1/resources/{id}/events, read with fetch (an EventSource
// cannot send the Authorization header): each event's id is kept, and a dropped stream is
// opened again with Last-Event-ID, so nothing is missed or seen twice. A hidden page holds no
// stream (an origin serves a bounded number): it is closed when the page is hidden and
// opened again, from the last id, when it is shown.
import { getToken } from "./token.js";

const hidden = () => document.visibilityState === "hidden";

export function subscribe(resourceId, onEvent, onState) {
  let last = null;
  let stopped = false;
  const ctl = { abort: null, shown: null };
  const onVisibility = () => {
    if (hidden()) { if (ctl.abort) ctl.abort.abort(); }
    else if (ctl.shown) ctl.shown();
  };
  document.addEventListener("visibilitychange", onVisibility);
  (async () => {
    while (!stopped) {
      if (hidden()) {
        onState("paused (page hidden)");
        await new Promise((res) => { ctl.shown = res; });
        ctl.shown = null;
        if (stopped) return;
      }
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
        // Closed because the page was hidden: the loop waits for it to be shown.
        if (hidden()) continue;
        onState("reconnecting");
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
  return () => {
    stopped = true;
    document.removeEventListener("visibilitychange", onVisibility);
    if (ctl.abort) ctl.abort.abort();
    if (ctl.shown) ctl.shown();
  };
}
