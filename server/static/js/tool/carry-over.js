// When a plugin's form is drawn again (the live preview, after its author saved a file), what
// the user entered stays: tables whose name still exists, and values changed from the old
// defaults whose key is still among the new ones. Untouched values take the new defaults.

import { clone, isObject } from "../dom.js";

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Copy the user's work from ToolState `previous` into the freshly built ToolState `next`. */
export function carryOver(previous, next) {
  for (const [section, values] of Object.entries(next.params)) {
    const before = previous.params[section];
    const defaults = isObject(previous.defaults[section]) ? previous.defaults[section] : {};
    if (!isObject(values) || !isObject(before)) continue;
    for (const key of Object.keys(values)) {
      if (key in before && !same(before[key], defaults[key])) values[key] = clone(before[key]);
    }
  }
  for (const [name, model] of next.tables) {
    const old = previous.tables.get(name);
    if (!old) continue;
    model.columns = [...old.columns];
    model.rows = old.rows.map((row) => [...row]);
    model.upload = old.upload ? { ...old.upload } : null;
  }
}
