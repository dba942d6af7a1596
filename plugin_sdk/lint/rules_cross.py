"""Cross-file rules (X0xx): what no single schema can see.

The names in data.json agree with the folder, each ui.json widget has a sensible default in
data.json, the column pickers agree with the column choices, the example tables parse and
hold the columns the example picks, and the files the plugin names exist.

Each rule reads the documents defensively: a section of the wrong shape is the schema rules'
finding (S0xx), so here it is skipped, never reported twice and never a crash.

Codes: X001-X003 names, X010-X018 parameter defaults, X020-X022 column choices,
X030-X032 examples, X040-X042 files, X050 conditions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from plugin_sdk.findings import Severity, json_pointer
from plugin_sdk.lint.registry import Problem, rule
from plugin_sdk.params.colours import HEX_COLOUR_PATTERN, r_colour_names
from plugin_sdk.plugin import PYTHON_SCRIPT_NAME, R_SCRIPT_NAMES, PluginFolder
from plugin_sdk.schemas import describe_got, describe_value
from plugin_sdk.tables import TableError, parse_table_text

_SHORT_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3}")
_URL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")  # http:, https:, data:, //host/...
_MAX_COLUMNS_SHOWN = 12


# ---------------------------------------------------------------------------- reading helpers
def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _config(folder: PluginFolder) -> dict[str, Any]:
    return _dict(_dict(_dict(folder.data).get("params")).get("config"))


def _config_section(folder: PluginFolder, name: str) -> dict[str, Any]:
    return _dict(_config(folder).get(name))


def _ui_section(folder: PluginFolder, name: str) -> dict[str, Any]:
    return _dict(_dict(folder.ui).get(name))


def _malformed(container: Any, name: str) -> bool:
    """A section present with the wrong shape (S0xx reports it; comparing it says nothing).
    Missing and Hiplot's empty [] both read as an empty section."""
    value = _dict(container).get(name, {})
    return not isinstance(value, dict) and value != []


def _widgets(folder: PluginFolder, section: str) -> dict[str, dict[str, Any]]:
    """The widgets of one ui.json section that have a type (the schema reports the rest)."""
    return {
        key: widget
        for key, widget in _ui_section(folder, section).items()
        if isinstance(widget, dict) and isinstance(widget.get("type"), str)
    }


def _examples(folder: PluginFolder) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(JSON path of the example, the example) for exampleData as an object or a list."""
    example = _dict(folder.data).get("exampleData")
    if isinstance(example, dict):
        return [(("exampleData",), example)]
    return [(("exampleData", i), e) for i, e in enumerate(_list(example)) if isinstance(e, dict)]


def _example_section(example: dict[str, Any], name: str) -> dict[str, Any]:
    return _dict(_dict(example.get("config")).get(name))


def _input_tables(folder: PluginFolder) -> list[str]:
    """Every table a user can give: textarea tables, then file inputs and ui data widgets."""
    params = _dict(_dict(folder.data).get("params"))
    names = list(_dict(params.get("textarea")))
    for name in [*_config_section(folder, "data"), *_widgets(folder, "data")]:
        if name not in names:
            names.append(name)
    return names


def _extra_values(folder: PluginFolder, key: str) -> Iterator[tuple[str, str, Any]]:
    """(pointer, "default" or "example value", value) of one extra parameter in data.json."""
    defaults = _config_section(folder, "extra")
    if key in defaults:
        yield json_pointer("params", "config", "extra", key), "default", defaults[key]
    for path, example in _examples(folder):
        overlay = _example_section(example, "extra")
        if key in overlay:
            yield json_pointer(*path, "config", "extra", key), "example value", overlay[key]


def _widget_values(folder: PluginFolder, widget_type: str) -> Iterator[tuple[str, dict, str, str, Any]]:
    """(key, widget, pointer, what, value) for every extra widget of one type and its values."""
    for key, widget in _widgets(folder, "extra").items():
        if widget["type"] == widget_type:
            for pointer, what, value in _extra_values(folder, key):
                yield key, widget, pointer, what, value


def _as_number(value: Any) -> float | None:
    """A number, or a numeric string as Hiplot sometimes writes one; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # not a number, or an integer beyond a double
        return None
    return number if math.isfinite(number) else None


