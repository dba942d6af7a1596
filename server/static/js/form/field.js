// A form field: a label tied to its control, the control, and a place for its message.
// Fields are found by their JSON pointer into the run request ("/params/extra/p_cutoff"),
// which is also what the server's field errors and the schema validator point at.

import { h, uid } from "../dom.js";
import { createWidget } from "./widgets.js";

const GRID_CLASS = /^(?:col|col-(?:sm|md|lg|xl)-(?:[1-9]|1[0-2]|auto)|col-(?:[1-9]|1[0-2]|auto)|offset-(?:(?:sm|md|lg|xl)-)?(?:[0-9]|1[01]))$/;

/** Only the grid's own class names get through from a plugin (nothing else styles the page). */
export function gridClass(value, fallback = "col-12 col-md-6") {
  const names = typeof value === "string" ? value.split(/\s+/).filter((c) => GRID_CLASS.test(c)) : [];
  return names.length ? names.join(" ") : fallback;
}

export class Field {
  /**
   * spec: the widget spec (type, items, min, max, ...); label: text; value: the current value;
   * onChange(value); options: {upload, translate, required, help, conditions, gridClass}
   */
  constructor(pointer, spec, label, value, onChange, options = {}) {
    this.pointer = pointer;
    this.spec = spec;
    this.conditions = options.conditions || null;
    this.touched = false;
    this.visible = true;
    const id = uid("field");
    this.errorId = `${id}-error`;
    this.widget = createWidget(spec, {
      id, value, label, upload: options.upload, translate: options.translate,
      onChange: (next) => {
        this.touched = true;
        onChange(next);
      },
    });
    this.label = h(this.widget?.group ? "span" : "label", { class: "field-label", id: `${id}-label` });
    if (!this.widget?.group) this.label.htmlFor = id;
    this.labelText = h("span", { text: label });
    this.label.append(this.labelText);
    if (options.required) this.label.append(h("span", { class: "req", "aria-hidden": "true", text: " *" }));
    this.message = h("p", { class: "field-message", id: this.errorId, hidden: true });
    this.baseClass = options.gridClass || gridClass(spec.class);
    const parts = this.widget?.inline
      ? [h("div", { class: "switch-row" }, this.widget.control, this.label)]
      : [this.label, this.widget?.control];
    this.element = h("div", { class: `field ${this.baseClass}`, dataset: { pointer } }, ...parts,
      options.help ? h("p", { class: "field-help muted", text: options.help }) : null, this.message);
    if (this.widget?.group) this.element.setAttribute("role", "group");
    if (this.widget?.group) this.element.setAttribute("aria-labelledby", `${id}-label`);
  }

  get drawn() {
    return Boolean(this.widget);
  }

  setValue(value) {
    this.widget?.setValue(value);
  }

  setLabel(text) {
    this.labelText.textContent = text;
  }

  setVisible(visible) {
    this.visible = visible;
    this.element.hidden = !visible;
  }

  setGridClass(value) {
    const next = gridClass(value, this.baseClass);
    this.element.className = `field ${next}`;
  }

  /** Show `text` under the field as an "error" or a "warning"; empty text clears it. */
  setMessage(text, level = "error") {
    const focus = this.widget?.focus;
    this.message.hidden = !text;
    this.message.textContent = text || "";
    this.message.className = `field-message ${text ? `is-${level}` : ""}`;
    this.element.classList.toggle("has-error", Boolean(text) && level === "error");
    this.element.classList.toggle("has-warning", Boolean(text) && level === "warning");
    if (focus?.setAttribute) {
      if (text) {
        focus.setAttribute("aria-describedby", this.errorId);
        focus.setAttribute("aria-invalid", level === "error" ? "true" : "false");
      } else {
        focus.removeAttribute("aria-describedby");
        focus.removeAttribute("aria-invalid");
      }
    }
  }

  focus() {
    this.element.scrollIntoView({ block: "center", behavior: "smooth" });
    this.widget?.focus?.focus?.({ preventScroll: true });
  }
}
