// Numbers and times as people read them.

import { currentLanguage, t } from "./i18n.js";

export function fileSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function dateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const locale = currentLanguage() === "zh_cn" ? "zh-CN" : "en-GB";
  return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

export function duration(startIso, endIso) {
  if (!startIso || !endIso) return "";
  const seconds = (new Date(endIso) - new Date(startIso)) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  return t("ui.seconds", { n: seconds < 10 ? seconds.toFixed(1) : Math.round(seconds) });
}

/** The label of an output kind ("PDF (vector)"), falling back to the kind in capitals. */
export function kindLabel(kind) {
  const key = `ui.format.${kind}`;
  const label = t(key);
  return label === kind || label.toLowerCase() === String(kind).toLowerCase() ? String(kind).toUpperCase() : label;
}
