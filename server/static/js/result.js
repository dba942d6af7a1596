// A finished job's figure: an inline preview of each previewable output (PNG/SVG/JPEG as
// images, PDF in a frame, plotly HTML in a sandboxed frame) and one-click downloads of
// every file and of the reproducibility bundle.

import { h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { fileSize, kindLabel } from "./format.js";

const IMAGE_KINDS = ["png", "svg", "jpeg"];
const PREVIEW_ORDER = ["png", "svg", "jpeg", "plotly", "pdf"];

export function inlineUrl(url) {
  return `${url}${url.includes("?") ? "&" : "?"}inline=1`;
}

function previewOf(output) {
  const url = inlineUrl(output.url);
  if (IMAGE_KINDS.includes(output.kind)) {
    return h("img", { src: url, alt: `${t("ui.preview")} (${kindLabel(output.kind)})`, class: "figure-image" });
  }
  if (output.kind === "pdf") {
    return h("iframe", { src: url, title: `${t("ui.preview")} (PDF)`, class: "figure-frame" });
  }
  if (output.kind === "plotly" || output.kind === "html") {
    // Scripts may run (plotly needs them) but the frame is its own origin: no cookies, no page access.
    return h("iframe", { src: url, title: `${t("ui.preview")} (${kindLabel(output.kind)})`, class: "figure-frame",
      sandbox: "allow-scripts" });
  }
  return h("p", { class: "muted", text: t("ui.preview_unavailable") });
}

function tabName(kind) {
  if (kind === "plotly" || kind === "html") return t("ui.preview_interactive");
  if (kind === "pdf") return t("ui.preview_pdf");
  return String(kind).toUpperCase();
}

/** The preview with a tab per previewable kind, and the download list. */
export function renderResult(job) {
  const outputs = Array.isArray(job.outputs) ? job.outputs.filter((o) => o && o.url) : [];
  const previewable = PREVIEW_ORDER.map((kind) => outputs.find((o) => o.kind === kind)).filter(Boolean);
  const stage = h("div", { class: "figure-stage" });
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": t("ui.preview") });
  const select = (index) => {
    [...tabs.children].forEach((tab, i) => {
      tab.setAttribute("aria-selected", String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
    });
    replaceChildren(stage, previewOf(previewable[index]));
  };
  previewable.forEach((output, index) => {
    tabs.append(h("button", { type: "button", role: "tab", class: "tab", text: tabName(output.kind),
      onclick: () => select(index),
      onkeydown: (event) => {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = (index + step + previewable.length) % previewable.length;
        select(next);
        tabs.children[next].focus();
      } }));
  });
  if (previewable.length) select(0);

  const downloads = h("ul", { class: "downloads" }, ...outputs.map((output) => h("li", {},
    h("a", { class: "btn btn-download", href: output.url, download: output.name, dataset: { kind: output.kind } },
      h("span", { class: "dl-kind", text: kindLabel(output.kind) }),
      h("span", { class: "dl-meta", text: `${output.name} · ${fileSize(output.size)}` })))));
  if (job.bundle_url) {
    downloads.append(h("li", {}, h("a", { class: "btn btn-download btn-bundle", href: job.bundle_url, download: "",
      dataset: { kind: "bundle" } }, h("span", { class: "dl-kind", text: t("ui.bundle") }),
    h("span", { class: "dl-meta", text: "reproduce.zip" }))));
  }
  return h("div", { class: "result" },
    previewable.length > 1 ? tabs : null,
    previewable.length ? stage : null,
    h("h3", { class: "section-title", text: t("ui.outputs") }),
    downloads);
}