def _show(number: float) -> str:
    return str(int(number)) if number.is_integer() else repr(number)


def _bounds(widget: dict[str, Any]) -> tuple[float | None, float | None]:
    return _as_number(widget.get("min")), _as_number(widget.get("max"))


def _same_value(a: Any, b: Any) -> bool:
    # True == 1 in Python, but a switch-like true is not the choice 1.
    return isinstance(a, bool) == isinstance(b, bool) and a == b


# ---------------------------------------------------------------------------- names
@rule("X001", Severity.ERROR, "data.json module is the plugin's module folder name")
def module_matches_folder(folder: PluginFolder) -> Iterator[Problem]:
    module = _dict(folder.data).get("module")
    if isinstance(module, str) and module != folder.module:
        yield Problem(
            "data.json", "/module", f"module '{module}' does not match the plugin's module folder '{folder.module}'"
        )


@rule("X002", Severity.ERROR, "data.json tool is the plugin's folder name")
def tool_matches_folder(folder: PluginFolder) -> Iterator[Problem]:
    tool = _dict(folder.data).get("tool")
    if isinstance(tool, str) and tool != folder.tool:
        yield Problem("data.json", "/tool", f"tool '{tool}' does not match the plugin's folder '{folder.tool}'")


@rule("X003", Severity.ERROR, "meta.json href is /<module>/<tool> of the plugin's folder")
def href_matches_folder(folder: PluginFolder) -> Iterator[Problem]:
    href = _dict(folder.meta).get("href")
    expected = f"/{folder.module}/{folder.tool}"
    if isinstance(href, str) and href != expected:
        yield Problem("meta.json", "/href", f"href '{href}' does not match the plugin's folder: expected '{expected}'")


# ---------------------------------------------------------------------------- parameter defaults
@rule("X010", Severity.ERROR, "every ui.json extra widget has a default in data.json params.config.extra")
def widget_has_default(folder: PluginFolder) -> Iterator[Problem]:
    if folder.data is None or _malformed(_config(folder), "extra"):
        return
    defaults = _config_section(folder, "extra")
    for key in _widgets(folder, "extra"):
        if key not in defaults:
            yield Problem(
                "ui.json", json_pointer("extra", key), f"widget '{key}' has no default in data.json params.config.extra"
            )


@rule("X011", Severity.WARNING, "every default in data.json params.config.extra has a ui.json widget")
def default_has_widget(folder: PluginFolder) -> Iterator[Problem]:
    if folder.ui is None or _malformed(folder.ui, "extra"):
        return
    widgets = _ui_section(folder, "extra")
    for key in _config_section(folder, "extra"):
        if key not in widgets:
            yield Problem(
                "data.json",
                json_pointer("params", "config", "extra", key),
                f"parameter '{key}' has a default but no widget in ui.json extra, so users cannot change it",
            )


@rule("X012", Severity.ERROR, "a slider's min is not above its max")
def slider_bounds_ordered(folder: PluginFolder) -> Iterator[Problem]:
    for section in ("extra", "data"):
        for key, widget in _widgets(folder, section).items():
            low, high = _bounds(widget)
            if widget["type"] in ("slider", "range-slider") and low is not None and high is not None and low > high:
                yield Problem(
                    "ui.json",
                    json_pointer(section, key, "max"),
                    f"max {_show(high)} of {widget['type']} '{key}' is below its min {_show(low)}",
                )


def _outside(widget: dict[str, Any], *numbers: float) -> str | None:
    """The words "outside its range 0 to 1" when a number is out of the widget's bounds."""
    low, high = _bounds(widget)
    if low is not None and high is not None and low > high:
        return None  # X012's finding; a range check against crossed bounds says nothing more
    if any((low is not None and n < low) or (high is not None and n > high) for n in numbers):
        shown_low = _show(low) if low is not None else "-inf"
        shown_high = _show(high) if high is not None else "inf"
        return f"outside its range {shown_low} to {shown_high}"
    return None


