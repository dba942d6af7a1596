// One control per ui.json widget type. Each builder gets the widget's spec and returns
// {control, focus, setValue(v), setItems?(items), setMax?(max)}; it calls `onChange(value)`
// with a JSON value whenever the user changes it. Labels and error messages are drawn by
// the field around it (field.js), which ties them to `id`.

import { h, replaceChildren, uid } from "../dom.js";
import { has, t } from "../i18n.js";

const numberOrNull = (value) => {
  if (value === null || value === undefined || value === "" || typeof value === "boolean") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
};

/** An item of a select: a value with the text to show. Items may be plain or {value, label|text}. */
export function itemOf(item) {
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    const value = "value" in item ? item.value : item.text ?? item.label;
    const text = typeof item.label === "string" ? item.label : typeof item.text === "string" ? item.text : value;
    return { value, text: String(text ?? "") };
  }
  return { value: item, text: String(item ?? "") };
}

/** The text of a choice: a translated name for the common words (none, left...), else the value. */
export function choiceText(item, translate = false) {
  const key = `ui.choice.${item.value}`;
  return translate && has(key) ? t(key) : item.text;
}

const sameValue = (a, b) => a === b || (a !== null && b !== null && typeof a !== "object" && String(a) === String(b));

// -- numbers --------------------------------------------------------------------------------

function slider(spec, { id, value, onChange }) {
  const min = numberOrNull(spec.min) ?? 0;
  const step = numberOrNull(spec.step) ?? 1;
  let max = numberOrNull(spec.max) ?? 100;
  const range = h("input", { type: "range", min, max, step, tabindex: "-1", "aria-hidden": "true", class: "slider" });
  const number = h("input", { type: "number", id, min, max, step, class: "input number-box", inputmode: "decimal" });
  const setValue = (v) => {
    number.value = v ?? "";
    if (numberOrNull(v) !== null) range.value = v;
  };
  range.addEventListener("input", () => {
    number.value = range.value;
    onChange(Number(range.value));
  });
  number.addEventListener("input", () => {
    const n = numberOrNull(number.value);
    if (n !== null) range.value = n;
    // Text that is not a number is passed on as it is, so validation can say so.
    onChange(n !== null ? n : number.value === "" && !number.validity.badInput ? null : number.value);
  });
  setValue(value);
  return {
    control: h("div", { class: "slider-row" }, range, number),
    focus: number,
    setValue,
    setMax(next) {
      const n = numberOrNull(next);
      // A computed maximum below the minimum (an empty table has no columns) is not applied.
      if (n === null || n === max || n < min) return;
      max = n;
      range.max = n;
      number.max = n;
    },
  };
}

function numberBox(spec, { id, value, onChange }) {
  const input = h("input", { type: "number", id, class: "input number-box", inputmode: "decimal",
    min: numberOrNull(spec.min) ?? undefined, max: numberOrNull(spec.max) ?? undefined,
    step: numberOrNull(spec.step) ?? "any" });
  input.addEventListener("input", () => {
    const n = numberOrNull(input.value);
    onChange(n !== null ? n : input.value === "" ? null : input.value);
  });
  const setValue = (v) => { input.value = v ?? ""; };
  setValue(value);
  return { control: input, focus: input, setValue, setMax: (m) => { input.max = m; } };
}

function rangeSlider(spec, { id, value, onChange }) {
  const attrs = { type: "number", class: "input number-box", inputmode: "decimal",
    min: numberOrNull(spec.min) ?? undefined, max: numberOrNull(spec.max) ?? undefined,
    step: numberOrNull(spec.step) ?? "any" };
  const low = h("input", { ...attrs, id });
  const high = h("input", { ...attrs, id: `${id}-high` });
  const lowLabel = h("span", { class: "range-label" });
  const highLabel = h("label", { class: "range-label", for: `${id}-high` });
  const emit = () => onChange([numberOrNull(low.value) ?? low.value, numberOrNull(high.value) ?? high.value]);
  low.addEventListener("input", emit);
  high.addEventListener("input", emit);
  const setValue = (v) => {
    const pair = Array.isArray(v) ? v : [null, null];
    low.value = pair[0] ?? "";
    high.value = pair[1] ?? "";
  };
  setValue(value);
  const relabel = () => {
    lowLabel.textContent = t("ui.range_low");
    highLabel.textContent = t("ui.range_high");
  };
  relabel();
  return {
    control: h("div", { class: "range-row" }, lowLabel, low, highLabel, high),
    focus: low,
    setValue,
    setMax: (m) => { low.max = m; high.max = m; },
  };
}

// -- choices --------------------------------------------------------------------------------

