// Live conditions: which fields show (`if`, `if_func`), what a choice offers (`items_func`),
// a slider's maximum (`max_func`) and a field's width (`class_func`). The trees come from
// the server (plugin_sdk/expressions.py) and are interpreted by expr.js: plugin text is
// never run as code.

import { evaluate } from "../expr.js";

function safely(tree, ctx) {
  try {
    return evaluate(tree, ctx);
  } catch {
    return undefined; // a tree this page cannot read leaves the field as it is
  }
}

/** Whether the `if` attribute holds: a tree, or (as Hiplot writes it) the name of a switch. */
function ifHolds(condition, ctx) {
  if (condition === null || condition === undefined) return true;
  if (typeof condition === "string") return Boolean(ctx.params?.config?.extra?.[condition]);
  if (typeof condition === "boolean") return condition;
  return Boolean(safely(condition, ctx));
}

/** Apply every field's conditions against `ctx` ({params, tables}, see ToolState). */
export function applyConditions(fields, ctx) {
  for (const field of fields) {
    const c = field.conditions;
    if (!c) continue;
    let visible = ifHolds(c.if, ctx);
    if (visible && c.if_func) visible = Boolean(safely(c.if_func, ctx));
    field.setVisible(visible);
    if (c.items_func && field.widget?.setItems) {
      const items = safely(c.items_func, ctx);
      const list = Array.isArray(items) ? items : [];
      const key = JSON.stringify(list);
      if (key !== field.itemsKey) {
        field.itemsKey = key;
        field.widget.setItems(list);
      }
    }
    if (c.max_func && field.widget?.setMax) {
      const max = safely(c.max_func, ctx);
      if (typeof max === "number" || (typeof max === "string" && max.trim() !== "")) field.widget.setMax(Number(max));
    }
    if (c.class_func) {
      const value = safely(c.class_func, ctx);
      if (typeof value === "string") field.setGridClass(value);
    }
  }
}
