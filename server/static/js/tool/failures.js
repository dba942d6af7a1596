// Where a problem the server reports belongs: a field (by JSON pointer), a column of a
// table (highlighted in the table editor), or the form as a whole.

/** The table of a field error: its own `table`, the table in its pointer, or one holding its column. */
export function tableOf(error, tables) {
  if (error.table && tables.has(error.table)) return error.table;
  const match = /^\/(?:tables|params\/dataArg|params\/data)\/([^/]+)/.exec(error.field || "");
  if (match && tables.has(match[1])) return match[1];
  if (error.column) return [...tables.keys()].find((name) => tables.get(name).columns.includes(error.column)) || null;
  return null;
}

/**
 * The field (of `fields`) an error pointer belongs to: the field itself, the one field
 * below it (a dataArg entry -> its value), or the nearest field above it.
 */
export function fieldFor(pointer, fields) {
  if (!pointer) return null;
  const exact = fields.find((f) => f.pointer === pointer);
  if (exact) return exact;
  const below = fields.filter((f) => f.pointer.startsWith(`${pointer}/`));
  if (below.length === 1) return below[0];
  let best = null;
  for (const field of fields) {
    if (pointer.startsWith(`${field.pointer}/`) && (!best || field.pointer.length > best.pointer.length)) best = field;
  }
  return best;
}
