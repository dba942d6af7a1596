// The plugin's own form: the column pickers of each table (ui.json dataArg) and one field
// per parameter (ui.json extra), laid out on the 12-column grid from each widget's `class`.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { Field } from "./field.js";
import { labelledItems } from "./general.js";

/** Column pickers for every table; their choices follow the table's header. */
export function renderColumnPickers(dataArg, tableLabels, state) {
  const fields = [];
  const sections = [];
  const tableNames = Object.keys(dataArg || {});
  for (const table of tableNames) {
    const roles = Array.isArray(dataArg[table]) ? dataArg[table] : [];
    if (!roles.length) continue;
    const model = state.tables.get(table);
    const grid = h("div", { class: "grid" });
    roles.forEach((role, index) => {
      const pointer = `/params/dataArg/${table}/${index}/value`;
      const spec = { type: "select", multiple: role?.multiple === true, clearable: true,
        items: model ? model.namedColumns : [], class: role?.class };
      const field = new Field(pointer, spec, role?.label || `${t("ui.select_column")} ${index + 1}`, state.get(pointer),
        (value) => state.set(pointer, value), { required: role?.required === true, gridClass: undefined });
      field.table = table;
      field.refreshItems = () => field.widget?.setItems?.(model ? model.namedColumns : []);
      fields.push(field);
      grid.append(field.element);
    });
    const heading = tableNames.length > 1 ? `${t("ui.column_roles")} — ${tableLabels[table] || table}` : t("ui.column_roles");
    sections.push(h("fieldset", { class: "roles", dataset: { table } }, h("legend", { class: "section-title", text: heading }), grid));
  }
  return { fields, element: h("div", { class: "roles-list" }, ...sections) };
}

/** One field per extra parameter. */
export function renderExtra(extra, state, { upload } = {}) {
  const fields = [];
  const grid = h("div", { class: "grid" });
  for (const spec of Array.isArray(extra) ? extra : []) {
    if (!spec || typeof spec.key !== "string") continue;
    const pointer = `/params/extra/${spec.key}`;
    const widgetSpec = { ...(spec.attrs || {}), ...spec };
    if (Array.isArray(spec.items)) widgetSpec.items = labelledItems(spec.items, spec.item_labels);
    const field = new Field(pointer, widgetSpec, spec.label || spec.key, state.get(pointer),
      (value) => state.set(pointer, value),
      { upload, conditions: normaliseConditions(spec), required: spec.required === true });
    if (!field.drawn) continue; // a value the form cannot draw (a list, an object) is kept as it is
    fields.push(field);
    grid.append(field.element);
  }
  return { fields, element: grid };
}

/** The conditions of a widget: the Form's `conditions` object, or the raw ui.json attribute. */
function normaliseConditions(spec) {
  const c = spec.conditions && typeof spec.conditions === "object" ? { ...spec.conditions } : {};
  if (c.if === undefined && typeof spec.if === "string") c.if = spec.if;
  const any = Object.values(c).some((v) => v !== null && v !== undefined);
  return any ? c : null;
}

/** File inputs that are not tables (ui.json `data` entries of type cloud-file): an upload each. */
export function renderFileInputs(tables, state, { upload } = {}) {
  const fields = [];
  const grid = h("div", { class: "grid" });
  for (const spec of tables) {
    const pointer = `/params/data/${spec.name}`;
    const field = new Field(pointer, { ...(spec.attrs || {}), ...spec, type: "cloud-file" }, spec.label || spec.name,
      state.get(pointer), (value) => state.set(pointer, value), { upload, required: spec.required === true });
    fields.push(field);
    grid.append(field.element);
  }
  return { fields, element: grid };
}
