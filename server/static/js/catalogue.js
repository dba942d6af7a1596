// The catalogue (/): cards with cover, name, intro and tags; search as you type and tag
// chips, both over the list loaded once (a few hundred plugins at most).

import { getPlugins } from "./api.js";
import { debounce, h, replaceChildren } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";
import { pluginCard } from "./plugin-card.js";
import { startPage } from "./shell.js";

const search = document.getElementById("search");
const chips = document.getElementById("tag-chips");
const grid = document.getElementById("cards");
const count = document.getElementById("result-count");
const brokenNote = document.getElementById("broken-note");

let data = { plugins: [], tags: [] };
let activeTag = new URLSearchParams(location.search).get("tag") || "";

function searchText(card) {
  return [card.name, card.intro, card.key, ...(card.alias || []), ...(card.tags || [])].join("\n").toLowerCase();
}

function matches(card, words) {
  if (activeTag && !(card.tags || []).some((tag) => tag.toLowerCase() === activeTag.toLowerCase())) return false;
  const text = card._search;
  return words.every((word) => text.includes(word));
}

function drawChips() {
  const make = (tag, label, n) => h("button", { type: "button", class: "chip", "aria-pressed": String(activeTag === tag),
    dataset: { tag }, onclick: () => {
      activeTag = activeTag === tag ? "" : tag;
      const url = new URL(location.href);
      if (activeTag) url.searchParams.set("tag", activeTag);
      else url.searchParams.delete("tag");
      history.replaceState(null, "", url);
      drawChips();
      draw();
    } }, label, n === undefined ? null : h("span", { class: "chip-count", text: String(n) }));
  replaceChildren(chips, make("", t("ui.all_tags")), ...(data.tags || []).map((x) => make(x.tag, x.tag, x.count)));
}

function draw() {
  const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = data.plugins.filter((card) => matches(card, words));
  // Grouped by module, in the order the server gives them.
  const modules = [...new Set(shown.map((card) => card.module))];
  replaceChildren(grid, ...modules.map((module) => h("section", { class: "module", "aria-labelledby": `module-${module}` },
    h("h2", { class: "module-title", id: `module-${module}`, text: t(`ui.module.${module}`) }),
    h("ul", { class: "card-grid" }, ...shown.filter((c) => c.module === module).map(pluginCard)))));
  count.textContent = shown.length ? t("ui.results_count", { count: shown.length }) : t("ui.no_results");
}

async function load() {
  try {
    data = await getPlugins(currentLanguage());
  } catch (error) {
    replaceChildren(grid, h("p", { class: "run-error", role: "alert", text: error.message }));
    return;
  }
  for (const card of data.plugins) card._search = searchText(card);
  brokenNote.hidden = !(data.broken || []).length;
  brokenNote.textContent = (data.broken || []).length ? t("ui.broken_plugins", { count: data.broken.length }) : "";
  drawChips();
  draw();
}

await startPage(async () => {
  await load();
});
search.addEventListener("input", debounce(draw, 120));
search.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    search.value = "";
    draw();
  }
});
const initial = new URLSearchParams(location.search).get("q");
if (initial) search.value = initial;
await load();
