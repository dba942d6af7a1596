// The top of a tool page: name, one-line intro, tags, author and version, and the plugin's
// documentation folded away.

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { renderMarkdown } from "../markdown.js";

export function renderToolHead(info) {
  const card = info.card || {};
  const tags = (card.categories || card.tags || []).map((tag) => h("li", { class: "tag", text: tag }));
  const facts = [
    card.author ? `${t("ui.author")}: ${card.author}` : null,
    card.version ? `${t("ui.version")} ${card.version}` : null,
    card.update_date ? `${t("ui.updated")} ${card.update_date}` : null,
  ].filter(Boolean);
  const readme = info.readme
    ? h("details", { class: "readme" }, h("summary", { text: t("ui.readme") }), renderMarkdown(info.readme))
    : null;
  const citation = card.citation ? h("p", { class: "muted small" }, `${t("ui.citation")}: `, card.citation) : null;
  return h("div", { class: "tool-head" },
    h("nav", { class: "crumbs", "aria-label": t("ui.catalogue") },
      h("a", { href: "/", text: t("ui.catalogue") }), h("span", { "aria-hidden": "true", text: " / " }),
      h("span", { text: card.module ? t(`ui.module.${card.module}`) : "" })),
    h("h1", { class: "tool-title", text: card.name || info.key || "" }),
    card.intro ? h("p", { class: "tool-intro", text: card.intro }) : null,
    h("div", { class: "tool-facts" },
      tags.length ? h("ul", { class: "tags", "aria-label": t("ui.tags") }, tags) : null,
      facts.length ? h("p", { class: "muted small", text: facts.join(" · ") }) : null),
    citation, readme);
}
