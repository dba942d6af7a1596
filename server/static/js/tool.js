// The tool page (/tool/{module}/{tool}): tables, column pickers, the plugin's form and the
// plot settings, validated as the user types; Run follows the job and shows the figure.
// Problems are shown where they belong: next to the field, or on the column's header.

import { ApiError, getExample, getJob, getPlugin, submitJob, uploadFile } from "./api.js";
import { announce, debounce, h, replaceChildren } from "./dom.js";
import { applyConditions } from "./form/conditions.js";
import { renderGeneral } from "./form/general.js";
import { learnNumericRoles, textInNumericRoles } from "./form/numeric-roles.js";
import { renderColumnPickers, renderExtra, renderFileInputs } from "./form/render.js";
import { FormValidator, checkColumns } from "./form/validate.js";
import { currentLanguage, t } from "./i18n.js";
import { recallTables, rememberTables } from "./job-tables.js";
import { exportParams, paramsFromJson, readFile } from "./params-io.js";
import { createRunPanel } from "./run.js";
import { startPage } from "./shell.js";
import { createTableEditor } from "./table-editor.js";
import { carryOver } from "./tool/carry-over.js";
import { fieldFor, tableOf } from "./tool/failures.js";
import { renderToolHead } from "./tool/head.js";
import { ToolState } from "./tool/state.js";

const root = document.getElementById("tool");
const key = location.pathname.split("/").slice(2, 4).map(decodeURIComponent).join("/");

let info = null;
let state = null;
let validator = null;
let fields = [];
const editors = new Map();
let panel = null;
let exampleCache = null;
let numericRoles = {};
let runAttempted = false;
const serverErrors = new Map(); // pointer -> message, from a rejected request or a failed run
let columnErrors = new Map(); // table -> [{column, message}], from a failed run
const ui = {};
let alertHeadline = null; // the form alert's first line, while the problem it announces lasts

// -- loading ---------------------------------------------------------------------------------

function formTables() {
  return Array.isArray(info.form?.tables) ? info.form.tables.filter((x) => x && typeof x.name === "string") : [];
}

/** The input tables (a spreadsheet each); file inputs that are not tables are listed apart. */
function tableSpecs() {
  const listed = formTables().filter((x) => x.is_table !== false);
  if (formTables().length) return listed;
  const names = Object.keys(info.schema?.properties?.tables?.properties || info.defaults?.dataArg || {});
  return names.map((name) => ({ name, label: name, required: true }));
}

async function loadInfo() {
  info = await getPlugin(key, currentLanguage());
  info.key = key;
}

async function example() {
  exampleCache ||= getExample(key, 0).catch((error) => {
    exampleCache = null;
    throw error;
  });
  return exampleCache;
}

async function main() {
  await startPage(onLanguage);
  try {
    await loadInfo();
  } catch (error) {
    showFatal(error.status === 404 ? t("ui.tool_not_found") : error.message);
    return;
  }
  await start();
}

/** Draw the page for `info`: ?job=<id> reopens that job, ?example=1 opens with the example loaded. */
async function start() {
  document.title = `${info.card?.name || key} · ${t("ui.app_name")}`;
  validator = await FormValidator.create(info.schema);
  state = new ToolState(info.defaults, tableSpecs().map((spec) => spec.name));
  state.onChange(onChange);
  build();
  if (info.examples) {
    example().then((ex) => {
      numericRoles = learnNumericRoles(ex);
      refresh();
    }).catch(() => {});
  }
  const query = new URLSearchParams(location.search);
  const jobId = query.get("job");
  if (jobId) await reopen(jobId);
  else if (query.get("example") === "1" && info.examples) await loadExample();
  refresh();
}

/**
 * The plugin changed on disk (the live preview of `plotforge plugin preview` says so): ask
 * for it again and redraw its form, keeping the user's tables and the values they changed.
 */
async function reloadPlugin() {
  const previous = state;
  try {
    await loadInfo();
  } catch {
    return; // still not loadable: the preview lists why
  }
  exampleCache = null;
  if (!previous) {
    await start(); // it failed to load when the page opened
    return;
  }
  document.title = `${info.card?.name || key} · ${t("ui.app_name")}`;
  validator = await FormValidator.create(info.schema);
  state = new ToolState(info.defaults, tableSpecs().map((spec) => spec.name));
  carryOver(previous, state);
  state.onChange(onChange);
  serverErrors.clear();
  editors.clear();
  build();
  refresh();
}

function showFatal(message) {
  replaceChildren(root, h("div", { class: "card notice" }, h("h1", { text: message }),
    h("p", {}, h("a", { href: "/", text: t("ui.back_to_catalogue") }))));
}

// -- drawing ---------------------------------------------------------------------------------

