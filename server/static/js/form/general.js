// The shared plot-settings panel (data.json `general`): one field for each key the plugin
// has, drawn by what the key means (size, export kinds, palette with its colours, legend,
// font sizes...). The common settings show first; the rest fold under "More settings".

import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n.js";
import { Field } from "./field.js";

const EXPORT_KINDS = ["pdf", "png", "svg", "jpeg", "tiff"];
const HIDDEN = new Set(["cmd", "taskname", "cliMode", "plumber"]); // internal to Hiplot's runtime
const FONT_SIZES = ["titleSize", "axisTitleSize", "axisTextFontSize", "legendTitleSize", "legendTextSize",
  "fontsizeRow", "fontsizeCol"];
const MAIN = ["size", "imageExportType", "title", "palette", "paletteCustom", "theme", "legendPos"];

// What each known key is drawn as; `translate` shows choice names (right, top...) in the page language.
const SPECS = {
  imageExportType: { type: "checkboxes", class: "col-12" },
  legendPos: { type: "select", items: ["right", "left", "top", "bottom", "none"], translate: true },
  legendDir: { type: "select", items: ["vertical", "horizontal"], translate: true },
  alpha: { type: "slider", min: 0, max: 1, step: 0.05 },
  xAxisTextAngle: { type: "slider", min: -90, max: 90, step: 5 },
  xAxisHjust: { type: "slider", min: 0, max: 1, step: 0.05 },
  xAxisVjust: { type: "slider", min: 0, max: 1, step: 0.05 },
  digits: { type: "number", min: 0, max: 15, step: 1 },
  title: { type: "text-field", class: "col-12" },
  ...Object.fromEntries(["xlab", "ylab", "legendTitle", "font", "theme", "palette2", "paletteCont",
    "transformX", "transformY"].map((k) => [k, { type: "text-field" }])),
  ...Object.fromEntries(FONT_SIZES.map((k) => [k, { type: "number", min: 0, max: 100, step: 0.5, class: "col-6 col-md-4" }])),
};

function entriesOf(form, defaults) {
  const listed = Array.isArray(form?.general) ? form.general.filter((e) => e && typeof e.key === "string") : [];
  if (listed.length) return listed;
  return Object.keys(defaults?.general || {}).map((key) => ({ key }));
}

/** Items with their labels: the server's `item_labels` ({value: label}) when it gives them. */
export function labelledItems(items, labels) {
  return (Array.isArray(items) ? items : []).map((value) => {
    const label = labels && typeof labels === "object" ? labels[String(value)] : undefined;
    return typeof label === "string" ? { value, label } : value;
  });
}

/** The widget spec of one setting: the server's description first, our defaults for the rest. */
function specFor(entry, value, exports) {
  const base = { ...(SPECS[entry.key] || {}) };
  if (typeof entry.type === "string" && entry.type !== "size" && entry.type !== "color-list") {
    base.type = entry.type === "select" && entry.multiple ? "checkboxes" : entry.type;
  }
  if (Array.isArray(entry.items) && entry.items.length) base.items = labelledItems(entry.items, entry.item_labels);
  if (entry.key === "imageExportType" && !base.items) {
    const kinds = [...EXPORT_KINDS, ...(exports?.plotly ? ["plotly"] : [])];
    for (const v of Array.isArray(value) ? value : []) if (!kinds.includes(v)) kinds.push(v);
    base.items = kinds.map((kind) => ({ value: kind, label: t(`ui.format.${kind}`) }));
  }
  for (const attr of ["min", "max", "step"]) if (entry[attr] !== undefined && entry[attr] !== null) base[attr] = entry[attr];
  return base;
}

function paletteSwatches(entry) {
  return entry.swatches && typeof entry.swatches === "object" ? entry.swatches : {};
}

/** A strip of the colours of the palette currently chosen. */
function swatchStrip(swatches) {
  const strip = h("div", { class: "swatches", "aria-hidden": "true" });
  return {
    element: strip,
    show(name) {
      const colours = Array.isArray(swatches[name]) ? swatches[name].slice(0, 12) : [];
      replaceChildren(strip, ...colours.map((colour) => {
        const chip = h("span", { class: "swatch", title: colour });
        chip.style.backgroundColor = colour; // CSSOM, allowed by the page's style-src 'self'
        return chip;
      }));
      strip.hidden = !colours.length;
      strip.title = t("ui.swatch_of", { palette: name });
    },
  };
}

/** The custom palette: colours separated by commas, with their chips. */
function customColoursField(state, label) {
  const pointer = "/params/general/paletteCustom";
  const field = new Field(pointer, { type: "text-field", class: "col-12" }, label,
    (state.get(pointer) || []).join(", "),
    (text) => state.set(pointer, String(text).split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)));
  field.conditions = { if_func: { t: "bin", op: "===", left: { t: "member", name: "palette", object: { t: "member",
    name: "general", object: { t: "member", name: "config", object: { t: "member", name: "params", object: { t: "this" } } } } },
  right: { t: "lit", v: "custom" } } };
  field.setValue = (v) => field.widget.setValue(Array.isArray(v) ? v.join(", ") : v);
  return field;
}

/** Build the panel; returns {element, fields}. */
export function renderGeneral(form, defaults, state) {
  const fields = [];
  const main = h("div", { class: "grid" });
  const more = h("div", { class: "grid" });
  for (const entry of entriesOf(form, defaults)) {
    const key = entry.key;
    if (HIDDEN.has(key)) continue;
    const label = entry.label || t(`ui.general.${key}`);
    const target = MAIN.includes(key) ? main : more;
    if (key === "size" || entry.type === "size") {
      for (const side of ["width", "height"]) {
        const pointer = `/params/general/size/${side}`;
        const field = new Field(pointer, { type: "number", min: 1, max: 50, step: 0.5, class: "col-6 col-md-3" },
          `${t(`ui.general.${side}`)} (${t("ui.inches")})`, state.get(pointer), (v) => state.set(pointer, v));
        fields.push(field);
        target.append(field.element);
      }
      continue;
    }
    if (key === "paletteCustom" || entry.type === "color-list") {
      const field = customColoursField(state, label);
      fields.push(field);
      target.append(field.element);
      continue;
    }
    const pointer = `/params/general/${key}`;
    const value = state.get(pointer);
    const spec = specFor(entry, value, form?.exports);
    const field = new Field(pointer, spec, label, value, (v) => state.set(pointer, v),
      { translate: spec.translate === true, gridClass: spec.class || "col-12 col-md-6" });
    if (!field.drawn) continue;
    if (key === "palette") {
      const strip = swatchStrip(paletteSwatches(entry));
      field.element.insertBefore(strip.element, field.message);
      strip.show(value);
      field.onValue = (v) => strip.show(v);
      const setValue = field.setValue.bind(field);
      field.setValue = (v) => { setValue(v); strip.show(v); };
    }
    fields.push(field);
    target.append(field.element);
  }
  const details = h("details", { class: "more-settings" }, h("summary", { text: t("ui.more_settings") }), more);
  const element = h("div", { class: "general" }, main, more.childElementCount ? details : null);
  return { element, fields };
}
