"""Input tables: parse what a user pastes or uploads into a checked, bounded table.

One reader for every path a table takes (pasted text, an uploaded TSV/CSV/TXT/XLSX, a
plugin's example), so the form's column pickers, the request validator and the runtime all
see the same columns. Follows Hiplot's reading rules: the separator is detected, column
names are kept as written, rows and then columns whose every cell is blank are dropped.
Every problem is a `TableError` naming the table, and the row or column where it applies.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

TEXT_EXTENSIONS = (".tsv", ".txt", ".csv")
SPREADSHEET_EXTENSIONS = (".xlsx",)
ACCEPTED_EXTENSIONS = TEXT_EXTENSIONS + SPREADSHEET_EXTENSIONS
_SEPARATORS = ("\t", ",", ";", "|")
_BLANK = {"", " ", "NA"}


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 1_000_000
    max_columns: int = 5_000
    max_cells: int = 10_000_000
    # An .xlsx is a zip: cap what it expands to, and how much more than its own size.
    max_xlsx_uncompressed: int = 200 * 1024 * 1024
    max_xlsx_ratio: int = 100


class TableError(ValueError):
    """A table that cannot be used, with where the problem is."""

    def __init__(self, table: str, message: str, *, row: int | None = None, column: str | None = None):
        self.table = table
        self.row = row
        self.column = column
        self.message = message
        super().__init__(f"table {table!r}: {message}")


@dataclass
class Table:
    """A table as strings: `columns` are the header, `rows` the data rows (all the same width)."""

    name: str
    columns: list[str]
    rows: list[list[str]]

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def column_index(self, column: str) -> int | None:
        try:
            return self.columns.index(column)
        except ValueError:
            return None

    def values(self, column: str | int) -> list[str]:
        index = column if isinstance(column, int) else self.columns.index(column)
        return [row[index] for row in self.rows]

    def non_numeric_cells(self, column: str) -> list[tuple[int, str]]:
        """(row number from 1, value) of the non-blank cells that are not numbers."""
        out = []
        for number, value in enumerate(self.values(column), start=1):
            if value.strip() in _BLANK:
                continue
            if not _is_number(value):
                out.append((number, value))
        return out

    def to_tsv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def to_dataframe(self) -> Any:
        """A pandas DataFrame with numeric columns converted, as R's fread would type them."""
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=self.columns, dtype=object)
        for name in frame.columns.unique():
            column = frame[name]
            if isinstance(column, pd.DataFrame):  # duplicate header names: leave as text
                continue
            blank = column.str.strip().isin(_BLANK)
            filled = column[~blank]
            if len(filled) and all(_is_number(v) for v in filled):
                frame[name] = pd.to_numeric(column.mask(blank))
        return frame


