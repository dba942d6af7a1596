// The live preview of `plotforge plugin preview`, loaded on top of the real tool page: the
// plugin's catalogue card and its lint findings above the form. After each save the server
// says so over /api/preview/events; this reads /api/preview/status and, when the plugin
// loads, tells the tool page to draw the form again ("pf:plugin-changed", see tool.js).
// A plugin that does not load shows its findings instead of the form, until it is fixed.

import { h, replaceChildren } from "./dom.js";
import { currentLanguage, labelsLoaded, t } from "./i18n.js";
import { pluginCard } from "./plugin-card.js";

await labelsLoaded; // the tool page loads the labels; the preview's own words need them too
const tool = document.getElementById("tool");
const live = h("span", { class: "preview-live" });
const folder = h("span", { class: "mono" });
const bar = h("div", { class: "preview-bar" }, h("strong", { text: t("ui.preview.title") }), folder, live);
const findings = h("div", { class: "preview-findings", hidden: true });
const cardSlot = h("ul", { class: "card-grid preview-card", "aria-label": t("ui.preview.card") });
tool.before(h("section", { class: "preview", "aria-label": t("ui.preview.section") }, bar, findings, cardSlot));

let shown = -1; // the version of the plugin on the page
let work = Promise.resolve(); // one status read at a time, in order

function later(task) {
  work = work.then(task).catch((error) => showLive(t("ui.preview.unreachable", { error: error.message }), true));
  return work;
}

function where(finding) {
  return `${finding.file}${finding.line != null ? `:${finding.line}` : ""}${finding.pointer ? `#${finding.pointer}` : ""}`;
}

function drawFindings(status) {
  const list = Array.isArray(status.findings) ? status.findings : [];
  const errors = list.filter((f) => f.severity === "error").length;
  findings.hidden = !list.length;
  if (!list.length) return replaceChildren(findings);
  const headline = status.ok
    ? t("ui.preview.warnings", { count: list.length - errors })
    : t("ui.preview.broken", { key: status.key, count: errors });
  replaceChildren(findings,
    h("p", { class: "preview-headline", role: status.ok ? null : "alert", text: headline }),
    h("ul", { class: "finding-list" }, ...list.map((f) => h("li", {
      class: `finding is-${f.severity}`, dataset: { file: f.file, code: f.code },
    }, h("code", { class: "finding-where", text: where(f) }), " ", h("span", { class: "finding-code", text: f.code }),
    " ", h("span", { class: "finding-message", text: f.message })))));
  findings.classList.toggle("is-broken", !status.ok);
}

function showLive(text, problem = false) {
  live.textContent = text;
  live.classList.toggle("is-problem", problem);
}

async function readStatus() {
  const response = await fetch(`/api/preview/status?lang=${encodeURIComponent(currentLanguage())}`,
    { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/** Show the plugin as it is on disk now; `changed`: it changed since the page drew it. */
async function update(changed) {
  const status = await readStatus();
  folder.textContent = status.path;
  drawFindings(status);
  replaceChildren(cardSlot, status.card ? pluginCard(status.card) : null);
  tool.hidden = !status.ok;
  if (changed && status.ok) document.dispatchEvent(new CustomEvent("pf:plugin-changed", { detail: status }));
  if (changed) showLive(t("ui.preview.read_again", { time: new Date().toLocaleTimeString() }));
  shown = status.version;
}

later(() => update(false));
document.addEventListener("pf:language", () => later(() => update(false)));
const events = new EventSource("/api/preview/events");
events.addEventListener("plugin", (event) => {
  const { version } = JSON.parse(event.data);
  later(() => (version === shown ? null : update(true)));
});
events.addEventListener("open", () => showLive(t("ui.preview.watching")));
// The browser reconnects by itself; meanwhile say that saves are not followed.
events.addEventListener("error", () => showLive(t("ui.preview.disconnected"), true));
