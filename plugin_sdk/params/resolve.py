"""Resolve a run request into the config and tables a run uses, or every reason it cannot run.

The request (one fixed shape for the runtime, the server and the CLI)::

    {"params": {"extra": {...}, "general": {...}, "dataArg": {...}, "data": {...}},
     "tables": {"datTable": "Symbol\\tP.Value\\n..."},
     "use_example": false | true | <index of an example>}

Resolution follows Hiplot's runtime: data.json's ``params.config``, then the chosen example's
``config`` laid over it two levels deep (each section's keys replace whole), then the user's
``params`` laid over that the same way. Tables are parsed with the one shared reader. The
merged config is checked against the derived schema, and the column choices against the
tables' headers.

`resolve_request` returns a `Resolved` or raises `RequestInvalid` carrying every
`FieldError` found; no other exception escapes, whatever JSON it is given.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from plugin_sdk.findings import json_pointer
from plugin_sdk.labels import resolve_label
from plugin_sdk.params.errors import FieldError, RequestInvalid
from plugin_sdk.params.messages import listing, number, schema_errors, show, unknown_key_message
from plugin_sdk.params.schema import (
    DEFAULT_LIMITS,
    REQUEST_KEYS,
    SECTION_TITLES,
    derive_schema,
    role_specs,
    role_title,
    table_required,
)
from plugin_sdk.plugin import CONFIG_SECTIONS, Plugin
from plugin_sdk.tables import Table, TableError, TableLimits, parse_table_text

MAX_REQUEST_DEPTH = 64  # Hiplot configs nest about 5 deep; far deeper is junk, not a plot


@dataclass
class Resolved:
    """A request ready to run.

    ``tables`` follows data.json's textarea order (the first becomes `data` in R, the second
    `data2`, ...). An entry is None for an optional table the user left out, and for a table
    given as an uploaded file (``config["data"][name]["value"]``, which the runtime reads),
    so positions never shift.
    ``example_index`` is the example used, or None.
    """

    config: dict[str, Any]
    tables: list[Table | None]
    example_index: int | None

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t is not None and t.name == name), None)


def resolve_request(plugin: Plugin, request: Any, limits: TableLimits = DEFAULT_LIMITS) -> Resolved:
    """Merge and check a run request. Raises `RequestInvalid` with every problem found."""
    if not isinstance(request, dict):
        raise RequestInvalid([FieldError("", f"the request must be a JSON object with params, tables and "
                                             f"use_example (got {show(request)})")])
    if _depth_exceeds(request, MAX_REQUEST_DEPTH):
        raise RequestInvalid([FieldError("", f"the request is nested more than {MAX_REQUEST_DEPTH} levels deep")])
    return _Resolution(plugin, request, limits).run()


class _Resolution:
    """One request being resolved: collects errors step by step, then decides."""

    def __init__(self, plugin: Plugin, request: dict[str, Any], limits: TableLimits):
        self.plugin = plugin
        self.request = request
        self.limits = limits
        self.errors: list[FieldError] = []

    def run(self) -> Resolved:
        for key in self.request:
            if key not in REQUEST_KEYS:
                self.errors.append(FieldError(json_pointer(key), unknown_key_message([], key, list(REQUEST_KEYS))))
        example_index = self.example_index()
        example = self.plugin.examples[example_index] if example_index is not None else {}
        config = copy.deepcopy(self.plugin.config)
        overlay_two_levels(config, example.get("config"))
        self.overlay_user_params(config)
        tables = self.tables(example, config)
        schema = derive_schema(self.plugin, self.limits)
        schema_problems = schema_errors(Draft202012Validator(schema), {"params": config})
        self.errors.extend(schema_problems)
        flagged = {e.field for e in schema_problems}
        self.check_columns(config, tables, flagged)
        self.check_ranges(config, flagged)
        self.check_required_files(config, tables, flagged)
        if self.errors:
            raise RequestInvalid(_unique(self.errors))
        return Resolved(config, [tables.get(name) for name in self.plugin.table_names], example_index)

    # -- step 1: the example ----------------------------------------------------------------

    def example_index(self) -> int | None:
        choice = self.request.get("use_example", False)
        count = len(self.plugin.examples)
        if choice is None or choice is False:
            return None
        if choice is True:
            index = 0
        elif isinstance(choice, int) and not isinstance(choice, bool):
            index = choice
        else:
            self.errors.append(FieldError("/use_example", f"use_example must be true, false or the number of an "
                                                          f"example (got {show(choice)})"))
            return None
        if not count:
            self.errors.append(FieldError("/use_example", "this plugin has no example data"))
            return None
        if not 0 <= index < count:
            self.errors.append(FieldError(
                "/use_example",
                f"example {index} does not exist: this plugin has {count} "
                f"example{'s' if count > 1 else ''}, numbered 0 to {count - 1}",
            ))
            return None
        return index

    # -- step 2: the user's values ------------------------------------------------------------

    def overlay_user_params(self, config: dict[str, Any]) -> None:
        if "params" not in self.request:
            return
        params = self.request["params"]
        if not isinstance(params, dict):
            self.errors.append(FieldError("/params", f"params must be a JSON object with the sections "
                                                     f"{listing(CONFIG_SECTIONS)} (got {show(params)})"))
            return
        accepted: dict[str, Any] = {}
        for section, values in params.items():
            if section not in CONFIG_SECTIONS and section not in config:
                self.errors.append(FieldError(json_pointer("params", section),
                                              unknown_key_message(["params"], section, list(CONFIG_SECTIONS))))
            elif not isinstance(values, dict):
                title = SECTION_TITLES.get(section, section)
                self.errors.append(FieldError(json_pointer("params", section),
                                              f"{title} must be a JSON object of named values (got {show(values)})"))
            else:
                accepted[section] = values
        overlay_two_levels(config, accepted)

    # -- step 3: the tables --------------------------------------------------------------------

    def tables(self, example: dict[str, Any], config: dict[str, Any]) -> dict[str, Table]:
        given = self.request.get("tables", {})
        if not isinstance(given, dict):
            self.errors.append(FieldError("/tables", f"tables must be a JSON object of table name -> pasted text "
                                                     f"(got {show(given)})"))
            given = {}
        names = self.plugin.table_names
        for name, text in given.items():
            if name not in names:
                self.errors.append(FieldError(json_pointer("tables", name),
                                              unknown_key_message(["tables"], name, names), table=name))
            elif not isinstance(text, str):
                self.errors.append(FieldError(json_pointer("tables", name),
                                              f"table '{name}' must be the table's text, tab- or comma-separated "
                                              f"(got {show(text)})", table=name))
        example_texts = example.get("textarea") if isinstance(example.get("textarea"), dict) else {}
        parsed: dict[str, Table] = {}
        for name in names:
            raw = given.get(name)
            if raw is not None and not isinstance(raw, str):
                continue  # already reported as not text
            text = _text(raw) or _text(example_texts.get(name))
            if text is None:
                # A table may also come as an uploaded file under params.config.data.<name>;
                # the runtime reads that file, so there is nothing to parse here.
                if table_required(self.plugin, name) and not _file_chosen(config, name):
                    self.errors.append(FieldError(json_pointer("tables", name), self.missing_table(name), table=name))
                continue
            try:
                parsed[name] = parse_table_text(text, name, self.limits)
            except TableError as exc:
                self.errors.append(FieldError(json_pointer("tables", name), str(exc), column=exc.column,
                                              row=exc.row, table=name))
        return parsed

    def missing_table(self, name: str) -> str:
        how = "paste a table, upload a file or load the example" if self.plugin.examples else \
            "paste a table or upload a file"
        return f"table '{name}' is required: {how}"

    # -- step 5: column choices ------------------------------------------------------------------

    def check_columns(self, config: dict[str, Any], tables: dict[str, Table], flagged: set[str]) -> None:
        choices = config.get("dataArg")
        if not isinstance(choices, dict):
            return
        for name, table in tables.items():
            entries = choices.get(name)
            entries = entries if isinstance(entries, list) else []
            roles = role_specs(self.plugin, name)
            for index in range(max(len(entries), len(roles))):
                where = json_pointer("dataArg", name, index)
                if any(f == "/params" + where or f.startswith("/params" + where + "/") for f in flagged):
                    continue  # its shape is already wrong; a column message would only add noise
                entry = entries[index] if index < len(entries) else None
                value = entry.get("value") if isinstance(entry, dict) else None
                chosen = _chosen_columns(value)
                pointer = json_pointer("params", "dataArg", name, index, "value")
                role = roles[index] if index < len(roles) else {}
                if not chosen and role.get("required") is True:
                    title = role_title(role, name, index)
                    self.errors.append(FieldError(pointer, f"choose a column for {title} of table {name}", table=name))
                for position, column in chosen:
                    if table.column_index(column) is None:
                        field = pointer if position is None else f"{pointer}/{position}"
                        self.errors.append(FieldError(
                            field,
                            f"column '{column}' is not in table {name} (its columns: {listing(table.columns)})",
                            column=column,
                            table=name,
                        ))

    def check_required_files(self, config: dict[str, Any], tables: dict[str, Table], flagged: set[str]) -> None:
        """A required cloud-file input needs a file (or, for a table of the same name, pasted text)."""
        ui_data = self.plugin.ui.get("data") if isinstance(self.plugin.ui, dict) else None
        if not isinstance(ui_data, dict):
            return
        for name, widget in ui_data.items():
            if not isinstance(widget, dict) or widget.get("type") != "cloud-file" or widget.get("required") is not True:
                continue
            pointer = json_pointer("params", "data", name, "value")
            if name in tables or _file_chosen(config, name) or any(f.startswith(pointer) for f in flagged):
                continue
            title = resolve_label(widget.get("label"), "en", fallback_key=name)
            self.errors.append(FieldError(pointer, f"choose a file for {title}", table=name))

    def check_ranges(self, config: dict[str, Any], flagged: set[str]) -> None:
        """A range-slider's pair must be in order; JSON Schema cannot say so."""
        ui_extra = self.plugin.ui.get("extra") if isinstance(self.plugin.ui, dict) else None
        extra = config.get("extra")
        if not isinstance(ui_extra, dict) or not isinstance(extra, dict):
            return
        for key, widget in ui_extra.items():
            if not isinstance(widget, dict) or widget.get("type") != "range-slider":
                continue
            pointer = json_pointer("params", "extra", key)
            value = extra.get(key)
            if pointer in flagged or not _number_pair(value):
                continue
            low, high = value
            if low > high:
                title = resolve_label(widget.get("label"), "en", fallback_key=key)
                self.errors.append(FieldError(
                    pointer, f"{title}: the low end ({number(low)}) is above the high end ({number(high)})"
                ))


