// The table editor's text handling, without a browser: what Excel puts on the clipboard,
// CSV, and the TSV the server reads back (Python's csv module).
//   node --test tests/browser/js/
import { test } from "node:test";
import assert from "node:assert/strict";
import { detectSeparator, isNumberCell, parseMatrix, parseTable, toTsv } from "../../../server/static/js/table/parse.js";
import { TableModel } from "../../../server/static/js/table/model.js";

test("Excel's clipboard: tabs, CRLF, a quoted cell holding a line break and a quote", () => {
  const text = 'Gene\tNote\r\nTP53\t"two\r\nlines"\r\nMYC\t"say ""hi"""\r\n';
  assert.deepEqual(parseMatrix(text), [["Gene", "Note"], ["TP53", "two\r\nlines"], ["MYC", 'say "hi"']]);
});

test("the separator is the one that splits every line alike", () => {
  assert.equal(detectSeparator("a,b,c\n1,2,3\n"), ",");
  assert.equal(detectSeparator("a\tb\n1,5\t2\n"), "\t");
  assert.equal(detectSeparator("a;b\n1,5;2\n"), ";");
  assert.equal(detectSeparator("one column\nx\n"), "\t");
});

test("a table's first line is its header; short rows are padded, blank trailing lines dropped", () => {
  const table = parseTable("\ufeffGene,P\nTP53,0.01\nMYC\n\n\n");
  assert.deepEqual(table.columns, ["Gene", "P"]);
  assert.deepEqual(table.rows, [["TP53", "0.01"], ["MYC", ""]]);
});

test("TSV out quotes exactly the cells that need it, and reads back the same", () => {
  const columns = ["Gene", "Note"];
  const rows = [["TP53", 'a "quote"'], ["MYC", "tab\there"], ["EGFR", "plain"]];
  const text = toTsv(columns, rows);
  assert.equal(text, 'Gene\tNote\nTP53\t"a ""quote"""\nMYC\t"tab\there"\nEGFR\tplain\n');
  assert.deepEqual(parseTable(text), { columns, rows });
});

test("numbers as R and pandas read them", () => {
  for (const yes of ["1", "-2.5", "3e-18", ".5", "+4", " 7 ", "Inf", "-inf", "NaN"]) assert.ok(isNumberCell(yes), yes);
  for (const no of ["", "TP53", "1,5", "0x10", "1e", "--1", "NA"]) assert.ok(!isNumberCell(no), no);
});

test("a pasted block grows the table from the cell it lands on", () => {
  const model = new TableModel("datTable");
  model.setText("A\tB\n1\t2\n");
  model.pasteBlock(0, 1, [["x", "y", "z"], ["u", "v", "w"]]);
  assert.deepEqual(model.columns, ["A", "B", "", ""]);
  assert.deepEqual(model.rows, [["1", "x", "y", "z"], ["", "u", "v", "w"]]);
  model.pasteBlock(-1, 2, [["C", "D"], ["c1", "d1"]]);
  assert.deepEqual(model.columns, ["A", "B", "C", "D"]);
  assert.deepEqual(model.rows[0], ["1", "x", "c1", "d1"]);
});

test("the run request carries the table without the editor's spare blank rows", () => {
  const model = new TableModel("datTable");
  assert.equal(model.toRequestValue(), "");
  model.setText("A\tB\n1\t2\n");
  model.ensureSize(5, 2);
  assert.equal(model.toRequestValue(), "A\tB\n1\t2\n");
  model.setUpload({ id: "u1", name: "x.csv", table: { columns: ["A"], rows: [["1"]], n_rows: 900 } });
  assert.deepEqual(model.toRequestValue(), { upload: "u1" });
  assert.equal(model.rowCount, 900);
});

test("listeners hear structural changes (pickers follow the header)", () => {
  const model = new TableModel("datTable");
  const heard = [];
  model.onChange((_m, structural) => heard.push(structural));
  model.setText("A\n1\n");
  model.setCell(0, 0, "2");
  model.setCell(-1, 0, "Renamed");
  assert.deepEqual(heard, [true, false, true]);
  assert.deepEqual(model.namedColumns, ["Renamed"]);
});