function checkboxGroup(spec, { id, value, onChange, translate, filterable }) {
  let items = (spec.items || []).map(itemOf);
  let chosen = Array.isArray(value) ? [...value] : value == null || value === "" ? [] : [value];
  const list = h("div", { class: "check-list", id });
  const filter = filterable ? h("input", { type: "search", class: "input input-small check-filter",
    placeholder: t("ui.filter"), "aria-label": t("ui.filter") }) : null;
  const draw = () => {
    const words = filter ? filter.value.trim().toLowerCase() : "";
    const shown = items.filter((item) => !words || item.text.toLowerCase().includes(words));
    // A chosen value that is not (or no longer) offered stays visible, so it can be unticked.
    for (const v of chosen) if (!items.some((i) => sameValue(i.value, v))) shown.push({ value: v, text: String(v) });
    replaceChildren(list, ...shown.map((item) => {
      const box = h("input", { type: "checkbox", checked: chosen.some((v) => sameValue(v, item.value)),
        onchange: () => {
          chosen = box.checked ? [...chosen, item.value] : chosen.filter((v) => !sameValue(v, item.value));
          // Keep the order of the offered items, as the plot will use it.
          const order = (v) => { const i = items.findIndex((it) => sameValue(it.value, v)); return i < 0 ? 1e9 : i; };
          chosen.sort((a, b) => order(a) - order(b));
          onChange([...chosen]);
        } });
      return h("label", { class: "check" }, box, h("span", { text: choiceText(item, translate) }));
    }));
  };
  filter?.addEventListener("input", draw);
  draw();
  return {
    control: h("div", { class: "check-group" }, filter, list),
    focus: filter || list,
    group: true,
    setValue(v) {
      chosen = Array.isArray(v) ? [...v] : v == null || v === "" ? [] : [v];
      draw();
    },
    setItems(next) {
      items = (next || []).map(itemOf);
      draw();
    },
  };
}

function select(spec, ctx) {
  if (spec.multiple) return checkboxGroup(spec, { ...ctx, filterable: (spec.items || []).length > 8 });
  const { id, value, onChange, translate } = ctx;
  let items = (spec.items || []).map(itemOf);
  let current = value;
  const el = h("select", { id, class: "input" });
  const draw = () => {
    const offered = [...items];
    if (spec.clearable || current === "" || current === null || current === undefined) {
      if (!offered.some((i) => i.value === "")) offered.unshift({ value: "", text: t("ui.none_chosen") });
    }
    if (current !== undefined && current !== null && !offered.some((i) => sameValue(i.value, current))) {
      offered.push({ value: current, text: String(current) });
    }
    replaceChildren(el, ...offered.map((item, index) => h("option", { value: String(index),
      selected: sameValue(item.value, current), text: item.value === "" ? item.text : choiceText(item, translate) })));
    el._items = offered;
  };
  el.addEventListener("change", () => {
    current = el._items[Number(el.value)]?.value ?? "";
    onChange(current);
  });
  draw();
  return {
    control: el,
    focus: el,
    setValue(v) { current = v; draw(); },
    setItems(next) { items = (next || []).map(itemOf); draw(); },
  };
}

/** Type-to-filter choice (autocomplete) or a choice with free values (combobox). */
function textWithList(spec, ctx, { free }) {
  if (spec.multiple && !free) return checkboxGroup(spec, { ...ctx, filterable: true });
  const { id, value, onChange } = ctx;
  let items = (spec.items || []).map(itemOf);
  const listId = uid("choices");
  const datalist = h("datalist", { id: listId });
  const input = h("input", { type: "text", id, list: listId, class: "input", autocomplete: "off",
    spellcheck: "false" });
  const numeric = () => items.length > 0 && items.every((i) => typeof i.value === "number");
  const drawList = () => replaceChildren(datalist, ...items.map((i) => h("option", { value: String(i.value) })));
  const parse = (text) => {
    if (spec.multiple) {
      return text.split(",").map((s) => s.trim()).filter(Boolean).map((s) => (numeric() && numberOrNull(s) !== null ? Number(s) : s));
    }
    const match = items.find((i) => String(i.value) === text);
    if (match) return match.value;
    return numeric() && numberOrNull(text) !== null ? Number(text) : text;
  };
  input.addEventListener("input", () => onChange(parse(input.value)));
  const setValue = (v) => { input.value = Array.isArray(v) ? v.join(", ") : v ?? ""; };
  setValue(value);
  drawList();
  if (numeric()) input.inputMode = "decimal";
  return {
    control: h("div", { class: "with-list" }, input, datalist),
    focus: input,
    setValue,
    setItems(next) { items = (next || []).map(itemOf); drawList(); },
  };
}

// -- text, colour, files --------------------------------------------------------------------

function textField(spec, { id, value, onChange }) {
  const input = h("input", { type: "text", id, class: "input", maxlength: 500, spellcheck: "false" });
  input.addEventListener("input", () => onChange(input.value));
  const setValue = (v) => { input.value = v ?? ""; };
  setValue(value);
  return { control: input, focus: input, setValue };
}