@rule("X013", Severity.ERROR, "a slider's default is a number within its min and max")
def slider_default_in_range(folder: PluginFolder) -> Iterator[Problem]:
    for key, widget, pointer, what, value in _widget_values(folder, "slider"):
        number = _as_number(value)
        if number is None:
            yield Problem("data.json", pointer, f"{what} of slider '{key}' must be a number, got {describe_got(value)}")
        elif (outside := _outside(widget, number)) is not None:
            yield Problem("data.json", pointer, f"{what} of slider '{key}' is {_show(number)}, {outside}")


@rule("X014", Severity.ERROR, "a range-slider's default is a [low, high] pair within its min and max")
def range_slider_default_in_range(folder: PluginFolder) -> Iterator[Problem]:
    for key, widget, pointer, what, value in _widget_values(folder, "range-slider"):
        pair = [_as_number(v) for v in value] if isinstance(value, list) else []
        if len(pair) != 2 or None in pair:
            yield Problem(
                "data.json",
                pointer,
                f"{what} of range-slider '{key}' must be a [low, high] pair of numbers, got {describe_value(value)}",
            )
            continue
        low, high = pair[0], pair[1]
        assert low is not None and high is not None
        shown = f"[{_show(low)}, {_show(high)}]"
        if low > high:
            yield Problem("data.json", pointer, f"{what} of range-slider '{key}' is {shown}: low is above high")
        elif (outside := _outside(widget, low, high)) is not None:
            yield Problem("data.json", pointer, f"{what} of range-slider '{key}' is {shown}, {outside}")


@rule("X015", Severity.ERROR, "a switch's default is true or false")
def switch_default_boolean(folder: PluginFolder) -> Iterator[Problem]:
    for key, _widget, pointer, what, value in _widget_values(folder, "switch"):
        if not isinstance(value, bool):
            yield Problem(
                "data.json", pointer, f"{what} of switch '{key}' must be true or false, got {describe_got(value)}"
            )


def _choices(widget: dict[str, Any]) -> list[Any] | None:
    """A widget's static choices (the `value` of {"text", "value"} items); None if computed."""
    items = widget.get("items")
    if not isinstance(items, list):
        return None
    return [item.get("value") if isinstance(item, dict) else item for item in items]


def _choice_problems(key: str, widget: dict[str, Any], what: str, value: Any) -> Iterator[str]:
    kind, choices = widget["type"], _choices(widget)
    if choices is None:
        return
    shown = ", ".join(c if isinstance(c, str) else describe_value(c) for c in choices)
    if widget.get("multiple") is True:
        if not isinstance(value, list):
            yield (
                f"{what} of {kind} '{key}' must be a list (the widget allows several choices), "
                f"got {describe_got(value)}"
            )
            return
        for item in value:
            if not any(_same_value(item, c) for c in choices):
                yield f"{what} of {kind} '{key}' lists {describe_value(item)}, which is not one of its items: {shown}"
        return
    if isinstance(value, list):
        yield f"{what} of {kind} '{key}' must be a single choice (the widget is not multiple), got a list"
    elif value in ("", None) and widget.get("clearable") is True:
        return
    elif not any(_same_value(value, c) for c in choices):
        yield f"{what} of {kind} '{key}' is {describe_value(value)}, which is not one of its items: {shown}"


@rule("X016", Severity.ERROR, "a select or autocomplete default is among its items")
def choice_default_in_items(folder: PluginFolder) -> Iterator[Problem]:
    for kind in ("select", "autocomplete"):
        for key, widget, pointer, what, value in _widget_values(folder, kind):
            for message in _choice_problems(key, widget, what, value):
                yield Problem("data.json", pointer, message)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    return "text" if isinstance(value, str) else "other"


