// Text <-> rows of cells. Reads what Excel puts on the clipboard (tab-separated, quoted
// cells when a cell holds a tab, a quote or a line break) and CSV; writes TSV quoted the
// way Python's csv module (the server's reader) expects.

const SEPARATORS = ["\t", ",", ";"];

/** Split `text` into records of cells with `separator`, honouring double quotes. */
export function splitRecords(text, separator) {
  const records = [];
  let record = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        quoted = false; i += 1; continue;
      }
      cell += c; i += 1; continue;
    }
    if (c === '"' && cell === "") { quoted = true; i += 1; continue; }
    if (c === separator) { record.push(cell); cell = ""; i += 1; continue; }
    if (c === "\r" || c === "\n") {
      record.push(cell); records.push(record); record = []; cell = "";
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    cell += c; i += 1;
  }
  if (cell !== "" || record.length) { record.push(cell); records.push(record); }
  return records;
}

/** The separator that splits the first lines into the same number (> 1) of fields. */
export function detectSeparator(text) {
  const lines = text.split(/\r\n|\n|\r/).filter((line) => line.trim() !== "").slice(0, 20);
  let best = "\t";
  let bestScore = 0;
  for (const separator of SEPARATORS) {
    const counts = lines.map((line) => splitRecords(line, separator)[0]?.length || 0);
    if (!counts.length || counts[0] < 2) continue;
    const agreeing = counts.filter((count) => count === counts[0]).length;
    const score = agreeing * 1000 + counts[0];
    if (score > bestScore) { best = separator; bestScore = score; }
  }
  return best;
}

/** Cells of `text` as a matrix (rows of strings), blank trailing lines dropped. */
export function parseMatrix(text, separator = null) {
  const clean = String(text ?? "").replace(/^\ufeff/, "");
  const records = splitRecords(clean, separator || detectSeparator(clean));
  while (records.length && records[records.length - 1].every((cell) => cell.trim() === "")) records.pop();
  return records;
}

/** {columns, rows} of a table text whose first line is the header. */
export function parseTable(text) {
  const matrix = parseMatrix(text);
  if (!matrix.length) return { columns: [], rows: [] };
  const width = Math.max(...matrix.map((record) => record.length));
  const pad = (record) => [...record, ...Array(width - record.length).fill("")];
  const columns = pad(matrix[0]).map((name) => name.trim());
  return { columns, rows: matrix.slice(1).map(pad) };
}

function quote(cell) {
  const text = cell == null ? "" : String(cell);
  return /[\t\n\r"]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** TSV text of a table (header line first). */
export function toTsv(columns, rows) {
  const lines = [columns.map(quote).join("\t")];
  for (const row of rows) lines.push(row.map(quote).join("\t"));
  return `${lines.join("\n")}\n`;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Whether a cell reads as a number the way R's fread / pandas would take it. */
export function isNumberCell(cell) {
  const text = String(cell ?? "").trim();
  return NUMBER.test(text) || /^[-+]?(?:inf|infinity|nan)$/i.test(text);
}
