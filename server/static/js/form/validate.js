// Validation as the user types, with the SAME JSON Schema the server uses (the `schema` of
// GET /api/plugins/{m}/{t}), through a standards validator that runs in the browser without
// compiling code (@cfworker/json-schema, vendored). Its errors become short messages in the
// page's language, keyed by the JSON pointer of the field they concern. Checks the schema
// cannot express (required columns, columns that exist, empty tables) are added here.

import { t } from "../i18n.js";
import { pointerToPath } from "../tool/state.js";

let validatorModule = null;

async function loadValidator() {
  if (validatorModule === null) {
    try {
      validatorModule = await import("/static/vendor/cfworker-json-schema/index.js");
    } catch {
      validatorModule = false; // without it the server still validates every run
    }
  }
  return validatorModule || null;
}

// Keywords that only say "something below failed": the error below is the useful one.
const CONTAINERS = new Set(["properties", "prefixItems", "items", "$ref", "allOf", "additionalItems",
  "unevaluatedItems", "unevaluatedProperties", "dependentSchemas", "if", "then", "else", "contains"]);
const PREFERENCE = ["type", "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
  "maxLength", "minLength", "minItems", "maxItems", "enum", "pattern", "const", "additionalProperties", "anyOf",
  "oneOf", "false", "not"];

function resolveRef(root, ref) {
  if (typeof ref !== "string" || !ref.startsWith("#")) return undefined;
  let node = root;
  for (const segment of pointerToPath(ref.slice(1))) node = node?.[segment];
  return node;
}

/** The schema node a keywordLocation ("#/properties/.../maximum") ends in, following $ref. */
function schemaAt(root, keywordLocation) {
  let node = root;
  for (const segment of pointerToPath(keywordLocation.replace(/^#/, ""))) {
    if (node === undefined) return undefined;
    node = segment === "$ref" ? resolveRef(root, node.$ref) : node[segment];
  }
  return node;
}

function parentOf(root, keywordLocation) {
  return schemaAt(root, keywordLocation.replace(/\/[^/]*$/, ""));
}

function message(root, error) {
  const limit = schemaAt(root, error.keywordLocation);
  const node = parentOf(root, error.keywordLocation) || {};
  switch (error.keyword) {
    case "type": {
      const wanted = Array.isArray(limit) ? limit[0] : limit;
      return t(["number", "integer"].includes(wanted) ? "ui.error.type_number" : wanted === "boolean"
        ? "ui.error.type_boolean" : wanted === "array" ? "ui.error.type_list" : "ui.error.type_text");
    }
    case "minimum": case "exclusiveMinimum": return t("ui.error.minimum", { limit });
    case "maximum": case "exclusiveMaximum": return t("ui.error.maximum", { limit });
    case "multipleOf": return t("ui.error.multiple_of", { limit });
    case "maxLength": return t("ui.error.max_length", { limit });
    case "minLength": return t("ui.error.required");
    case "minItems": case "maxItems": return t("ui.error.item_count", { limit: node.minItems ?? limit });
    case "enum": case "const": return t("ui.error.choice");
    case "additionalProperties": return t("ui.error.unknown_parameter");
    default: return t("ui.error.invalid");
  }
}

function isColour(root, keywordLocation) {
  return /\/\$ref(?:\/|$)/.test(keywordLocation) && /colour|color/i.test(String(schemaAt(root,
    keywordLocation.replace(/\/\$ref.*$/, ""))?.$ref || ""));
}

/** "#/params/extra/x" -> "/params/extra/x" */
const toPointer = (instanceLocation) => instanceLocation.replace(/^#/, "");

export class FormValidator {
  static async create(schema) {
    const module = await loadValidator();
    return new FormValidator(schema, module);
  }

  constructor(schema, module) {
    this.schema = schema && typeof schema === "object" ? schema : null;
    this.validator = module && this.schema ? new module.Validator(this.schema, "2020-12", false) : null;
  }

  /** Map pointer -> message for the parameters of `runRequest` (tables are checked by checkTables). */
  validate(params) {
    const problems = new Map();
    if (!this.validator) return problems;
    let result;
    try {
      result = this.validator.validate({ params });
    } catch {
      return problems;
    }
    const byLocation = new Map();
    for (const error of result.errors) {
      if (CONTAINERS.has(error.keyword)) continue;
      const pointer = toPointer(error.instanceLocation);
      if (!byLocation.has(pointer)) byLocation.set(pointer, []);
      byLocation.get(pointer).push(error);
    }
    for (const [pointer, errors] of byLocation) {
      if (errors.some((e) => isColour(this.schema, e.keywordLocation))) {
        problems.set(pointer, t("ui.error.colour"));
        continue;
      }
      // Inside anyOf [widget, {const: default}] the widget's own complaint is the one to show.
      const useful = errors.filter((e) => !(e.keyword === "const" && /\/anyOf\/\d+\/const$/.test(e.keywordLocation)));
      const pool = useful.length ? useful : errors;
      pool.sort((a, b) => rank(a.keyword) - rank(b.keyword));
      problems.set(pointer, message(this.schema, pool[0]));
    }
    return problems;
  }
}

function rank(keyword) {
  const i = PREFERENCE.indexOf(keyword);
  return i < 0 ? PREFERENCE.length : i;
}

/**
 * What the schema cannot say: a required column role left empty, a column that is not in
 * its table, a required table left empty. `roles` is Form.dataArg; `tables` the models.
 */
export function checkColumns(roles, params, tables, requiredTables) {
  const problems = new Map();
  for (const [table, list] of Object.entries(roles || {})) {
    const model = tables.get(table);
    const columns = model ? model.namedColumns : [];
    (Array.isArray(list) ? list : []).forEach((role, index) => {
      const pointer = `/params/dataArg/${table}/${index}/value`;
      const value = params?.dataArg?.[table]?.[index]?.value;
      const chosen = (Array.isArray(value) ? value : [value]).filter((v) => v !== "" && v !== null && v !== undefined);
      if (!chosen.length) {
        if (role?.required && model && !model.isEmpty) problems.set(pointer, t("ui.error.required"));
        return;
      }
      if (!model || model.isEmpty) return;
      const missing = chosen.filter((c) => !columns.includes(String(c)));
      if (missing.length) problems.set(pointer, t("ui.error.column_missing", { column: missing[0], table }));
    });
  }
  for (const name of requiredTables) {
    const model = tables.get(name);
    if (model && model.isEmpty) problems.set(`/tables/${name}`, t("ui.table_required"));
  }
  return problems;
}
