// What every page shares: the language (loaded before anything is drawn), the header's
// language switch and navigation, and the static labels of the page.

import { applyLabels, currentLanguage, detectLanguage, loadLanguage, switchLanguage } from "./i18n.js";

function wireLanguageSwitch() {
  for (const button of document.querySelectorAll("[data-lang-choice]")) {
    button.addEventListener("click", () => {
      if (button.dataset.langChoice !== currentLanguage()) switchLanguage(button.dataset.langChoice);
    });
  }
}

function showLanguage() {
  for (const button of document.querySelectorAll("[data-lang-choice]")) {
    button.setAttribute("aria-pressed", String(button.dataset.langChoice === currentLanguage()));
  }
}

function markCurrentPage() {
  const path = location.pathname;
  for (const link of document.querySelectorAll(".site-nav a")) {
    const here = link.getAttribute("href") === path || (link.getAttribute("href") === "/" && path.startsWith("/tool/"));
    if (here) link.setAttribute("aria-current", "page");
  }
}

/** Load the language and label the page; `onLanguage` runs after every switch. */
export async function startPage(onLanguage) {
  await loadLanguage(detectLanguage());
  wireLanguageSwitch();
  markCurrentPage();
  applyLabels();
  showLanguage();
  document.addEventListener("pf:language", () => {
    applyLabels();
    showLanguage();
    onLanguage?.();
  });
  // Ctrl/Cmd + Enter: the page's main action (Run on a tool page).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      const action = document.querySelector("[data-primary-action]");
      if (action && !action.disabled) {
        event.preventDefault();
        action.click();
      }
    }
  });
  document.body.classList.add("ready");
}
