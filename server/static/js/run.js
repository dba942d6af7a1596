// The result panel: follows a job (state, step, log lines) until it ends, then shows the
// figure and its downloads, or the reason it failed in plain words.

import { FINAL_STATES, cancelJob, followJob, getJob } from "./api.js";
import { announce, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { duration } from "./format.js";
import { renderResult } from "./result.js";

const MAX_LOG_LINES = 500;

/**
 * createRunPanel({onDone(job)}) -> {element, follow(job), show(job), showMessage(text), busy, relabel()}
 * `onDone` hears every finished job (failed ones too: the page marks the fields concerned).
 */
export function createRunPanel({ onDone } = {}) {
  let stopFollowing = null;
  let job = null;
  const heading = h("h2", { class: "card-title", id: "result-title" });
  const badge = h("span", { class: "badge", hidden: true });
  const status = h("p", { class: "run-status", role: "status", "aria-live": "polite" });
  const spinner = h("span", { class: "spinner", "aria-hidden": "true", hidden: true });
  const cancel = h("button", { type: "button", class: "btn btn-small btn-quiet", hidden: true, onclick: async () => {
    if (!job) return;
    cancel.disabled = true;
    try { await cancelJob(job.id); } catch { /* the stream reports the final state either way */ }
  } });
  const failure = h("div", { class: "run-error", role: "alert", hidden: true });
  const body = h("div", { class: "run-body" });
  const logLines = h("pre", { class: "log-lines", tabindex: "0" });
  const logSummary = h("summary");
  const log = h("details", { class: "log", hidden: true }, logSummary, logLines);
  const empty = h("p", { class: "muted result-empty" });
  const element = h("section", { class: "card result-card", id: "result", "aria-labelledby": "result-title" },
    h("div", { class: "card-head" }, heading, badge),
    h("div", { class: "status-row" }, spinner, status, cancel), empty, failure, body, log);

  function setBadge(state) {
    badge.hidden = !state;
    badge.className = `badge state-${state}`;
    badge.textContent = state ? t(`ui.state.${state}`) : "";
  }

  function describe(update) {
    const state = update.state || job?.state;
    if (state === "queued") return t("ui.waiting");
    if (state === "running") return update.step ? `${t("ui.running_now")} ${update.step}` : t("ui.running_now");
    return "";
  }

  function onState(update) {
    if (!update || !update.state) return;
    job = { ...job, ...update };
    setBadge(update.state);
    status.textContent = describe(update);
  }

  // Hiplot-style step status ({label: ["en:...;zh_cn:..."], status: [...]}): show the label.
  function onStep(event) {
    const labels = event?.step?.label;
    const label = Array.isArray(labels) ? labels[labels.length - 1] : labels;
    if (typeof label !== "string" || !label) return;
    const lang = document.documentElement.lang === "zh-CN" ? "zh_cn" : "en";
    const part = label.split(";").find((p) => p.startsWith(`${lang}:`)) || label;
    onState({ state: job?.state || "running", step: part.replace(/^[a-z_]+:/, "") });
  }

  function addLog(entry) {
    if (!entry || typeof entry.line !== "string") return;
    log.hidden = false;
    logLines.append(`${entry.line}\n`);
    while (logLines.childNodes.length > MAX_LOG_LINES) logLines.firstChild.remove();
    logLines.scrollTop = logLines.scrollHeight;
  }

  async function finish(final) {
    stopFollowing = null;
    if (!final || !final.state) {
      try { final = await getJob(job.id); } catch { final = { ...job, state: "failed" }; }
    }
    show(final);
    onDone?.(final);
  }

  /** Show a job that has ended (or its current state). */
  function show(final) {
    job = final;
    spinner.hidden = true;
    cancel.hidden = true;
    empty.hidden = true;
    setBadge(final.state);
    replaceChildren(body);
    failure.hidden = true;
    if (final.state === "succeeded") {
      const took = final.cached ? "" : duration(final.started_at, final.finished_at);
      status.textContent = [t("ui.finished"), took, final.cached ? t("ui.cached") : ""].filter(Boolean).join(" · ");
      body.append(renderResult(final));
      announce(t("ui.state.succeeded"));
    } else if (final.state === "failed" || final.state === "cancelled") {
      status.textContent = "";
      failure.hidden = false;
      const text = final.state === "cancelled" ? final.message || t("ui.cancelled_by_you")
        : final.message || t("ui.job_failed");
      replaceChildren(failure, h("strong", { text: t("ui.job_failed") }), h("p", { text }));
      if (final.state === "cancelled") failure.firstChild.textContent = t("ui.state.cancelled");
    } else {
      status.textContent = describe(final);
    }
  }

  /** Follow a job just submitted (or re-opened while still running). */
  function follow(submitted) {
    stopFollowing?.();
    job = submitted;
    empty.hidden = true;
    failure.hidden = true;
    replaceChildren(body);
    replaceChildren(logLines);
    log.hidden = true;
    if (FINAL_STATES.has(submitted.state)) {
      finish(submitted);
      return;
    }
    spinner.hidden = false;
    cancel.hidden = false;
    cancel.disabled = false;
    onState({ state: submitted.state, step: submitted.step });
    stopFollowing = followJob(submitted.id, { state: onState, step: onStep, log: addLog, done: finish });
  }

  function showMessage(text) {
    spinner.hidden = true;
    cancel.hidden = true;
    empty.hidden = true;
    failure.hidden = !text;
    replaceChildren(failure, text ? h("p", { text }) : null);
  }

  function relabel() {
    heading.textContent = t("ui.result");
    cancel.textContent = t("ui.cancel");
    logSummary.textContent = t("ui.log");
    empty.textContent = t("ui.result_empty");
    if (job && FINAL_STATES.has(job.state)) show(job);
  }

  relabel();
  return {
    element,
    follow,
    show,
    showMessage,
    relabel,
    get busy() { return Boolean(stopFollowing); },
    get job() { return job; },
  };
}
