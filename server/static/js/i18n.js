// The page language and its labels. The language comes from ?lang= (which is then kept),
// else from what the user chose before (localStorage), else from the browser. Labels come
// from the server's bundle (GET /api/i18n/{lang}), one source for every label in both
// languages; only the "server unreachable" message ships with the page.

import { OFFLINE_MESSAGES } from "./i18n-offline.js";

export const LANGUAGES = ["en", "zh_cn"];
const STORAGE_KEY = "plotforge.lang";
let messages = {};
let lang = "en";
let markLoaded;
/** Resolves once the first bundle is in: scripts that draw labels outside the page's own start-up wait for it. */
export const labelsLoaded = new Promise((resolve) => { markLoaded = resolve; });

function normalise(value) {
  if (typeof value !== "string") return null;
  const lower = value.toLowerCase().replace("-", "_");
  if (lower === "en" || lower.startsWith("en_")) return "en";
  if (lower === "zh" || lower.startsWith("zh")) return "zh_cn";
  return null;
}

function stored() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage can be switched off; the language then lasts for the page only
  }
}

function store(value) {
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch {
    /* see stored() */
  }
}

/** The language to use now; a ?lang= in the address is remembered for next time. */
export function detectLanguage() {
  const fromUrl = normalise(new URLSearchParams(location.search).get("lang"));
  if (fromUrl) {
    store(fromUrl);
    return fromUrl;
  }
  return normalise(stored()) || normalise(navigator.language) || "en";
}

export function currentLanguage() {
  return lang;
}

/** Load the bundle of `language`; never throws (a missing bundle leaves English fallbacks). */
export async function loadLanguage(language) {
  lang = LANGUAGES.includes(language) ? language : "en";
  let bundle = {};
  try {
    const response = await fetch(`/api/i18n/${lang}`, { headers: { Accept: "application/json" } });
    if (response.ok) bundle = await response.json();
  } catch {
    bundle = { ...OFFLINE_MESSAGES[lang] };
  }
  messages = { ...OFFLINE_MESSAGES[lang], ...(bundle && typeof bundle === "object" ? bundle : {}) };
  document.documentElement.lang = lang === "zh_cn" ? "zh-CN" : "en";
  markLoaded();
  return messages;
}

/** Remember `language`, put it in the address and tell the page (which redraws its labels). */
export async function switchLanguage(language) {
  store(language);
  const url = new URL(location.href);
  url.searchParams.set("lang", language);
  history.replaceState(history.state, "", url);
  await loadLanguage(language);
  document.dispatchEvent(new CustomEvent("pf:language", { detail: { lang: language } }));
}

function readable(key) {
  const last = key.split(".").pop() || key;
  const words = last.replace(/[_-]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label of `key` with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : readable(key);
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/** Whether the bundle has a label for `key` (for optional labels such as choice names). */
export function has(key) {
  return Object.prototype.hasOwnProperty.call(messages, key);
}

/**
 * Fill the static labels of `root`: data-i18n sets the text; data-i18n-placeholder,
 * data-i18n-title and data-i18n-aria-label set those attributes.
 */
export function applyLabels(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [attr, name] of [["i18nPlaceholder", "placeholder"], ["i18nTitle", "title"],
    ["i18nAriaLabel", "aria-label"]]) {
    const selector = `[data-${attr.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const el of root.querySelectorAll(selector)) el.setAttribute(name, t(el.dataset[attr]));
  }
}