function build() {
  const card = info.card || {};
  const head = renderToolHead(info);
  if (card.catalogue_only || card.runnable === false) {
    replaceChildren(root, head, h("div", { class: "card notice" }, h("p", { text: t("ui.catalogue_only") })));
    return;
  }
  for (const spec of tableSpecs()) {
    if (editors.has(spec.name)) continue;
    editors.set(spec.name, createTableEditor({
      model: state.tables.get(spec.name),
      label: spec.label || spec.name,
      required: spec.required !== false,
      onUpload: async (file) => state.tables.get(spec.name).setUpload(await uploadFile(file)),
    }));
  }
  panel ||= createRunPanel({ onDone });
  ui.roles = h("div", { class: "roles-slot" });
  ui.extra = h("div", { class: "extra-slot" });
  ui.general = h("div", { class: "general-slot" });
  ui.formAlert = h("div", { class: "form-alert", role: "alert", hidden: true });
  ui.notice = h("div", { class: "notice-bar", role: "status", hidden: true });
  ui.run = h("button", { type: "button", class: "btn btn-primary btn-run", "data-primary-action": "", onclick: run });
  ui.importInput = h("input", { type: "file", accept: ".json,application/json", hidden: true, onchange: importParams });
  ui.exportButton = h("button", { type: "button", class: "btn btn-quiet btn-small",
    onclick: () => exportParams(key, info.card?.version, state.params) });
  ui.importButton = h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: () => ui.importInput.click() });
  ui.resetButton = h("button", { type: "button", class: "btn btn-quiet btn-small", onclick: resetParams });
  ui.hint = h("p", { class: "muted small run-hint" });
  ui.dataTitle = h("h2", { class: "card-title", id: "data-title" });
  // One button for every table: an example fills all of a plot's tables at once.
  ui.exampleButton = info.examples
    ? h("button", { type: "button", class: "btn btn-small btn-example", onclick: loadExample }) : null;
  ui.paramsTitle = h("h2", { class: "card-title", id: "params-title" });
  ui.generalTitle = h("h2", { class: "card-title", id: "general-title" });

  const dataCard = h("section", { class: "card data-card", "aria-labelledby": "data-title" },
    h("div", { class: "card-head" }, ui.dataTitle, ui.exampleButton),
    ...[...editors.values()].map((e) => e.element), ui.roles);
  const paramsCard = h("section", { class: "card params-card", "aria-labelledby": "params-title" },
    h("div", { class: "card-head" }, ui.paramsTitle), ui.extra);
  const generalCard = h("section", { class: "card general-card", "aria-labelledby": "general-title" },
    h("div", { class: "card-head" }, ui.generalTitle), ui.general);
  const actions = h("div", { class: "action-bar" },
    h("div", { class: "action-main" }, ui.run, ui.hint),
    h("div", { class: "action-more" }, ui.exportButton, ui.importButton, ui.resetButton, ui.importInput),
    ui.formAlert);
  replaceChildren(root, head, ui.notice,
    h("div", { class: "tool-layout" },
      h("div", { class: "tool-main" }, dataCard),
      h("div", { class: "tool-side" }, paramsCard, generalCard, actions)),
    panel.element);
  drawForm();
}

/** (Re)draw the fields from the state: on load and after a language switch. */
function drawForm() {
  const labels = Object.fromEntries(tableSpecs().map((s) => [s.name, s.label || s.name]));
  const roles = renderColumnPickers(info.form?.dataArg || {}, labels, state);
  const files = renderFileInputs(formTables().filter((x) => x.is_table === false), state, { upload: uploadFile });
  const extra = renderExtra(info.form?.extra || [], state, { upload: uploadFile });
  const general = renderGeneral(info.form || {}, info.defaults, state);
  fields = [...files.fields, ...roles.fields, ...extra.fields, ...general.fields];
  replaceChildren(ui.roles, files.fields.length ? files.element : null, roles.element);
  replaceChildren(ui.extra, extra.fields.length ? extra.element : h("p", { class: "muted", text: "—" }));
  replaceChildren(ui.general, general.element);
  ui.general.closest(".card").hidden = !general.fields.length;
  relabel();
}

function relabel() {
  ui.dataTitle.textContent = t("ui.data");
  if (ui.exampleButton) ui.exampleButton.textContent = t("ui.example");
  ui.paramsTitle.textContent = t("ui.params");
  ui.generalTitle.textContent = t("ui.general");
  ui.run.textContent = t("ui.run");
  ui.exportButton.textContent = t("ui.export_params");
  ui.importButton.textContent = t("ui.import_params");
  ui.resetButton.textContent = t("ui.reset");
  ui.hint.textContent = t("ui.run_hint");
}