def _is_number(value: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return not math.isnan(number) or value.strip().lower() == "nan"


def decode_text(raw: bytes) -> str:
    """Decode bytes from a spreadsheet export: UTF-8 (with or without BOM), UTF-16 with BOM,
    GB18030 (Excel on a Chinese system), and finally Latin-1, which never fails."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def detect_separator(lines: list[str]) -> str:
    """The separator that splits the first lines into the same number (>1) of fields."""
    sample = [line for line in lines[:50] if line.strip()]
    if not sample:
        return "\t"
    best, best_score = "\t", 0
    for separator in _SEPARATORS:
        counts = [len(next(csv.reader([line], delimiter=separator))) for line in sample]
        if counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = consistent * 1000 + counts[0]
        if score > best_score:
            best, best_score = separator, score
    return best


def parse_table_text(text: str, name: str, limits: TableLimits = TableLimits(), separator: str | None = None) -> Table:
    """Parse pasted or uploaded text (TSV, CSV, ...) into a Table."""
    if len(text.encode("utf-8", errors="ignore")) > limits.max_bytes:
        raise TableError(name, f"is larger than {limits.max_bytes // (1024 * 1024)} MB")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = text.split("\n")
    separator = separator or detect_separator(lines)
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=separator, strict=False))
    except csv.Error as exc:
        raise TableError(name, f"cannot be read: {exc}") from exc
    return build_table(name, records, limits)


def build_table(name: str, records: list[list[str]], limits: TableLimits = TableLimits()) -> Table:
    """Apply the shared rules to raw records: header, ragged rows, blank rows and columns."""
    records = [r for r in records if not all(c.strip() in _BLANK for c in r)]
    if not records:
        raise TableError(name, "is empty: paste or upload a table with a header row and at least one data row")
    header, body = [c.strip() for c in records[0]], records[1:]
    if not body:
        raise TableError(name, "has a header but no data rows")
    if len(body) > limits.max_rows:
        raise TableError(name, f"has {len(body)} rows; the limit is {limits.max_rows}")
    width = len(header)
    if width > limits.max_columns:
        raise TableError(name, f"has {width} columns; the limit is {limits.max_columns}")
    rows: list[list[str]] = []
    for number, record in enumerate(body, start=1):
        if len(record) > width:
            extra = record[width:]
            if any(c.strip() not in _BLANK for c in extra):
                raise TableError(
                    name,
                    f"row {number} has {len(record)} cells but the header has {width} columns",
                    row=number,
                )
            record = record[:width]
        rows.append([c.strip() for c in record] + [""] * (width - len(record)))
    if width * len(rows) > limits.max_cells:
        raise TableError(name, f"has more than {limits.max_cells} cells")
    keep = [i for i in range(width) if any(row[i] not in _BLANK for row in rows)]
    if not keep:
        raise TableError(name, "has no non-empty column")
    # fread names a header cell left empty V1, V2, ... by position; do the same.
    columns = [header[i] or f"V{i + 1}" for i in keep]
    return Table(name, columns, [[row[i] for i in keep] for row in rows])


def read_table_file(path: Path, name: str, limits: TableLimits = TableLimits()) -> Table:
    """Read a table file by its extension: .tsv/.txt/.csv (optionally .gz) or .xlsx."""
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    gzipped = suffixes[-1:] == [".gz"]
    kind = suffixes[-2] if gzipped and len(suffixes) == 2 else suffixes[-1] if suffixes else ""
    if kind in SPREADSHEET_EXTENSIONS and not gzipped:
        return read_xlsx(path, name, limits)
    if kind not in TEXT_EXTENSIONS:
        accepted = ", ".join(ACCEPTED_EXTENSIONS)
        raise TableError(name, f"file type {kind or '(none)'!r} is not accepted; use one of {accepted}")
    if path.stat().st_size > limits.max_bytes:
        raise TableError(name, f"is larger than {limits.max_bytes // (1024 * 1024)} MB")
    raw = path.read_bytes()
    if gzipped:
        raw = _gunzip_bounded(raw, name, limits)
    separator = "," if kind == ".csv" else None
    return parse_table_text(decode_text(raw), name, limits, separator)


def _gunzip_bounded(raw: bytes, name: str, limits: TableLimits) -> bytes:
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
        data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise TableError(name, f"expands to more than {limits.max_bytes // (1024 * 1024)} MB")
    return data


def check_xlsx_container(path: Path, name: str, limits: TableLimits = TableLimits()) -> None:
    """Refuse a spreadsheet that is not a zip, or that would expand too far (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise TableError(name, "is not a valid .xlsx file (it is not a zip archive)") from exc
    if expanded > limits.max_xlsx_uncompressed:
        raise TableError(name, f"expands to {expanded // (1024 * 1024)} MB when opened; refused")
    size = max(path.stat().st_size, 1)
    if expanded / size > limits.max_xlsx_ratio:
        raise TableError(name, f"expands {expanded // size} times when opened; refused as a likely zip bomb")


def read_xlsx(path: Path, name: str, limits: TableLimits = TableLimits()) -> Table:
    """The first sheet of an .xlsx, read-only; with defusedxml installed openpyxl refuses XML entity attacks."""
    import openpyxl

    check_xlsx_container(path, name, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a corrupt file; all mean "unreadable"
        raise TableError(name, f"is not a readable .xlsx file ({type(exc).__name__})") from exc
    try:
        sheet = book.worksheets[0]
        # Read-only mode trusts the sheet's declared size, which some writers (R's openxlsx)
        # leave at A1: without this the table would read as one row.
        sheet.reset_dimensions()
        records = []
        for count, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if count > limits.max_rows + 1:
                raise TableError(name, f"has more than {limits.max_rows} rows")
            records.append([_cell_text(v) for v in row])
    finally:
        book.close()
    return build_table(name, records, limits)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
