// The HTTP API (server/API.md), one function per route. Every failure becomes an ApiError
// carrying the server's readable message and its field errors, so pages never show a raw
// status code or a stack trace.

import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, message, fieldErrors = []) {
    super(message);
    this.status = status;
    this.fieldErrors = Array.isArray(fieldErrors) ? fieldErrors : [];
  }
}

async function request(path, { method = "GET", body, form } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (form) init.body = form;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, t("ui.error.network"));
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error || {} : {};
    const message = typeof error.message === "string" && error.message ? error.message
      : typeof data?.detail === "string" ? data.detail : `${t("ui.error")} ${response.status}`;
    throw new ApiError(response.status, message, error.field_errors);
  }
  return data;
}

const enc = encodeURIComponent;
const pluginPath = (key) => `/api/plugins/${key.split("/").map(enc).join("/")}`;

export const getPlugins = (lang) => request(`/api/plugins?lang=${enc(lang)}`);
export const getPlugin = (key, lang) => request(`${pluginPath(key)}?lang=${enc(lang)}`);
export const getExample = (key, index = 0) => request(`${pluginPath(key)}/example?index=${enc(index)}`);
export const coverUrl = (key) => `${pluginPath(key)}/cover`;

export function uploadFile(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return request("/api/uploads", { method: "POST", form });
}

export const submitJob = (plugin, runRequest) => request("/api/jobs",
  { method: "POST", body: { plugin, request: runRequest, allow_cached: true } });
export const listJobs = (limit = 50) => request(`/api/jobs?limit=${enc(limit)}`);
export const getJob = (id) => request(`/api/jobs/${enc(id)}`);
export const cancelJob = (id) => request(`/api/jobs/${enc(id)}/cancel`, { method: "POST" });

export const FINAL_STATES = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Follow a job: `handlers.state/log/step` get each event's data, `handlers.done` the final
 * Job (once). Uses server-sent events and falls back to polling when the stream breaks.
 * Returns a function that stops following.
 */
export function followJob(id, handlers) {
  let finished = false;
  let source = null;
  let pollTimer = null;
  const finish = (job) => {
    if (finished) return;
    finished = true;
    stop();
    handlers.done?.(job);
  };
  const stop = () => {
    source?.close();
    clearTimeout(pollTimer);
  };
  const poll = async () => {
    if (finished) return;
    try {
      const job = await getJob(id);
      handlers.state?.({ state: job.state, step: job.step, reason: job.reason, message: job.message });
      if (FINAL_STATES.has(job.state)) return finish(job);
    } catch (error) {
      if (error.status === 404) return finish({ id, state: "failed", message: error.message, outputs: [] });
    }
    pollTimer = setTimeout(poll, 1000);
  };
  const parse = (event) => {
    try {
      return JSON.parse(event.data);
    } catch {
      return {};
    }
  };
  if (typeof EventSource === "function") {
    source = new EventSource(`/api/jobs/${enc(id)}/events`);
    for (const name of ["state", "log", "step"]) {
      source.addEventListener(name, (event) => handlers[name]?.(parse(event)));
    }
    source.addEventListener("done", (event) => finish(parse(event)));
    source.onerror = () => {
      // The stream ended or broke before "done": ask the job itself from now on.
      source.close();
      if (!finished) poll();
    };
  } else {
    poll();
  }
  return () => {
    finished = true;
    stop();
  };
}