async function onLanguage() {
  if (!state) return;
  try {
    await loadInfo();
  } catch {
    return; // keep the labels we have
  }
  document.title = `${info.card?.name || key} · ${t("ui.app_name")}`;
  const head = root.querySelector(".tool-head");
  head?.replaceWith(renderToolHead(info));
  for (const spec of tableSpecs()) editors.get(spec.name)?.relabel(spec.label);
  panel?.relabel();
  if (ui.roles) drawForm();
  refresh();
}

// -- keeping everything in step --------------------------------------------------------------

const refreshSoon = debounce(() => refresh(), 80);

function onChange(change) {
  if (change.pointer) {
    serverErrors.delete(change.pointer);
    for (const field of fields) if (field.pointer === change.pointer) field.onValue?.(change.value);
  }
  if (change.table) {
    columnErrors.delete(change.table);
    serverErrors.delete(`/tables/${change.table}`);
    editors.get(change.table)?.setError("");
    if (change.structural) for (const field of fields) if (field.table === change.table) field.refreshItems?.();
  }
  if (change.reset) {
    serverErrors.clear();
    for (const field of fields) {
      field.setValue(state.get(field.pointer));
      field.touched = false;
    }
  }
  refreshSoon();
}

/**
 * Apply conditions, then show every problem of the visible fields (schema errors as the user
 * types, all of them once Run was pressed) and the warnings about text in numeric columns.
 * Returns the fields with a blocking problem.
 */
function refresh() {
  if (!state || !ui.roles) return [];
  applyConditions(fields, state.expressionContext());
  const requiredTables = tableSpecs().filter((s) => s.required !== false).map((s) => s.name);
  const problems = validator ? validator.validate(state.params) : new Map();
  for (const [pointer, text] of checkColumns(info.form?.dataArg, state.params, state.tables, requiredTables)) {
    problems.set(pointer, text);
  }
  const warnings = textInNumericRoles(numericRoles, state.params, state.tables);
  const blocking = [];
  const messages = new Map(); // field -> [text, level]
  const unplaced = [];
  for (const [pointer, text] of [...problems, ...serverErrors]) {
    if (pointer.startsWith("/tables/")) continue;
    const field = fieldFor(pointer, fields);
    if (!field) {
      if (serverErrors.has(pointer)) unplaced.push(text);
      continue;
    }
    if (!field.visible) continue;
    if (serverErrors.has(pointer) || field.touched || runAttempted) messages.set(field, [text, "error"]);
    if (problems.has(pointer)) blocking.push(field);
  }
  for (const warning of warnings) {
    const field = fieldFor(warning.pointer, fields);
    if (field && !messages.has(field)) {
      messages.set(field, [t("ui.numeric_role", { column: warning.column, example: warning.example }), "warning"]);
    }
  }
  for (const field of fields) {
    const [text, level] = messages.get(field) || ["", "error"];
    field.setMessage(text, level);
  }
  for (const [name, editor] of editors) {
    editor.setMarks("warning", warnings.filter((w) => w.table === name)
      .map((w) => ({ column: w.column, message: t("ui.numeric_column") })));
    editor.setMarks("error", columnErrors.get(name) || []);
    const tableProblem = serverErrors.get(`/tables/${name}`) || (runAttempted ? problems.get(`/tables/${name}`) : "");
    editor.setError(tableProblem || "");
    if (problems.has(`/tables/${name}`)) blocking.unshift({ focus: () => editor.element.scrollIntoView({ block: "center" }) });
  }
  if (!blocking.length && !serverErrors.size) alertHeadline = null;
  showFormAlert(unplaced, alertHeadline);
  return blocking;
}

/** A message about the page as a whole (a job not found, a file not read), until dismissed. */
function showNotice(text) {
  ui.notice.hidden = !text;
  replaceChildren(ui.notice, text ? h("p", { text }) : null, text ? h("button", { type: "button",
    class: "btn btn-small btn-quiet", text: t("ui.close"), onclick: () => showNotice("") }) : null);
}

function showFormAlert(lines, headline = null) {
  const items = lines.filter(Boolean);
  ui.formAlert.hidden = !items.length && !headline;
  replaceChildren(ui.formAlert, headline ? h("strong", { text: headline }) : null,
    items.length ? h("ul", {}, ...items.map((text) => h("li", { text }))) : null);
}

// -- actions ---------------------------------------------------------------------------------

async function loadExample() {
  let ex;
  try {
    ex = await example();
  } catch (error) {
    showNotice(error.message);
    return;
  }
  state.load(ex.config || {});
  for (const [name, text] of Object.entries(ex.tables || {})) state.tables.get(name)?.setText(String(text));
  numericRoles = learnNumericRoles(ex);
  announce(t("ui.example_loaded"));
}

