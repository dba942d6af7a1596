"""Explain a plugin's own error in the user's terms: which column or parameter it concerns.

R and pandas say "non-numeric argument to binary operator"; a biologist needs "column
'Gene' of table datTable holds text, but this role needs numbers". The answer comes with
field errors (a JSON pointer into the request, the table, the column, the row) so the page
can put the message next to the column it concerns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from plugin_sdk.plugin import Plugin
from plugin_sdk.tables import Table, TableError, parse_table_text

# Errors R and pandas give for common input mistakes, with what the user should check.
_NUMERIC_PATTERN = re.compile(
    r"non-numeric argument|Discrete value supplied to continuous scale|could not convert string to float|"
    r"must be numeric|is not numeric|invalid 'type' \(character\)|unsupported operand type\(s\)|"
    r"holds no usable numbers|NAs introduced by coercion",
    re.I,
)
# Any error that talks about numbers (R's, pandas', or a plugin's own check) is worth
# checking against the roles that take numbers.
_MENTIONS_NUMBERS = re.compile(r"numeric|\bnumbers?\b|float|integer|continuous", re.I)
_KNOWN_ERRORS = (
    (_NUMERIC_PATTERN, "a column that should hold numbers holds text"),
    (re.compile(r"object '([^']+)' not found", re.I), "the script looked for '{0}', which does not exist"),
    (re.compile(r"(?:undefined columns selected|Column `([^`]+)` doesn't exist|KeyError: '([^']+)')", re.I),
     "a column the plot needs is missing"),
    (re.compile(r"need finite 'ylim' values|need finite 'xlim' values|all values are NA|contains no data", re.I),
     "the chosen columns hold no usable numbers"),
)
_BLANK = {"", " ", "NA"}


@dataclass(frozen=True)
class Concern:
    sentence: str
    field: str
    table: str | None = None
    column: str | None = None
    row: int | None = None

    def field_error(self, message: str) -> dict[str, Any]:
        return {"field": self.field, "message": message, "column": self.column, "row": self.row,
                "table": self.table}


def diagnose(raw: str, config: dict[str, Any], tables: list[Table | None], plugin: Plugin | None = None
             ) -> tuple[str, list[dict[str, Any]]]:
    """(readable message, field errors) for the raw error a plugin script raised."""
    core = _core_sentence(raw)
    hint = _hint(raw)
    concern = _quoted_concern(raw, config, tables)
    if concern is None and plugin is not None and _MENTIONS_NUMBERS.search(raw):
        concern = _text_in_numeric_role(config, tables, plugin)
    message = f"The plot failed: {core}"
    if hint:
        message += f" ({hint})"
    if concern is not None:
        message += f". {concern.sentence}"
        return message, [concern.field_error(message)]
    return message, []


def _core_sentence(raw: str) -> str:
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    # ggplot2/rlang put the useful sentence first and bullets ("ℹ", "✖") after it.
    for line in lines:
        if not line.startswith(("ℹ", "✖", "•", "Run `rlang::last_trace()`", "Backtrace")):
            return re.sub(r"^(Error in [^:]*:|Error:)\s*", "", line) or line
    return "unknown error"


def _hint(raw: str) -> str:
    for pattern, hint in _KNOWN_ERRORS:
        match = pattern.search(raw)
        if match:
            groups = [g for g in match.groups() if g]
            return hint.format(*groups) if groups else hint
    return ""


def _chosen_columns(config: dict[str, Any]):
    """(table, role index from 0, column) for every column the request chose."""
    for table_name, roles in (config.get("dataArg") or {}).items():
        for index, role in enumerate(roles if isinstance(roles, list) else []):
            value = role.get("value") if isinstance(role, dict) else role
            for column in value if isinstance(value, list) else [value]:
                if isinstance(column, str) and column:
                    yield table_name, index, column


def _quoted_concern(raw: str, config: dict[str, Any], tables: list[Table | None]) -> Concern | None:
    quoted = set(re.findall(r"['`\"‘’]([^'`\"‘’]{1,80})['`\"‘’]", raw))
    for table_name, index, column in _chosen_columns(config):
        if column in quoted:
            return Concern(f"This concerns column '{column}', chosen for role {index + 1} of table {table_name}.",
                           f"/params/dataArg/{table_name}/{index}/value", table_name, column)
    for table in (t for t in tables if t is not None):
        for column in table.columns:
            if column in quoted:
                return Concern(f"This concerns column '{column}' of table {table.name}.", f"/tables/{table.name}",
                               table.name, column)
    for key in config.get("extra") or {}:
        if key in quoted:
            return Concern(f"This concerns the parameter '{key}'.", f"/params/extra/{key}")
    return None


def _text_in_numeric_role(config: dict[str, Any], tables: list[Table | None], plugin: Plugin) -> Concern | None:
    """A chosen column holding text, for a role whose example column holds numbers."""
    by_name = {t.name: t for t in tables if t is not None}
    numeric = numeric_roles(plugin)
    for table_name, index, column in _chosen_columns(config):
        table = by_name.get(table_name)
        if (table_name, index) not in numeric or table is None or column not in table.columns:
            continue
        bad = table.non_numeric_cells(column)
        if bad:
            row, value = bad[0]
            return Concern(
                f"Column '{column}' of table {table_name} holds text (row {row}: '{value}'), "
                f"but role {index + 1} needs numbers: choose a numeric column.",
                f"/params/dataArg/{table_name}/{index}/value", table_name, column, row,
            )
    return None


def numeric_roles(plugin: Plugin) -> set[tuple[str, int]]:
    """The (table, role) pairs whose column in the plugin's first example holds only numbers."""
    examples = plugin.examples
    if not examples:
        return set()
    example = examples[0]
    roles: set[tuple[str, int]] = set()
    chosen = {**plugin.config.get("dataArg", {}), **(example.get("config", {}).get("dataArg") or {})}
    for table_name, text in (example.get("textarea") or {}).items():
        if not isinstance(text, str) or not text.strip():
            continue
        try:
            table = parse_table_text(text, table_name)
        except TableError:
            continue
        for _, index, column in _chosen_columns({"dataArg": {table_name: chosen.get(table_name, [])}}):
            if column in table.columns:
                values = [v for v in table.values(column) if v.strip() not in _BLANK]
                if values and not table.non_numeric_cells(column):
                    roles.add((table_name, index))
    return roles
