// One input table as the page holds it: column names and rows of string cells, or an
// uploaded file (then only the first rows are known, and the table is sent as its upload
// id). Listeners hear about every change, so column pickers and conditions follow the table.

import { parseTable, toTsv } from "./parse.js";

export class TableModel {
  constructor(name) {
    this.name = name;
    this.columns = [];
    this.rows = [];
    this.upload = null; // {id, name, n_rows} when the table is an uploaded file
    this.listeners = new Set();
  }

  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tell listeners; `structural` is true when columns or row count changed (redraw). */
  changed(structural = true) {
    for (const listener of this.listeners) listener(this, structural);
  }

  get isEmpty() {
    return !this.upload && this.columns.every((c) => c === "") && this.rows.every((r) => r.every((c) => c === ""));
  }

  get rowCount() {
    return this.upload ? this.upload.n_rows : this.rows.length;
  }

  /** Column names that are not blank, for pickers. */
  get namedColumns() {
    return [...new Set(this.columns.filter((c) => c.trim() !== ""))];
  }

  setText(text) {
    const { columns, rows } = parseTable(text);
    this.columns = columns;
    this.rows = rows;
    this.upload = null;
    this.changed();
  }

  setUpload(upload) {
    const table = upload.table || {};
    this.columns = Array.isArray(table.columns) ? table.columns.map(String) : [];
    this.rows = Array.isArray(table.rows) ? table.rows.map((row) => row.map((c) => (c == null ? "" : String(c)))) : [];
    this.upload = { id: upload.id, name: upload.name, n_rows: Number(table.n_rows ?? this.rows.length) };
    this.changed();
  }

  clear() {
    this.columns = [];
    this.rows = [];
    this.upload = null;
    this.changed();
  }

  /** The table in a run request: TSV text, or {upload: id}. */
  toRequestValue() {
    if (this.upload) return { upload: this.upload.id };
    return this.isEmpty ? "" : toTsv(this.columns, this.trimmedRows());
  }

  /** Rows without the blank ones at the end (an editor always shows a spare row). */
  trimmedRows() {
    let end = this.rows.length;
    while (end > 0 && this.rows[end - 1].every((c) => String(c).trim() === "")) end -= 1;
    return this.rows.slice(0, end);
  }

  /** What condition expressions see: {columns, rows}. */
  forExpressions() {
    return { columns: this.namedColumns.length ? this.columns : [], rows: this.rows };
  }

  columnValues(name) {
    const index = this.columns.indexOf(name);
    return index < 0 ? [] : this.rows.map((row) => row[index] ?? "");
  }

  // -- edits (cell text only; structure changes go through the methods below) ------------

  setCell(row, column, value) {
    if (row === -1) this.columns[column] = value;
    else this.rows[row][column] = value;
    this.changed(row === -1); // a renamed column changes what pickers offer
  }

  ensureSize(rowCount, columnCount) {
    while (this.columns.length < columnCount) this.columns.push("");
    for (const row of this.rows) while (row.length < this.columns.length) row.push("");
    while (this.rows.length < rowCount) this.rows.push(Array(this.columns.length).fill(""));
  }

  insertRow(at) {
    this.rows.splice(at, 0, Array(this.columns.length).fill(""));
    this.changed();
  }

  removeRow(at) {
    if (at >= 0 && at < this.rows.length) this.rows.splice(at, 1);
    this.changed();
  }

  insertColumn(at) {
    this.columns.splice(at, 0, "");
    for (const row of this.rows) row.splice(at, 0, "");
    this.changed();
  }

  removeColumn(at) {
    if (at < 0 || at >= this.columns.length) return;
    this.columns.splice(at, 1);
    for (const row of this.rows) row.splice(at, 1);
    this.changed();
  }

  /**
   * Write a block of cells with its top-left corner at (row, column); row -1 is the header.
   * The table grows to hold it, as a spreadsheet does.
   */
  pasteBlock(row, column, matrix) {
    if (!matrix.length) return;
    const width = Math.max(...matrix.map((r) => r.length));
    let cells = matrix;
    if (row === -1) {
      this.ensureSize(0, column + width);
      matrix[0].forEach((value, j) => { this.columns[column + j] = value.trim(); });
      cells = matrix.slice(1);
      row = 0;
    }
    this.ensureSize(row + cells.length, column + width);
    cells.forEach((record, i) => record.forEach((value, j) => { this.rows[row + i][column + j] = value; }));
    this.changed();
  }
}
