// A plugin's catalogue card: cover, name, intro and tags, linking to its tool page. Drawn by
// the catalogue (/) and by the live preview of `plotforge plugin preview`.

import { coverUrl } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

function cover(card) {
  if (card.cover && card.cover_is_file) {
    return h("img", { class: "card-cover", src: card.cover_url || coverUrl(card.key), alt: "", loading: "lazy",
      decoding: "async" });
  }
  // No cover file (or only a remote URL, which an offline server must not fetch): initials.
  const initials = String(card.name || card.tool || "?").trim().slice(0, 2).toUpperCase();
  return h("div", { class: "card-cover placeholder", "aria-hidden": "true", text: initials });
}

/** The card of the API's CardModel, as an <li> for a `.card-grid` list. */
export function pluginCard(card) {
  const tags = (card.categories || card.tags || []).slice(0, 4);
  const listedOnly = card.catalogue_only || card.runnable === false;
  return h("li", { class: "plugin-card" },
    h("a", { href: `/tool/${card.key}`, class: "plugin-link", dataset: { key: card.key } },
      cover(card),
      h("div", { class: "plugin-body" },
        h("h3", { class: "plugin-name", text: card.name }),
        h("p", { class: "plugin-intro", text: card.intro }),
        h("div", { class: "plugin-foot" },
          h("ul", { class: "tags" }, ...tags.map((tag) => h("li", { class: "tag", text: tag }))),
          listedOnly ? h("span", { class: "badge", text: t("ui.not_runnable") }) : null))));
}
