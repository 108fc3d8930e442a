// HOST FLOOR — NOT BUILT YET (issue #16, "Host"): tonight's floor, tables (by area) × time,
// seatings as bars with party size and buyer, covers per pacing window against its limit,
// move/finish/walk-in, live within 2 s. It waits for the physical-table host operations
// (GET /v1/resources/{id}/tables?date=D, POST /v1/holds/{id}/tables, finish, walk-in) being
// built in parallel. Build it here: `mount(root, role)` is already wired into the navigation,
// and live.js's `subscribe(resourceId, onEvent)` (Server-Sent Events with Last-Event-ID
// resume) is what should redraw it when another tab or a buyer changes the floor.
import { el } from "./dom.js";

export function mount(root) {
  root.replaceChildren(root.firstElementChild, el("div", { className: "placeholder", id: "host-placeholder" },
    el("p", {}, "The host floor is not built yet: it comes with the table operations of issue #11."),
    el("p", { className: "muted" }, "Until then, the bookings of a day (with their tables) are in the Seller view.")));
}
