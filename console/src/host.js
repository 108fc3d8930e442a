// HOST FLOOR — NOT BUILT YET (issue #16, "Host"): tonight's floor, tables (by area) × time,
// seatings as bars with party size and buyer, covers per pacing window against its limit,
// move/finish/walk-in, changes from other tabs and buyers within 2 s.
// The API it needs is on main since the floor merge (issue #11):
//   GET  /v1/resources/{id}/tables?date=D[&area=A]   every table with its seatings (the host view)
//   POST /v1/holds/{id}/tables {"tables":[...]}       move a seating (409 TABLE_TAKEN)
//   POST /v1/holds/{id}/finish                        an early finish
//   POST /v1/resources/{id}/walk-ins {"party":n}      seat a walk-in now (Idempotency-Key)
// Build it here: `mount(root, role)` is already wired into the navigation (sellers and ops see
// the "Host floor" button), and live.js's `subscribe(resourceId, onEvent)` (Server-Sent Events
// with Last-Event-ID resume; events include the host's moves) is what should redraw it.
import { el } from "./dom.js";

export function mount(root) {
  root.replaceChildren(root.firstElementChild, el("div", { className: "placeholder", id: "host-placeholder" },
    el("p", {}, "The host floor is not built yet: its API (tables by area, moves, finishes, walk-ins) is in place; this view is next."),
    el("p", { className: "muted" }, "Until then, the bookings of a day (with their tables) are in the Seller view.")));
}