@rule("X017", Severity.ERROR, "a combobox default has the type of its items")
def combobox_default_kind(folder: PluginFolder) -> Iterator[Problem]:
    for key, widget, pointer, what, value in _widget_values(folder, "combobox"):
        kinds = sorted({_json_kind(c) for c in _choices(widget) or []} - {"other"})
        if widget.get("multiple") is True:
            if not isinstance(value, list):
                yield Problem(
                    "data.json",
                    pointer,
                    f"{what} of combobox '{key}' must be a list (the widget "
                    f"allows several values), got {describe_got(value)}",
                )
                continue
            values = value
        else:
            values = [value]
        for item in values:
            if kinds and _json_kind(item) not in kinds:
                yield Problem(
                    "data.json",
                    pointer,
                    f"{what} of combobox '{key}' must be {' or '.join(kinds)} like its items, got {describe_got(item)}",
                )


def _r_spelling(value: str) -> str | None:
    """R's own spelling of a colour name written with other case or spaces ("Steel Blue")."""
    key = value.replace(" ", "").lower()
    return next((name for name in r_colour_names() if name.lower() == key), None)


def colour_problem(value: Any) -> str | None:
    """Why a value is not a colour the run accepts (the end of a sentence), or None if it is.

    The same reading as the request schema (plugin_sdk.params.colours), so that a default the
    linter passes is never refused when a user runs the plugin: #rrggbb, #rrggbbaa, or one of
    R's colours() names as R lists them, or "transparent".
    """
    if isinstance(value, str) and (re.search(HEX_COLOUR_PATTERN, value) or value in r_colour_names()):
        return None
    if isinstance(value, str) and _SHORT_HEX_COLOUR.fullmatch(value):
        return f", a short hex colour that R 4.2 cannot read; write '#{''.join(c * 2 for c in value[1:])}'"
    if isinstance(value, str) and (spelling := _r_spelling(value)) is not None:
        return f"; write R's name exactly: '{spelling}'"
    return ", which is not a colour (use #rrggbb, #rrggbbaa or an R colour name such as 'firebrick')"


@rule("X018", Severity.ERROR, "a color-picker default is a colour R can read")
def colour_default_is_colour(folder: PluginFolder) -> Iterator[Problem]:
    for key, _widget, pointer, what, value in _widget_values(folder, "color-picker"):
        if (problem := colour_problem(value)) is not None:
            yield Problem("data.json", pointer, f"{what} of color-picker '{key}' is {describe_value(value)}{problem}")


# ---------------------------------------------------------------------------- column choices
@rule("X020", Severity.ERROR, "ui.json and data.json name the same dataArg tables")
def data_arg_tables_agree(folder: PluginFolder) -> Iterator[Problem]:
    if folder.ui is None or folder.data is None:
        return
    if _malformed(folder.ui, "dataArg") or _malformed(_config(folder), "dataArg"):
        return
    pickers, choices = _ui_section(folder, "dataArg"), _config_section(folder, "dataArg")
    for table in pickers:
        if table not in choices:
            yield Problem(
                "ui.json",
                json_pointer("dataArg", table),
                f"ui.json has column pickers for table '{table}' but data.json "
                "params.config.dataArg has no entry for it",
            )
    for table in choices:
        if table not in pickers:
            yield Problem(
                "data.json",
                json_pointer("params", "config", "dataArg", table),
                f"data.json dataArg '{table}' has no column pickers in ui.json dataArg",
            )