def overlay_two_levels(config: dict[str, Any], overlay: Any) -> None:
    """Hiplot's overlay: for each section and each key in it, the key's value replaces whole."""
    if not isinstance(overlay, dict):
        return
    for section, values in overlay.items():
        if not isinstance(values, dict):
            continue
        target = config.get(section)
        if not isinstance(target, dict):
            target = config[section] = {}
        for key, value in values.items():
            target[key] = copy.deepcopy(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _file_chosen(config: dict[str, Any], name: str) -> bool:
    """True when params.config.data.<name> names an uploaded file (or several)."""
    data = config.get("data")
    entry = data.get(name) if isinstance(data, dict) else None
    value = entry.get("value") if isinstance(entry, dict) else None
    if isinstance(value, list):
        return any(isinstance(v, str) and v.strip() for v in value)
    return isinstance(value, str) and bool(value.strip())


def _chosen_columns(value: Any) -> list[tuple[int | None, str]]:
    """(position in a list or None, column name) of each non-blank choice."""
    if isinstance(value, str):
        return [(None, value)] if value.strip() else []
    if isinstance(value, list):
        return [(i, v) for i, v in enumerate(value) if isinstance(v, str) and v.strip()]
    return []


def _number_pair(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _depth_exceeds(value: Any, limit: int) -> bool:
    # Iterative, so that a hostile 100 000-deep list cannot exhaust the stack here.
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _unique(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))
