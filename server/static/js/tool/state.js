// What the tool page edits: the parameters (params.config: data, dataArg, general, extra)
// and the input tables. Every change is announced, so conditions, column pickers and
// validation follow it.

import { clone, isObject } from "../dom.js";
import { TableModel } from "../table/model.js";

const SECTIONS = ["data", "dataArg", "general", "extra"];

/** Hiplot's overlay: each key of each section of `over` replaces the same key of `base`. */
export function overlayTwoLevels(base, over) {
  const out = clone(base) || {};
  if (!isObject(over)) return out;
  for (const [section, values] of Object.entries(over)) {
    if (isObject(values) && isObject(out[section])) {
      for (const [key, value] of Object.entries(values)) out[section][key] = clone(value);
    } else {
      out[section] = clone(values);
    }
  }
  return out;
}

/** The path segments of a JSON pointer (RFC 6901). */
export function pointerToPath(pointer) {
  if (!pointer) return [];
  return pointer.replace(/^\//, "").split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export class ToolState {
  constructor(defaults, tableNames) {
    this.defaults = clone(isObject(defaults) ? defaults : {});
    for (const section of SECTIONS) if (!isObject(this.defaults[section])) this.defaults[section] = {};
    this.params = clone(this.defaults);
    this.tables = new Map(tableNames.map((name) => [name, new TableModel(name)]));
    this.listeners = new Set();
    for (const model of this.tables.values()) {
      model.onChange((_m, structural) => this.emit({ table: model.name, structural }));
    }
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  emit(change) {
    for (const listener of this.listeners) listener(change);
  }

  /** The value at a pointer into the request, e.g. "/params/extra/p_cutoff". */
  get(pointer) {
    let node = { params: this.params };
    for (const segment of pointerToPath(pointer)) {
      if (node === null || typeof node !== "object") return undefined;
      node = node[segment];
    }
    return node;
  }

  /** Set the value at a pointer under /params, creating objects and list entries on the way. */
  set(pointer, value) {
    const path = pointerToPath(pointer);
    if (path[0] !== "params" || path.length < 2) throw new Error(`not a parameter pointer: ${pointer}`);
    let node = this.params;
    for (let i = 1; i < path.length - 1; i += 1) {
      const segment = path[i];
      const nextIsIndex = /^\d+$/.test(path[i + 1]);
      if (node[segment] === null || typeof node[segment] !== "object") node[segment] = nextIsIndex ? [] : {};
      if (Array.isArray(node[segment]) && nextIsIndex) {
        while (node[segment].length <= Number(path[i + 1])) node[segment].push({ value: "" });
      }
      node = node[segment];
    }
    node[path[path.length - 1]] = value;
    this.emit({ pointer, value });
  }

  /** Replace the parameters with the defaults overlaid by `params` (import, example, a job). */
  load(params) {
    this.params = overlayTwoLevels(this.defaults, params);
    this.emit({ reset: true });
  }

  reset() {
    this.load({});
  }

  /** The `this` of condition expressions: data.json's params and the tables' cells. */
  expressionContext() {
    const textarea = Object.fromEntries([...this.tables.keys()].map((name) => [name, ""]));
    const tables = Object.fromEntries([...this.tables].map(([name, model]) => [name, model.forExpressions()]));
    return { params: { config: this.params, textarea }, tables };
  }

  /** The RunRequest of server/API.md. */
  runRequest() {
    const tables = {};
    for (const [name, model] of this.tables) {
      const value = model.toRequestValue();
      if (value !== "") tables[name] = value;
    }
    return { params: clone(this.params), tables, use_example: false };
  }
}