@rule("X021", Severity.ERROR, "each dataArg table has as many column roles in data.json as pickers in ui.json")
def data_arg_role_counts_agree(folder: PluginFolder) -> Iterator[Problem]:
    if folder.ui is None:
        return
    pickers = _ui_section(folder, "dataArg")
    for table, roles in _config_section(folder, "dataArg").items():
        if isinstance(pickers.get(table), list) and isinstance(roles, list) and len(roles) != len(pickers[table]):
            yield Problem(
                "data.json",
                json_pointer("params", "config", "dataArg", table),
                f"dataArg '{table}' has {len(roles)} column roles in data.json "
                f"but {len(pickers[table])} column pickers in ui.json",
            )
    for path, example in _examples(folder):
        for table, roles in _example_section(example, "dataArg").items():
            if isinstance(pickers.get(table), list) and isinstance(roles, list) and len(roles) != len(pickers[table]):
                yield Problem(
                    "data.json",
                    json_pointer(*path, "config", "dataArg", table),
                    f"the example's dataArg '{table}' has {len(roles)} column roles "
                    f"but ui.json has {len(pickers[table])} column pickers",
                )


@rule("X022", Severity.ERROR, "every dataArg table is one of the plugin's input tables")
def data_arg_table_is_input(folder: PluginFolder) -> Iterator[Problem]:
    tables = _input_tables(folder)
    shown = ", ".join(tables) or "none"
    choices = _config_section(folder, "dataArg")
    located = [("data.json", ("params", "config", "dataArg"), t) for t in choices]
    located += [("ui.json", ("dataArg",), t) for t in _ui_section(folder, "dataArg") if t not in choices]
    for file_name, section, table in located:
        if table not in tables:
            yield Problem(
                file_name,
                json_pointer(*section, table),
                f"dataArg table '{table}' is not one of the plugin's input tables ({shown})",
            )


# ---------------------------------------------------------------------------- examples
def _example_tables(folder: PluginFolder) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], str, str]]:
    """(example path, example, table name, text) for each example table given as text."""
    for path, example in _examples(folder):
        for name, text in _dict(example.get("textarea")).items():
            if isinstance(text, str):
                yield path, example, name, text


def _given_as_file(example: dict[str, Any], name: str) -> bool:
    value = _dict(_example_section(example, "data").get(name)).get("value")
    return bool(value)


@rule("X030", Severity.ERROR, "every example table parses into a table with a header and data rows")
def example_tables_parse(folder: PluginFolder) -> Iterator[Problem]:
    inputs = _widgets(folder, "data")
    for path, example, name, text in _example_tables(folder):
        pointer = json_pointer(*path, "textarea", name)
        if not text.strip():
            # A blank example leaves an optional table out; only a required one must be given.
            if inputs.get(name, {}).get("required") is True and not _given_as_file(example, name):
                yield Problem(
                    "data.json", pointer, f"example table '{name}' is empty, but ui.json marks the table required"
                )
            continue
        try:
            parse_table_text(text, name)
        except TableError as exc:
            yield Problem("data.json", pointer, f"example table '{name}' {exc.message}")


@rule("X031", Severity.ERROR, "every example table is one of the plugin's input tables")
def example_table_is_input(folder: PluginFolder) -> Iterator[Problem]:
    tables = _input_tables(folder)
    for path, _example, name, _text in _example_tables(folder):
        if name not in tables:
            yield Problem(
                "data.json",
                json_pointer(*path, "textarea", name),
                f"example table '{name}' is not one of the plugin's input tables ({', '.join(tables)})",
            )


def _chosen_columns(roles: list[Any]) -> Iterator[tuple[int, int | None, str]]:
    """(role index, index in a list value or None, column) of each non-empty choice."""
    for role, entry in enumerate(roles):
        value = _dict(entry).get("value")
        if isinstance(value, str) and value:
            yield role, None, value
        elif isinstance(value, list):
            yield from ((role, i, v) for i, v in enumerate(value) if isinstance(v, str) and v)


