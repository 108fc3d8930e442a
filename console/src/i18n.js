// The host floor's words in English and Spanish: t(key, vars) fills {name} placeholders from
// vars. The language is the one picked on the host view (kept in localStorage) else the
// browser's (es* → Spanish). Both tables have the same keys and placeholders (console/test/i18n.test.mjs).
export const STRINGS = {
  en: {
    "lang.label": "Language",
    "pick.restaurant": "— pick a restaurant —",
    "all.areas": "all areas",
    "any.area": "any area",
    "floor.empty": "Pick a restaurant with tables to see its floor.",
    "field.restaurant": "Restaurant",
    "field.date": "Date",
    "field.area": "Area",
    "field.party": "Party",
    "field.area.optional": "Area (optional)",
    "field.move.to": "Move to",
    "show.floor": "Show floor",
    "no.tables": "{id} has no tables: the floor is for restaurants with tables.",
    "live.connecting": "connecting",
    "live.live": "live",
    "now.title": "now {time}",
    "now": "now",
    "table": "Table",
    "no.area": "no area",
    "bar.label": "{table}: party of {party}, {who}, {from}–{to}, {status}{at}",
    "bar.at": ", at {tables}",
    "covers.paced": "Covers / {window} min (max {max})",
    "covers.slot": "Covers / slot",
    "covers.title": "{time}: {covers} covers{of}",
    "covers.of": " of {limit}",
    "floor.group": "Floor: tables by time",
    "floor.heading": "{resource} on {date}",
    "floor.summary": " · {n} seating(s), {covers} covers · as of {time}",
    "state.held": "held",
    "state.booked": "booked",
    "state.seated": "seated",
    "state.finished": "finished",
    "state.no_show": "no-show",
    "legend.hint": " · pick a bar (Tab, Enter) to seat, move, finish, mark a no-show or cancel it",
    "act.pending": "{what}…",
    "act.done": "{what}: done.",
    "act.taken": "{what}: refused, TABLE_TAKEN — {detail}. Nothing changed.",
    "act.taken.detail": "a target table is not free for the whole seating",
    "act.failed": "{what}: {problem}",
    "change.done": "Change: done, party of {qty} on {date}{slot}.",
    "change.slot": " at {slot}",
    "guest.saved": "Guest: saved for {hold}.",
    "seating.legend": "Seating {hold}",
    "seating.line": "Party of {party} · {who} · {tables} · {from}–{to} · {status}",
    "guest.label": "Guest: ",
    "no.target": "No other table seats this party.",
    "move": "Move",
    "move.what": "Move to {target}",
    "seat": "Seat",
    "finish": "Finish",
    "finish.confirm": "Finish {hold} now (its table is free from this moment)?",
    "finish.yes": "Yes, finish",
    "no.show": "No-show",
    "no.show.confirm": "Mark {hold} (party of {party}) as a no-show? Its table and covers are free from now on.",
    "no.show.yes": "Yes, no-show",
    "cancel.booking": "Cancel booking",
    "cancel": "Cancel",
    "cancel.confirm": "Cancel {hold} (party of {party})? The seller's cancel refunds it in full and its units come back now.",
    "cancel.yes": "Yes, cancel",
    "cancel.done": "Cancel: done, {refund}.",
    "release": "Release",
    "release.confirm": "Release hold {hold} (party of {party})?",
    "release.yes": "Yes, release",
    "change.open": "Change time/table/party",
    "guest.edit": "Edit guest",
    "close": "Close",
    "release.note": "Releasing a buyer's hold is for the buyer or an operator.",
    "walkin.seat": "Seat walk-in",
    "walkin.done": "Walk-in: party of {party} seated at {tables} ({id}).",
    "walkin.failed": "Walk-in: {problem}{retry}",
    "walkin.retry": " — submit again to retry (same key)",
    "walkin.legend": "Walk-in (seated now)",
    "status.held": "held (not paid)",
    "status.pending": "pending",
    "status.consumed": "booked",
    "status.booked": "booked",
    "status.seated": "seated",
    "status.finished": "finished",
    "status.no_show": "no-show",
    "status.cancelled": "cancelled",
    "status.released": "released",
    "status.expired": "expired",
  },
  es: {
    "lang.label": "Idioma",
    "pick.restaurant": "— elige un restaurante —",
    "all.areas": "todas las zonas",
    "any.area": "cualquier zona",
    "floor.empty": "Elige un restaurante con mesas para ver su sala.",
    "field.restaurant": "Restaurante",
    "field.date": "Fecha",
    "field.area": "Zona",
    "field.party": "Comensales",
    "field.area.optional": "Zona (opcional)",
    "field.move.to": "Mover a",
    "show.floor": "Ver sala",
    "no.tables": "{id} no tiene mesas: la sala es para restaurantes con mesas.",
    "live.connecting": "conectando",
    "live.live": "en directo",
    "now.title": "ahora {time}",
    "now": "ahora",
    "table": "Mesa",
    "no.area": "sin zona",
    "bar.label": "{table}: grupo de {party}, {who}, {from}–{to}, {status}{at}",
    "bar.at": ", en {tables}",
    "covers.paced": "Cubiertos / {window} min (máx. {max})",
    "covers.slot": "Cubiertos / turno",
    "covers.title": "{time}: {covers} cubiertos{of}",
    "covers.of": " de {limit}",
    "floor.group": "Sala: mesas por hora",
    "floor.heading": "{resource} el {date}",
    "floor.summary": " · {n} reserva(s), {covers} cubiertos · a las {time}",
    "state.held": "retenida",
    "state.booked": "reservada",
    "state.seated": "sentada",
    "state.finished": "terminada",
    "state.no_show": "no presentada",
    "legend.hint": " · elige una barra (Tab, Intro) para sentar, mover, terminar, marcar no presentada o cancelarla",
    "act.pending": "{what}…",
    "act.done": "{what}: hecho.",
    "act.taken": "{what}: rechazado, TABLE_TAKEN — {detail}. No ha cambiado nada.",
    "act.taken.detail": "una mesa de destino no está libre durante toda la reserva",
    "act.failed": "{what}: {problem}",
    "change.done": "Cambio: hecho, grupo de {qty} el {date}{slot}.",
    "change.slot": " a las {slot}",
    "guest.saved": "Cliente: guardado para {hold}.",
    "seating.legend": "Reserva {hold}",
    "seating.line": "Grupo de {party} · {who} · {tables} · {from}–{to} · {status}",
    "guest.label": "Cliente: ",
    "no.target": "Ninguna otra mesa admite este grupo.",
    "move": "Mover",
    "move.what": "Mover a {target}",
    "seat": "Sentar",
    "finish": "Terminar",
    "finish.confirm": "¿Terminar {hold} ahora (su mesa queda libre desde este momento)?",
    "finish.yes": "Sí, terminar",
    "no.show": "No presentado",
    "no.show.confirm": "¿Marcar {hold} (grupo de {party}) como no presentado? Su mesa y cubiertos quedan libres desde ahora.",
    "no.show.yes": "Sí, no presentado",
    "cancel.booking": "Cancelar reserva",
    "cancel": "Cancelar",
    "cancel.confirm": "¿Cancelar {hold} (grupo de {party})? La cancelación del vendedor la reembolsa entera y sus unidades vuelven ahora.",
    "cancel.yes": "Sí, cancelar",
    "cancel.done": "Cancelar: hecho, {refund}.",
    "release": "Liberar",
    "release.confirm": "¿Liberar la retención {hold} (grupo de {party})?",
    "release.yes": "Sí, liberar",
    "change.open": "Cambiar hora/mesa/grupo",
    "guest.edit": "Editar cliente",
    "close": "Cerrar",
    "release.note": "Liberar la retención de un comprador es cosa del comprador o de un operador.",
    "walkin.seat": "Sentar sin reserva",
    "walkin.done": "Sin reserva: grupo de {party} sentado en {tables} ({id}).",
    "walkin.failed": "Sin reserva: {problem}{retry}",
    "walkin.retry": " — envía de nuevo para reintentar (misma clave)",
    "walkin.legend": "Sin reserva (sentado ahora)",
    "status.held": "retenida (sin pagar)",
    "status.pending": "pendiente",
    "status.consumed": "reservada",
    "status.booked": "reservada",
    "status.seated": "sentada",
    "status.finished": "terminada",
    "status.no_show": "no presentada",
    "status.cancelled": "cancelada",
    "status.released": "liberada",
    "status.expired": "caducada",
  },
};

