"""Tables into one .xlsx workbook, with text that can never turn into a formula."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from plugin_sdk.atomic import atomic_output

# Excel limits and the characters a sheet name may not hold.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET_NAME = 31
_MAX_CELL_TEXT = 32767


def sanitize_sheet_name(name: Any, taken: set[str]) -> str:
    """A legal, unique Excel sheet name: <= 31 characters, none of []:*?/\\, not quoted at the ends."""
    clean = _SHEET_NAME_FORBIDDEN.sub("_", str(name)).strip().strip("'") or "Sheet"
    if clean.lower() == "history":  # reserved by Excel
        clean = "History_"
    clean = clean[:_MAX_SHEET_NAME]
    candidate, number = clean, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = clean[: _MAX_SHEET_NAME - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def write_tables_xlsx(tables: Mapping[str, Any] | pd.DataFrame, path: Path | str) -> Path:
    """Write DataFrames into one workbook, a sheet each, and return its path.

    Every text cell is stored as text, so "=1+1", "+1", "-x" or "@y" from a table never becomes
    a formula when the file is opened. Numbers stay numbers, missing values are empty cells. A
    frame's index is written as leading columns unless it is the default 0..n-1.
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(tables, pd.DataFrame):
        tables = {"Sheet1": tables}
    path = Path(path)
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for name, table in tables.items():
        frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
        if not _is_default_index(frame.index):
            frame = frame.reset_index(allow_duplicates=True)
        sheet = book.create_sheet(sanitize_sheet_name(name, taken))
        header = [_column_title(c) for c in frame.columns]
        for col, title in enumerate(header, start=1):
            _write_cell(sheet, 1, col, title, ILLEGAL_CHARACTERS_RE)
        for row_number, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            for col, value in enumerate(row, start=1):
                _write_cell(sheet, row_number, col, value, ILLEGAL_CHARACTERS_RE)
        sheet.freeze_panes = "A2"
    if not book.worksheets:
        book.create_sheet("Sheet1")
    with atomic_output(path) as tmp:
        book.save(tmp)
    return path


def _is_default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None


def _column_title(column: Any) -> str:
    if isinstance(column, tuple):  # MultiIndex columns
        return " / ".join(str(part) for part in column if str(part) != "")
    return str(column)


def _write_cell(sheet: Any, row: int, col: int, value: Any, illegal: re.Pattern[str]) -> None:
    cell = sheet.cell(row=row, column=col)
    value = _cell_value(value)
    if value is None:
        return
    if isinstance(value, str):
        cell.value = illegal.sub("", value)[:_MAX_CELL_TEXT]
        cell.data_type = "s"  # set after the value: openpyxl guesses "f" for text starting with "="
    else:
        cell.value = value


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("Inf" if value > 0 else "-Inf")
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "isoformat"):  # date, datetime, time
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
