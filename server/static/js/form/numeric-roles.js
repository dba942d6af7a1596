// Which column roles take numbers, learnt from the plugin's own example: a role whose
// example column holds numbers expects numbers. Hiplot's format does not declare column
// types, and this is the one trustworthy source the page has. A chosen column that holds
// text where the example had numbers gets a warning next to the picker and on the column
// header, before the run, and explains a failed run afterwards.

import { isNumberCell, parseTable } from "../table/parse.js";

const SAMPLE_ROWS = 2000;

function numericShare(cells) {
  const filled = cells.slice(0, SAMPLE_ROWS).filter((c) => String(c ?? "").trim() !== "" && String(c).trim() !== "NA");
  if (!filled.length) return null;
  return filled.filter(isNumberCell).length / filled.length;
}

/** {table: {roleIndex: exampleColumn}} for the roles whose example column is numeric. */
export function learnNumericRoles(example) {
  const roles = {};
  const dataArg = example?.config?.dataArg || {};
  for (const [table, text] of Object.entries(example?.tables || {})) {
    if (typeof text !== "string" || !Array.isArray(dataArg[table])) continue;
    const parsed = parseTable(text);
    dataArg[table].forEach((entry, index) => {
      const column = entry?.value;
      if (typeof column !== "string" || !parsed.columns.includes(column)) return;
      const at = parsed.columns.indexOf(column);
      const share = numericShare(parsed.rows.map((row) => row[at]));
      if (share !== null && share >= 0.95) (roles[table] ||= {})[index] = column;
    });
  }
  return roles;
}

/**
 * Chosen columns that hold (mostly) text in a numeric role:
 * [{pointer, table, column, example}]
 */
export function textInNumericRoles(numericRoles, params, tables) {
  const found = [];
  for (const [table, roles] of Object.entries(numericRoles || {})) {
    const model = tables.get(table);
    if (!model || model.isEmpty) continue;
    for (const [index, example] of Object.entries(roles)) {
      const value = params?.dataArg?.[table]?.[index]?.value;
      for (const column of Array.isArray(value) ? value : [value]) {
        if (typeof column !== "string" || !model.columns.includes(column)) continue;
        const share = numericShare(model.columnValues(column));
        if (share !== null && share < 0.5) {
          found.push({ pointer: `/params/dataArg/${table}/${index}/value`, table, column, example });
        }
      }
    }
  }
  return found;
}
