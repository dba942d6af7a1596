// A small spreadsheet for one input table: a grid of inputs with keyboard navigation,
// paste from Excel (fills rows and columns from the focused cell), add/remove rows and
// columns, and file upload (button or drop). A large table shows its
// first rows only, quickly, with a note; every row is still sent.

import { h, replaceChildren, uid } from "./dom.js";
import { t } from "./i18n.js";
import { parseMatrix } from "./table/parse.js";

export const VISIBLE_ROWS = 200;
const MIN_ROWS = 8;
const MIN_COLUMNS = 4;

/**
 * createTableEditor({model, label, required, onUpload(file)})
 * -> {element, relabel(label), setError(text), setMarks(level, [{column, message}])}
 */
export function createTableEditor({ model, label, required = true, onUpload }) {
  const ids = { label: uid("table-label"), note: uid("table-note"), errors: uid("table-errors") };
  const marks = new Map(); // column name -> {message, level}
  let current = { r: 0, c: 0 };
  let selfEdit = false;

  const fileInput = h("input", { type: "file", accept: ".tsv,.csv,.txt,.xlsx,.tab,.gz", hidden: true,
    onchange: () => { if (fileInput.files[0]) upload(fileInput.files[0]); fileInput.value = ""; } });
  const buttons = {
    upload: h("button", { type: "button", class: "btn btn-small", onclick: () => fileInput.click() }),
    addRow: h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => addRow() }),
    addColumn: h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => addColumn() }),
    removeRow: h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => removeRow() }),
    removeColumn: h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => removeColumn() }),
    clear: h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => { model.clear(); focusCell(0, 0); } }),
  };
  const title = h("h3", { class: "table-title", id: ids.label });
  const size = h("span", { class: "muted table-size", "aria-live": "polite" });

  const sheetActions = h("div", { class: "sheet-actions", role: "toolbar", "aria-labelledby": ids.label },
    buttons.addRow, buttons.addColumn, buttons.removeRow, buttons.removeColumn, buttons.clear);
  const grid = h("table", { class: "sheet" });
  const scroller = h("div", { class: "sheet-scroll", role: "region", tabindex: "0",
    "aria-labelledby": ids.label, "aria-describedby": ids.note }, grid);
  const note = h("p", { class: "table-note muted", id: ids.note });
  const errors = h("ul", { class: "table-errors", id: ids.errors, "aria-live": "polite" });
  const tableProblem = h("p", { class: "table-error", role: "alert", hidden: true });
  const uploadProblem = h("p", { class: "table-error", role: "alert", hidden: true });
  const element = h("section", { class: "table-editor", dataset: { table: model.name } },
    h("div", { class: "table-head" }, title, h("div", { class: "table-head-side" }, size, buttons.upload, fileInput)),
    scroller, sheetActions, note, uploadProblem, tableProblem, errors);

  // -- drawing ------------------------------------------------------------------------

  function shape() {
    const rows = Math.min(Math.max(model.rows.length + (model.upload ? 0 : 1), MIN_ROWS), VISIBLE_ROWS);
    const columns = Math.max(model.columns.length + (model.upload ? 0 : 1), MIN_COLUMNS);
    return { rows: model.upload ? Math.min(model.rows.length, VISIBLE_ROWS) : rows, columns };
  }

  function cellInput(r, c, value, columnName) {
    const readOnly = Boolean(model.upload);
    const labelText = r === -1 ? t("ui.header_label", { column: c + 1 })
      : t("ui.cell_label", { row: r + 1, column: columnName || c + 1 });
    return h("input", { class: r === -1 ? "cell header-cell" : "cell", value: value ?? "", readOnly,
      "aria-label": labelText, spellcheck: "false", autocomplete: "off", dataset: { r, c } });
  }

  function draw() {
    const { rows, columns } = shape();
    const colgroup = h("colgroup", {}, h("col", { class: "rownum-col" }));
    const headRow = h("tr", {}, h("th", { class: "rownum", scope: "col", text: "#" }));
    for (let c = 0; c < columns; c += 1) {
      const name = model.columns[c] ?? "";
      const mark = name ? marks.get(name) : null;
      colgroup.append(h("col", { class: mark ? `marked-${mark.level}` : null }));
      const input = cellInput(-1, c, name);
      if (mark) {
        input.setAttribute("aria-invalid", mark.level === "error" ? "true" : "false");
        input.setAttribute("aria-describedby", ids.errors);
      }
      headRow.append(h("th", { scope: "col", class: mark ? `marked marked-${mark.level}` : null,
        dataset: { column: name } }, input));
    }
    const body = document.createDocumentFragment();
    for (let r = 0; r < rows; r += 1) {
      const row = model.rows[r];
      const tr = h("tr", {}, h("th", { class: "rownum", scope: "row", text: String(r + 1) }));
      for (let c = 0; c < columns; c += 1) tr.append(h("td", {}, cellInput(r, c, row?.[c], model.columns[c])));
      body.append(tr);
    }
    replaceChildren(grid, colgroup, h("thead", {}, headRow), h("tbody", {}, body));
    drawNotes();
  }

  function drawNotes() {
    const total = model.rowCount;
    const named = model.namedColumns.length;
    size.textContent = model.isEmpty ? "" : t("ui.table_size", { rows: total, columns: named });
    let text = "";
    if (model.upload) {
      text = t("ui.upload_note", { name: model.upload.name, total, columns: named,
        shown: Math.min(model.rows.length, VISIBLE_ROWS) });
    } else if (model.isEmpty) text = t("ui.table_empty");
    else if (model.rows.length > VISIBLE_ROWS) text = t("ui.rows_note", { shown: VISIBLE_ROWS, total });
    else text = t("ui.paste_hint");
    replaceChildren(note, text);
    if (model.upload) {
      note.append(" ", h("button", { type: "button", class: "btn btn-small btn-quiet",
        onclick: () => model.clear(), text: t("ui.remove_file") }));
    }
    const structural = !model.upload;
    for (const key of ["addRow", "addColumn", "removeRow", "removeColumn"]) buttons[key].disabled = !structural;
    replaceChildren(errors, ...[...marks].map(([name, mark]) => h("li", { class: `mark-${mark.level}` },
      t("ui.column_problem", { column: name, message: mark.message }))));
  }

  function relabel(newLabel) {
    if (typeof newLabel === "string" && newLabel) label = newLabel;
    title.replaceChildren(label || model.name);
    if (required) title.append(h("span", { class: "req", "aria-hidden": "true", text: " *" }));
    buttons.upload.textContent = t("ui.upload");
    buttons.addRow.textContent = t("ui.add_row");
    buttons.addColumn.textContent = t("ui.add_column");
    buttons.removeRow.textContent = t("ui.remove_row");
    buttons.removeColumn.textContent = t("ui.remove_column");
    buttons.clear.textContent = t("ui.clear_table");
    scroller.setAttribute("aria-roledescription", t("ui.table"));
    draw();
  }

  // -- editing ------------------------------------------------------------------------

  function inputAt(r, c) {
    return grid.querySelector(`input[data-r="${r}"][data-c="${c}"]`);
  }

  function focusCell(r, c) {
    let input = inputAt(r, c);
    if (!input && r >= 0 && !model.upload && r < VISIBLE_ROWS) {
      model.ensureSize(r + 1, c + 1);
      draw();
      input = inputAt(r, c);
    }
    if (input) {
      input.focus();
      input.select();
    }
  }

  function edit(r, c, value, caret = null) {
    selfEdit = true;
    try {
      const before = { rows: model.rows.length, columns: model.columns.length };
      model.ensureSize(r + 1, c + 1);
      model.setCell(r, c, value);
      if (model.rows.length !== before.rows || model.columns.length !== before.columns) {
        model.changed(true);
      }
    } finally {
      selfEdit = false;
    }
    drawNotes();
    // Keep a spare empty row and column to type into, as a spreadsheet does.
    const { rows, columns } = shape();
    if (grid.tBodies[0] && (grid.tBodies[0].rows.length < rows || grid.tHead.rows[0].cells.length - 1 < columns)) {
      draw();
      const again = inputAt(r, c);
      if (again) {
        again.focus();
        if (caret !== null) again.setSelectionRange(caret, caret); // typing goes on where it was
      }
    }
  }

  grid.addEventListener("input", (event) => {
    const { r, c } = event.target.dataset;
    if (r !== undefined) edit(Number(r), Number(c), event.target.value, event.target.selectionStart);
  });
  grid.addEventListener("focusin", (event) => {
    const { r, c } = event.target.dataset;
    if (r !== undefined) current = { r: Number(r), c: Number(c) };
  });
  grid.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.dataset.r === undefined || event.altKey || event.metaKey || event.ctrlKey) return;
    const r = Number(target.dataset.r);
    const c = Number(target.dataset.c);
    const atStart = target.selectionStart === 0 && target.selectionEnd === 0;
    const atEnd = target.selectionStart === target.value.length && target.selectionEnd === target.value.length;
    let next = null;
    if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) next = [r + 1, c];
    else if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) next = [Math.max(r - 1, -1), c];
    else if (event.key === "ArrowLeft" && atStart) next = [r, Math.max(c - 1, 0)];
    else if (event.key === "ArrowRight" && atEnd) next = [r, c + 1];
    if (!next) return;
    event.preventDefault();
    focusCell(...next);
  });
  // Pasting a block (text with tabs or line breaks) fills cells; a single value pastes normally.
  element.addEventListener("paste", (event) => {
    if (model.upload) return;
    const text = event.clipboardData?.getData("text/plain") ?? "";
    if (!/[\t\n\r]/.test(text.replace(/[\r\n]+$/, ""))) return;
    event.preventDefault();
    const target = event.target.dataset?.r !== undefined ? event.target : null;
    if (!target || model.isEmpty) {
      model.setText(text);
      focusCell(0, 0);
      return;
    }
    const r = Number(target.dataset.r);
    const c = Number(target.dataset.c);
    model.pasteBlock(r, c, parseMatrix(text));
    focusCell(r, c);
  });
  scroller.addEventListener("dragover", (event) => { event.preventDefault(); scroller.classList.add("dragging"); });
  scroller.addEventListener("dragleave", () => scroller.classList.remove("dragging"));
  scroller.addEventListener("drop", (event) => {
    event.preventDefault();
    scroller.classList.remove("dragging");
    const file = event.dataTransfer?.files?.[0];
    if (file) upload(file);
  });

  function addRow() {
    const at = Math.min(current.r + 1, model.rows.length);
    model.ensureSize(at, current.c + 1);
    model.insertRow(Math.max(at, 0));
    focusCell(Math.max(at, 0), current.c);
  }
  function addColumn() {
    const at = Math.min(current.c + 1, model.columns.length);
    model.insertColumn(at);
    focusCell(-1, at);
  }
  function removeRow() {
    if (current.r < 0) return;
    model.removeRow(current.r);
    focusCell(Math.min(current.r, Math.max(model.rows.length - 1, 0)), current.c);
  }
  function removeColumn() {
    model.removeColumn(current.c);
    focusCell(current.r, Math.min(current.c, Math.max(model.columns.length - 1, 0)));
  }

  async function upload(file) {
    if (!onUpload) return;
    uploadProblem.hidden = true;
    buttons.upload.disabled = true;
    buttons.upload.textContent = t("ui.uploading");
    try {
      await onUpload(file);
    } catch (error) {
      uploadProblem.textContent = error.message;
      uploadProblem.hidden = false;
    } finally {
      buttons.upload.disabled = false;
      buttons.upload.textContent = t("ui.upload");
    }
  }

  /** The table's own problem (empty, unreadable), kept until the next call; same text: no change. */
  function setError(text) {
    if ((tableProblem.textContent || "") === (text || "") && tableProblem.hidden === !text) return;
    tableProblem.textContent = text || "";
    tableProblem.hidden = !text;
  }

  model.onChange((_model, structural) => {
    uploadProblem.hidden = true;
    if (selfEdit) return;
    if (structural) draw();
    else drawNotes();
  });

  relabel();
  return {
    element,
    relabel,
    setError,
    /**
     * Highlight column headers of one level ("error" or "warning"): `entries` is a list of
     * {column, message}; the others of that level are cleared. Redraws only on a change.
     */
    setMarks(level, entries) {
      const wanted = new Map(entries.map((e) => [e.column, { message: e.message, level }]));
      const same = [...marks].filter(([, m]) => m.level === level).length === wanted.size
        && [...wanted].every(([name, m]) => marks.get(name)?.message === m.message && marks.get(name)?.level === level);
      if (same) return;
      for (const [name, mark] of [...marks]) if (mark.level === level) marks.delete(name);
      for (const [name, mark] of wanted) if (!marks.has(name) || level === "error") marks.set(name, mark);
      draw();
      const first = entries[0] && grid.querySelector(`th[data-column="${CSS.escape(entries[0].column)}"]`);
      // Bring the column into the sheet's own view (horizontally only: the page must not jump).
      if (first && level === "error") {
        const box = first.getBoundingClientRect();
        const view = scroller.getBoundingClientRect();
        const rowNumbers = grid.querySelector("thead .rownum")?.getBoundingClientRect().width || 0;
        if (box.left < view.left + rowNumbers || box.right > view.right) {
          scroller.scrollLeft += box.left - view.left - rowNumbers;
        }
      }
    },
  };
}
