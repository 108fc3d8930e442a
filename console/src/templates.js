// Starting documents for a new resource. Dates are relative to today so that a template is
// valid the day it is used.

const day = (n) => new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
const week = (hours, days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]) =>
  Object.fromEntries(days.map((d) => [d, hours]));

export const TEMPLATES = {
  restaurant: {
    label: "Restaurant with tables",
    doc: () => ({
      name: "My restaurant — dinner",
      timezone: "Europe/Madrid",
      dimensions: {
        daily: { capacity: 80 },
        // Every limit here can bind (the validator warns about one that cannot): 16 may start
        // at one slot, 20 in any half hour, 20 be seated at once (the 6 tables seat 22).
        slots: {
          duration_min: 90, interval_min: 15, capacity: 16, concurrent: 20,
          pacing: { window_min: 30, max: 20 },
          tables: [
            { id: "T1", seats: [1, 2], area: "terrace" }, { id: "T2", seats: [1, 2], area: "terrace" },
            { id: "T3", seats: [2, 4], area: "terrace" }, { id: "H1", seats: [2, 4], area: "hall" },
            { id: "H2", seats: [2, 4], area: "hall" }, { id: "H3", seats: [5, 6], area: "hall" },
          ],
          combinations: [{ of: ["H1", "H2"], seats: [6, 8] }],
        },
      },
      hours: week([["13:00", "16:00"], ["20:00", "23:30"]], ["tue", "wed", "thu", "fri", "sat"]),
      closures: [],
      seasons: [],
      lead_time_min: 60,
      cutoff: { days_before: 0, at: "18:00" },
      horizon_days: 60,
      qty: { min: 1, max: 8 },
      pricing: { currency: "EUR", base_minor: 2500, triggers: [{ utilization_gte: 0.8, multiplier: 1.15, tier: "high" }] },
    }),
  },
  shop: {
    label: "Shop item with stock",
    doc: () => ({ name: "Panettone 1kg", timezone: "Europe/Madrid", dimensions: { stock: { on_hand: 40 } },
      qty: { min: 1, max: 4 }, pricing: { currency: "EUR", base_minor: 1800 } }),
  },
  tour: {
    label: "Daily tour",
    doc: () => ({ name: "Old town walking tour", timezone: "Europe/Madrid", dimensions: { daily: { capacity: 25 } },
      hours: week([["10:00", "12:00"]]), closures: [{ from: day(30), to: day(30), reason: "guide off" }],
      lead_time_min: 120, horizon_days: 90, qty: { min: 1, max: 10 }, pricing: { currency: "EUR", base_minor: 1500 } }),
  },
  hybrid: {
    label: "Hybrid (slots and stock)",
    doc: () => ({ name: "Tasting with a bottle to take home", timezone: "Europe/Madrid",
      dimensions: { stock: { on_hand: 60 }, slots: { duration_min: 60, interval_min: 60, capacity: 12 } },
      hours: week([["17:00", "21:00"]], ["thu", "fri", "sat"]), lead_time_min: 180, horizon_days: 45, qty: { min: 1, max: 6 },
      pricing: { currency: "EUR", base_minor: 4500 } }),
  },
};
