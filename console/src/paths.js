// Reading and writing a document by the field paths the core names in its errors
// (`dimensions.slots.capacity`, `seasons[0].overrides.slot_capacity`).

export function parse(path) {
  const out = [];
  for (const part of path.split(".")) {
    const m = part.match(/^([^[\]]*)((?:\[\d+\])*)$/);
    if (!m) { out.push(part); continue; }
    if (m[1]) out.push(m[1]);
    for (const i of m[2].matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

export function getPath(doc, path) {
  return parse(path).reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), doc);
}

// Sets a value; `undefined` removes the key, and objects left empty on the way are removed
// (but a season's `overrides`, which the document requires even when empty).
export function setPath(doc, path, value) {
  const keys = parse(path);
  const stack = [];
  let o = doc;
  for (const [i, k] of keys.slice(0, -1).entries()) {
    if (o[k] === undefined || o[k] === null) {
      if (value === undefined) return;
      o[k] = typeof keys[i + 1] === "number" ? [] : {};
    }
    stack.push([o, k]);
    o = o[k];
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last]; else o[last] = value;
  for (const [parent, k] of stack.reverse()) {
    const v = parent[k];
    if (k !== "overrides" && v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) delete parent[k]; else break;
  }
}

// The element of `inputs` (each with data-path) an error at `path` belongs to: the input with
// that path, else the one whose path is the longest prefix of it.
export function owner(inputs, path) {
  let best = null;
  for (const i of inputs) {
    const p = i.dataset.path;
    if (p === path) return i;
    if (path.startsWith(p) && /^[.[]/.test(path.slice(p.length)) && (!best || p.length > best.dataset.path.length)) best = i;
  }
  return best;
}