function resetParams() {
  state.reset();
  runAttempted = false;
  announce(t("ui.reset_done"));
}

async function importParams() {
  const file = ui.importInput.files[0];
  ui.importInput.value = "";
  if (!file) return;
  try {
    const { config } = paramsFromJson(await readFile(file));
    state.load(config);
    showNotice("");
    announce(t("ui.imported"));
  } catch {
    showNotice(t("ui.import_failed"));
  }
}

async function run() {
  if (panel.busy) return;
  runAttempted = true;
  serverErrors.clear();
  columnErrors = new Map();
  const blocking = refresh();
  if (blocking.length) {
    alertHeadline = t("ui.errors_in_form");
    showFormAlert([], alertHeadline);
    blocking[0].focus();
    return;
  }
  alertHeadline = null;
  showFormAlert([]);
  ui.run.disabled = true;
  ui.run.textContent = t("ui.submitting");
  try {
    const request = state.runRequest();
    const job = await submitJob(key, request);
    rememberTables(job.id, request.tables);
    const url = new URL(location.href);
    url.searchParams.set("job", job.id);
    history.replaceState(history.state, "", url);
    panel.follow(job);
    panel.element.scrollIntoView({ behavior: "smooth", block: "start" });
  } catch (error) {
    if (error instanceof ApiError && error.fieldErrors.length) {
      alertHeadline = error.message || t("ui.errors_in_form");
      applyFieldErrors(error.fieldErrors);
      fields.find((f) => f.element.classList.contains("has-error"))?.focus();
    } else {
      // Not about a field (the server busy, the network down): say it where the result would be.
      panel.showMessage(error.message);
    }
  } finally {
    ui.run.disabled = false;
    ui.run.textContent = t("ui.run");
  }
}

/**
 * Put the server's field errors next to their fields and on their columns. An error that
 * names no field is listed under the form when `listUnplaced` (a rejected request); for a
 * failed run the result panel already says it.
 */
function applyFieldErrors(list, listUnplaced = true) {
  for (const error of list) {
    if (!error || typeof error !== "object") continue;
    const message = String(error.message || t("ui.error"));
    if (error.column) {
      const table = tableOf(error, state.tables);
      if (table) {
        const marks = columnErrors.get(table) || [];
        marks.push({ column: String(error.column), message: error.columnMessage || message });
        columnErrors.set(table, marks);
      }
    }
    const pointer = typeof error.field === "string" ? error.field : "";
    if (pointer || listUnplaced) serverErrors.set(pointer, message);
  }
  refresh();
}

/** A failed run: its message is in the result panel; mark the fields and columns it concerns.
 * The server works out which column or parameter a plot's error concerns (field_errors). */
function onDone(job) {
  if (job.state !== "failed") return;
  applyFieldErrors(Array.isArray(job.field_errors) ? job.field_errors : [], false);
}

/** ?job=<id>: the tool filled with that job's parameters and tables, and its result. */
async function reopen(id) {
  let job;
  try {
    job = await getJob(id);
  } catch {
    showNotice(t("ui.job_not_found"));
    return;
  }
  const request = job.request || {};
  state.load(request.params || {});
  // The server answers with the tables' shapes only; their text was kept in this browser.
  const kept = await recallTables(id);
  const tables = { ...(kept || {}) };
  for (const [name, value] of Object.entries(request.tables || {})) if (typeof value === "string") tables[name] = value;
  for (const [name, value] of Object.entries(tables)) {
    const model = state.tables.get(name);
    if (!model) continue;
    if (typeof value === "string") model.setText(value);
    else if (value && typeof value === "object" && typeof value.upload === "string") {
      try {
        const response = await fetch(`/api/uploads/${encodeURIComponent(value.upload)}`);
        if (response.ok) model.setUpload(await response.json());
      } catch { /* the upload is gone: the table stays empty */ }
    }
  }
  const usedExample = request.use_example !== false && request.use_example !== undefined && request.use_example !== null;
  if (!Object.keys(tables).length && usedExample) {
    try {
      const ex = await example();
      for (const [name, text] of Object.entries(ex.tables || {})) state.tables.get(name)?.setText(String(text));
    } catch { /* no example: nothing to show */ }
  } else if (!Object.keys(tables).length && Object.keys(request.tables || {}).length) {
    showNotice(t("ui.tables_not_kept"));
  }
  panel.follow(job);
  announce(t("ui.job_loaded", { id }));
}

// One at a time, after the first drawing: the preview may say "changed" twice in a row.
let reloading = main();
document.addEventListener("pf:plugin-changed", () => {
  reloading = reloading.catch(() => {}).then(reloadPlugin);
});
