// Tiny DOM helpers shared by every page. No framework: each page builds its elements with
// `h()` and updates them directly, so there is nothing to compile and nothing to download.

let nextId = 0;

/** A unique element id with a readable prefix (labels and aria-describedby need ids). */
export function uid(prefix = "pf") {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "multiple", "readOnly",
  "indeterminate", "open"]);

/**
 * h("button", {class: "btn", onclick: fn, "aria-label": "Close"}, "text", child, ...)
 *
 * `text` sets textContent; keys starting with "on" add listeners; `dataset` is an object;
 * properties such as value/checked are set as properties, everything else as attributes.
 * Strings among the children become text nodes (never HTML), so data can never inject markup.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      if (PROPERTIES.has(key) && value === false) el[key] = false;
      continue;
    }
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Remove every child of `el` and optionally put new ones in. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.flush = (...args) => {
    clearTimeout(timer);
    fn(...args);
  };
  return wrapped;
}

/** A deep copy of JSON data (parameters are always plain JSON). */
export function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Offer `blob` as a download named `name` (export of parameters). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Announce `text` to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById("live-region");
  if (!region) return;
  region.textContent = "";
  // A new text node in a later frame is what makes screen readers speak it again.
  requestAnimationFrame(() => { region.textContent = text; });
}