export const LANGS = { en: "English", es: "Español" };
const KEY = "aforo.lang";

const stored = () => { try { return globalThis.localStorage && localStorage.getItem(KEY); } catch { return null; } };

// The language in use: the one picked (localStorage) else the browser's.
export function lang() {
  const s = stored();
  if (s && STRINGS[s]) return s;
  const nav = (globalThis.navigator && navigator.language) || "en";
  return /^es\b/i.test(nav) || nav.toLowerCase().startsWith("es") ? "es" : "en";
}

export function setLang(l) {
  try { if (STRINGS[l]) localStorage.setItem(KEY, l); } catch { /* no storage: this page only */ }
}

// The string for `key` in the language in use, {name} filled from vars (unknown key: the key).
export function t(key, vars = {}, l = lang()) {
  const s = (STRINGS[l] && STRINGS[l][key]) ?? STRINGS.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

// A time of day (minutes since midnight) as the language writes it, with Intl.
export function timeOf(minutes, l = lang()) {
  const d = new Date(Date.UTC(2000, 0, 1, Math.floor(minutes / 60), minutes % 60));
  return new Intl.DateTimeFormat(l === "es" ? "es-ES" : "en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" }).format(d);
}

// A date (YYYY-MM-DD) as the language writes it, with Intl.
export function dateOf(iso, l = lang()) {
  const [y, m, d] = String(iso).split("-").map(Number);
  if (!y || !m || !d) return String(iso);
  return new Intl.DateTimeFormat(l === "es" ? "es-ES" : "en-GB", { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}
