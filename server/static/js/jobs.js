// My jobs (/jobs): this browser's jobs, newest first, with their state, and a way back to
// each: re-open the tool filled with the job's parameters and tables, or download.

import { getPlugins, listJobs } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";
import { dateTime, duration } from "./format.js";
import { startPage } from "./shell.js";

const body = document.getElementById("jobs-body");
const table = document.getElementById("jobs-table");
const empty = document.getElementById("jobs-empty");
const refreshButton = document.getElementById("jobs-refresh");
let names = {};

function row(job) {
  const href = `/tool/${job.plugin}?job=${encodeURIComponent(job.id)}`;
  const links = [h("a", { class: "btn btn-small", href, title: t("ui.reopen_hint"), text: t("ui.reopen") })];
  if (job.state === "succeeded" && job.bundle_url) {
    links.push(h("a", { class: "btn btn-small btn-quiet", href: job.bundle_url, download: "", text: "ZIP" }));
  }
  return h("tr", { dataset: { job: job.id } },
    h("td", {}, h("a", { href, text: names[job.plugin] || job.plugin }), h("div", { class: "muted small mono", text: job.id })),
    h("td", {}, h("span", { class: `badge state-${job.state}`, text: t(`ui.state.${job.state}`) }),
      job.state === "failed" && job.message ? h("div", { class: "small job-message", text: job.message }) : null),
    h("td", { text: dateTime(job.created_at) }),
    h("td", { text: duration(job.started_at, job.finished_at) }),
    h("td", { class: "actions" }, ...links));
}

async function load() {
  try {
    const [jobs, plugins] = await Promise.all([listJobs(100), getPlugins(currentLanguage()).catch(() => ({ plugins: [] }))]);
    names = Object.fromEntries((plugins.plugins || []).map((card) => [card.key, card.name]));
    const list = jobs.jobs || [];
    replaceChildren(body, ...list.map(row));
    table.hidden = !list.length;
    empty.hidden = Boolean(list.length);
  } catch (error) {
    empty.hidden = false;
    empty.textContent = error.message;
  }
}

await startPage(load);
refreshButton.addEventListener("click", load);
await load();
// Jobs still running finish on their own; look again now and then while any is unfinished.
setInterval(() => {
  if (document.visibilityState === "visible" && body.querySelector(".state-queued, .state-running")) load();
}, 4000);
