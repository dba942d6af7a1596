// Browser interpreter for plugin expression trees (ui.json if_func / items_func / max_func /
// class_func). The server parses the JavaScript-syntax source with plugin_sdk/expressions.py
// and sends the JSON tree documented there; this file only interprets that tree, with the
// same semantics as the Python evaluator. Plugin code is never given to eval or Function.
//
//   evaluate(tree, {params, tables: {name: {columns, rows}}}) -> value (undefined -> null)

const MAX_DEPTH = 64;
const FORBIDDEN = new Set(["constructor", "__proto__", "prototype"]);
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;
const own = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
const isObject = (v) => v !== null && typeof v === "object";

// String(v) for data values, without ever calling a toString/valueOf found in the data.
function toStr(v, depth = 0) {
  if (Array.isArray(v)) {
    return v.map((x) => (x == null || depth > MAX_DEPTH ? "" : toStr(x, depth + 1))).join(",");
  }
  return isObject(v) ? "[object Object]" : String(v);
}

function looseEqual(a, b) {
  if (isObject(a) && isObject(b)) return a === b;
  if (isObject(a)) { if (b == null) return false; a = toStr(a); }
  if (isObject(b)) { if (a == null) return false; b = toStr(b); }
  return a == b; // eslint-disable-line eqeqeq -- both are primitives now: JavaScript's own rules
}

function compare(op, a, b) {
  if (isObject(a)) a = toStr(a);
  if (isObject(b)) b = toStr(b);
  if (typeof a !== "string" || typeof b !== "string") { a = Number(a); b = Number(b); }
  switch (op) {
    case "<": return a < b;
    case "<=": return a <= b;
    case ">": return a > b;
    default: return a >= b;
  }
}

// obj[key] for own properties only: a forgotten prototype can never leak in.
function get(obj, key) {
  if (FORBIDDEN.has(key)) return undefined;
  if (typeof obj === "string" || Array.isArray(obj)) {
    if (key === "length") return obj.length;
    return ARRAY_INDEX.test(key) && Number(key) < obj.length ? obj[Number(key)] : undefined;
  }
  return isObject(obj) && own(obj, key) ? obj[key] : undefined;
}

function part(table, name) {
  return isObject(table) && Array.isArray(table[name]) ? table[name] : [];
}

// The distinct non-empty cells of one column, first seen first; [] when anything is off.
function columnValues(ctx, args) {
  const tables = isObject(ctx.tables) ? ctx.tables : {};
  if (typeof args[0] !== "string" || !own(tables, args[0]) || tables[args[0]] == null) return [];
  const columns = part(tables[args[0]], "columns");
  let col = args.length > 1 ? args[1] : 0;
  if (typeof col === "string" && columns.includes(col)) col = columns.indexOf(col);
  else if (typeof col === "string" && ARRAY_INDEX.test(col)) col = Number(col);
  if (typeof col !== "number" || !Number.isInteger(col) || col < 0) return [];
  const seen = new Set();
  for (const row of part(tables[args[0]], "rows")) {
    const cell = Array.isArray(row) && col < row.length ? row[col] : null;
    if (cell != null && cell !== "") seen.add(typeof cell === "string" ? cell : toStr(cell));
  }
  return [...seen];
}

function ev(node, ctx) {
  switch (node.t) {
    case "lit": return node.v;
    case "undefined": return undefined;
    case "this": {
      const tables = isObject(ctx.tables) ? ctx.tables : {};
      const header = Object.fromEntries(Object.keys(tables).map((k) => [k, [...part(tables[k], "columns")]]));
      return { params: ctx.params, tableHeader: header };
    }
    case "member": return get(ev(node.object, ctx), node.name);
    case "index": { const obj = ev(node.object, ctx); return get(obj, toStr(ev(node.index, ctx))); }
    case "not": return !ev(node.arg, ctx);
    case "cond": return ev(node.test, ctx) ? ev(node.then, ctx) : ev(node.else, ctx);
    case "array": return node.items.map((x) => ev(x, ctx));
    case "bin": {
      const left = ev(node.left, ctx);
      if (node.op === "&&") return left ? ev(node.right, ctx) : left;
      if (node.op === "||") return left ? left : ev(node.right, ctx);
      const right = ev(node.right, ctx);
      switch (node.op) {
        case "===": return left === right;
        case "!==": return left !== right;
        case "==": return looseEqual(left, right);
        case "!=": return !looseEqual(left, right);
        default: return compare(node.op, left, right);
      }
    }
    case "call": {
      const obj = ev(node.object, ctx);
      const arg = ev(node.args[0], ctx);
      const indexOf = node.method === "indexOf";
      if (typeof obj === "string") {
        const found = obj.indexOf(toStr(arg));
        return indexOf ? found : found >= 0;
      }
      if (Array.isArray(obj)) return indexOf ? obj.indexOf(arg) : obj.includes(arg);
      return indexOf ? -1 : false; // forgiving: a non-array acts as an empty one
    }
    case "helper": {
      const args = node.args.map((x) => ev(x, ctx));
      return node.name === "fetchPerplexity" ? null : columnValues(ctx, args);
    }
    default: throw new Error(`not an expression node: ${JSON.stringify(node)}`);
  }
}

function toPublic(v, depth = 0) {
  if (v === undefined) return null;
  return Array.isArray(v) && depth <= MAX_DEPTH ? v.map((x) => toPublic(x, depth + 1)) : v;
}

/** Evaluate a JSON expression tree; undefined comes back as null, as on the server. */
export function evaluate(tree, ctx = {}) {
  return toPublic(ev(tree, { params: ctx.params, tables: ctx.tables }));
}