function textArea(spec, { id, value, onChange }) {
  const area = h("textarea", { id, class: "input mono", rows: 6, spellcheck: "false" });
  area.addEventListener("input", () => onChange(area.value));
  const setValue = (v) => { area.value = v ?? ""; };
  setValue(value);
  return { control: area, focus: area, setValue };
}

let colourContext = null;

/** "#rrggbb" for a colour R and CSS both know (hex or a name such as "steelblue"), else null. */
export function toHex(colour) {
  if (typeof colour !== "string" || !colour.trim()) return null;
  const text = colour.trim();
  if (/^#[0-9a-f]{6}([0-9a-f]{2})?$/i.test(text)) return text.slice(0, 7).toLowerCase();
  // R's numbered names (grey50, red3) are not CSS; CSS will ignore them and keep the sentinel.
  colourContext ||= document.createElement("canvas").getContext("2d");
  colourContext.fillStyle = "#010203";
  colourContext.fillStyle = text;
  const result = colourContext.fillStyle;
  return result === "#010203" && text.toLowerCase() !== "#010203" ? null : result;
}

function colorPicker(spec, { id, value, onChange, label }) {
  const picker = h("input", { type: "color", class: "colour-swatch", "aria-label": t("ui.choose_color") });
  const text = h("input", { type: "text", id, class: "input colour-text", spellcheck: "false", autocomplete: "off",
    "aria-label": t("ui.color_value", { label: label || "" }) });
  const setValue = (v) => {
    text.value = v ?? "";
    const hex = toHex(v);
    if (hex) picker.value = hex;
    picker.classList.toggle("unknown", !hex);
  };
  picker.addEventListener("input", () => {
    text.value = picker.value;
    picker.classList.remove("unknown");
    onChange(picker.value);
  });
  text.addEventListener("input", () => {
    const hex = toHex(text.value);
    if (hex) picker.value = hex;
    picker.classList.toggle("unknown", !hex);
    onChange(text.value.trim());
  });
  setValue(value);
  return { control: h("div", { class: "colour-row" }, picker, text), focus: text, setValue };
}

function cloudFile(spec, { id, value, onChange, upload }) {
  const input = h("input", { type: "file", hidden: true, accept: (spec.exts || []).map((e) => `.${String(e).replace(/^\./, "")}`).join(",") || undefined });
  const button = h("button", { type: "button", class: "btn btn-small", id, text: t("ui.upload") });
  const name = h("span", { class: "muted file-name" });
  const setValue = (v) => {
    const shown = v && typeof v === "object" ? v.value : v;
    name.textContent = shown ? String(shown) : t("ui.no_file");
  };
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", async () => {
    const file = input.files[0];
    input.value = "";
    if (!file || !upload) return;
    button.disabled = true;
    name.textContent = t("ui.uploading");
    try {
      const meta = await upload(file);
      // The server takes the upload id and copies the file into the job (server/api/run_requests.py).
      const next = { value: meta.id, link: "" };
      onChange(next);
      name.textContent = meta.name;
    } catch (error) {
      name.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });
  setValue(value);
  // A group (not a label on the button), so the button keeps its visible name "Upload file".
  return { control: h("div", { class: "file-row" }, button, name, input), focus: button, setValue, group: true };
}

function switchWidget(spec, { id, value, onChange }) {
  const box = h("input", { type: "checkbox", id, role: "switch", class: "switch" });
  box.addEventListener("change", () => onChange(box.checked));
  const setValue = (v) => { box.checked = v === true; };
  setValue(value);
  return { control: box, focus: box, setValue, inline: true };
}

export const WIDGETS = {
  slider,
  number: numberBox,
  "range-slider": rangeSlider,
  switch: switchWidget,
  select,
  checkboxes: (spec, ctx) => checkboxGroup(spec, ctx),
  autocomplete: (spec, ctx) => textWithList(spec, ctx, { free: false }),
  combobox: (spec, ctx) => textWithList(spec, ctx, { free: true }),
  "color-picker": colorPicker,
  "text-field": textField,
  codemirror: textArea,
  "hiplot-textarea": textArea,
  "cloud-file": cloudFile,
};

/** The widget type to draw for a spec; an unknown type is guessed from the default's kind. */
export function widgetType(spec, value) {
  if (WIDGETS[spec.type]) return spec.type;
  const sample = value ?? spec.default;
  if (typeof sample === "boolean") return "switch";
  if (typeof sample === "number") return "number";
  if (Array.isArray(sample) || (sample && typeof sample === "object")) return null; // kept, not drawn
  return "text-field";
}

export function createWidget(spec, ctx) {
  const type = widgetType(spec, ctx.value);
  return type ? { type, ...WIDGETS[type](spec, ctx) } : null;
}