@rule("X032", Severity.ERROR, "the example's column choices name columns of the example tables")
def example_columns_exist(folder: PluginFolder) -> Iterator[Problem]:
    defaults = _config_section(folder, "dataArg")
    for path, example, name, text in _example_tables(folder):
        try:
            table = parse_table_text(text, name)
        except TableError:
            continue  # X030's finding (or a blank, optional table)
        overlay = _example_section(example, "dataArg")
        # Hiplot's overlay replaces a table's whole list of choices, or leaves the default.
        roles, where = (
            (overlay[name], (*path, "config")) if name in overlay else (defaults.get(name), ("params", "config"))
        )
        columns = table.columns
        shown = ", ".join(columns[:_MAX_COLUMNS_SHOWN]) + (", ..." if len(columns) > _MAX_COLUMNS_SHOWN else "")
        for role, index, column in _chosen_columns(_list(roles)):
            if column not in columns:
                parts = (*where, "dataArg", name, role, "value") + (() if index is None else (index,))
                yield Problem(
                    "data.json",
                    json_pointer(*parts),
                    f"column '{column}' chosen for role {role + 1} of table {name} "
                    f"is not in the example table (columns: {shown})",
                )


# ---------------------------------------------------------------------------- files
@rule("X040", Severity.ERROR, "a runnable plugin has a core script")
def core_script_exists(folder: PluginFolder) -> Iterator[Problem]:
    if not folder.catalogue_only and folder.script is None:
        names = ", ".join((*R_SCRIPT_NAMES[1:], PYTHON_SCRIPT_NAME))
        yield Problem(
            R_SCRIPT_NAMES[0],
            "",
            f"no core script: add {R_SCRIPT_NAMES[0]} (or {names}), or tag the plugin 'shiny' "
            "in meta.json if it is only a catalogue entry",
        )


def _cover_file(folder: PluginFolder) -> PurePosixPath | None:
    """meta.json's `src` when it names a file (not a URL), as a relative path."""
    src = _dict(folder.meta).get("src")
    if not isinstance(src, str) or not src or _URL.match(src):
        return None
    return PurePosixPath(src.replace("\\", "/"))


@rule("X041", Severity.WARNING, "a cover image named as a file stays inside the plugin folder")
def cover_file_inside_folder(folder: PluginFolder) -> Iterator[Problem]:
    # The catalogue never serves such a path (it shows no cover), so this is the author's
    # mistake to fix rather than a reason to keep the plugin out of the catalogue.
    cover = _cover_file(folder)
    if cover is not None and (cover.is_absolute() or ".." in cover.parts):
        yield Problem(
            "meta.json", "/src", f"cover image '{folder.meta['src']}' must be a file inside the plugin folder"
        )


@rule("X042", Severity.WARNING, "a cover image named as a file exists in the plugin folder")
def cover_file_exists(folder: PluginFolder) -> Iterator[Problem]:
    # A warning: the catalogue shows a placeholder, so a missing picture should not keep the
    # plugin itself out of the catalogue (errors do).
    cover = _cover_file(folder)
    if cover is None or cover.is_absolute() or ".." in cover.parts:
        return
    if not (folder.path / cover).is_file():
        yield Problem("meta.json", "/src", f"cover image '{folder.meta['src']}' is not a file in the plugin folder")


# ---------------------------------------------------------------------------- conditions
@rule("X050", Severity.ERROR, "a widget's `if` names a switch (true/false parameter) of extra")
def if_names_switch(folder: PluginFolder) -> Iterator[Problem]:
    extra_widgets, defaults = _widgets(folder, "extra"), _config_section(folder, "extra")
    for section in ("data", "extra"):
        for key, widget in _widgets(folder, section).items():
            target = widget.get("if")
            if not isinstance(target, str) or not target:
                continue
            pointer = json_pointer(section, key, "if")
            if target in extra_widgets:
                kind = extra_widgets[target]["type"]
                if kind != "switch":
                    yield Problem(
                        "ui.json",
                        pointer,
                        f"'if' names '{target}', a {kind}; it must name a switch (a true/false parameter of extra)",
                    )
            elif target in defaults:
                if not isinstance(defaults[target], bool):
                    yield Problem("ui.json", pointer, f"'if' names '{target}', whose default is not true or false")
            else:
                yield Problem("ui.json", pointer, f"'if' names '{target}', which is not a parameter in extra")
