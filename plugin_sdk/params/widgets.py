"""One JSON Schema per ui.json widget, per plot setting and per column role.

Each builder returns the *core* schema of a value (its type and bounds); schema.py adds the
title, the default and the annotations. Bounds an expression computes at run time
(`max_func`, `items_func`) are left open: the server cannot know them in advance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from plugin_sdk.params.colours import colour_ref

TEXT_MAX_LENGTH = 500  # a title, a label, a free choice
CODE_MAX_LENGTH = 100_000  # a block of text (codemirror) or a value we know nothing about
NAME_MAX_LENGTH = 1_000  # a column name, a file name
LINK_MAX_LENGTH = 2_000

# A file reference from a cloud-file widget: a relative name inside the job's upload folder.
# No leading / \ or ~, no drive letter, no ".." segment, no control characters. `(?![\s\S])`
# is "end of text" in both Python and JavaScript (`$` also matches before a final newline
# in Python, which would let "a\n" through on the server but not in the browser).
SAFE_FILE_REF_PATTERN = (
    r"^(?![/\\~])(?![A-Za-z]:)(?!(?:[\s\S]*[/\\])?\.\.(?:[/\\]|(?![\s\S])))[^\x00-\x1f]*(?![\s\S])"
)

EXPORT_KINDS = ["pdf", "png", "jpeg", "jpg", "tiff", "svg", "plotly", "html"]
LEGEND_POSITIONS = ["right", "left", "top", "bottom", "none"]
LEGEND_DIRECTIONS = ["vertical", "horizontal"]

Schema = dict[str, Any]


def number_or_none(value: Any) -> int | float | None:
    """A finite number from a ui.json attribute (Hiplot files sometimes quote numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() else number
    return None


def item_values(items: Any) -> list[Any] | None:
    """The values of a select's items: each item, or its "value" when it is an object.

    None when the list is missing or holds no usable value (the choice is then left open).
    """
    if not isinstance(items, list):
        return None
    values: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    for item in items:
        value = item.get("value") if isinstance(item, dict) else item
        if value is None or not isinstance(value, str | int | float | bool):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        # 1, 1.0 and True are equal in Python but not in JSON: key on the JSON kind.
        key = ("bool" if isinstance(value, bool) else "str" if isinstance(value, str) else "num", value)
        if key not in seen:
            seen.add(key)
            values.append(value)
    return values or None


def _bounded_number(widget: dict[str, Any]) -> Schema:
    schema: Schema = {"type": "number"}
    low = number_or_none(widget.get("min"))
    high = None if "max_func" in widget else number_or_none(widget.get("max"))
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    step = number_or_none(widget.get("step"))
    # Only a whole step is safe as multipleOf: 0.1 is not exact in binary, so 0.3 would fail
    # "multipleOf 0.1". And a slider's values are min + k*step, which are multiples of the
    # step only when min is one too.
    if isinstance(step, int) and step > 0 and (low is None or (isinstance(low, int) and low % step == 0)):
        schema["multipleOf"] = step
    return schema


def _many(widget: dict[str, Any], one: Schema) -> Schema:
    return {"type": "array", "items": one} if widget.get("multiple") is True else one


def _static_items(widget: dict[str, Any]) -> list[Any] | None:
    return None if "items_func" in widget else item_values(widget.get("items"))


def slider(widget: dict[str, Any], _limits_bytes: int) -> Schema:
    return _bounded_number(widget)


def switch(_widget: dict[str, Any], _limits_bytes: int) -> Schema:
    return {"type": "boolean"}


def select(widget: dict[str, Any], _limits_bytes: int) -> Schema:
    values = _static_items(widget)
    one: Schema = {"enum": values} if values else {"type": ["string", "number"], "maxLength": TEXT_MAX_LENGTH}
    return _many(widget, one)


def combobox(widget: dict[str, Any], _limits_bytes: int) -> Schema:
    """One of the items or a free value of the same kind."""
    values = _static_items(widget) or []
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        one: Schema = {"type": "number"}
    elif values and all(isinstance(v, str) for v in values):
        one = {"type": "string", "maxLength": TEXT_MAX_LENGTH}
    else:
        one = {"type": ["string", "number"], "maxLength": TEXT_MAX_LENGTH}
    return _many(widget, one)


def color_picker(_widget: dict[str, Any], _limits_bytes: int) -> Schema:
    return colour_ref()


def text_field(_widget: dict[str, Any], _limits_bytes: int) -> Schema:
    return {"type": "string", "maxLength": TEXT_MAX_LENGTH}


def codemirror(_widget: dict[str, Any], _limits_bytes: int) -> Schema:
    return {"type": "string", "maxLength": CODE_MAX_LENGTH}


def range_slider(widget: dict[str, Any], _limits_bytes: int) -> Schema:
    end = _bounded_number(widget)
    return {"type": "array", "prefixItems": [end, dict(end)], "items": False, "minItems": 2, "maxItems": 2}


def cloud_file(widget: dict[str, Any], _limits_bytes: int) -> Schema:
    ref: Schema = {"type": "string", "maxLength": NAME_MAX_LENGTH, "pattern": SAFE_FILE_REF_PATTERN}
    link: Schema = {"type": "string", "maxLength": LINK_MAX_LENGTH}
    if widget.get("multiple") is True:
        ref, link = {"type": "array", "items": ref}, {"type": "array", "items": link}
    return {"type": "object", "properties": {"value": ref, "link": link}}


def table_text(_widget: dict[str, Any], limits_bytes: int) -> Schema:
    return {"type": "string", "maxLength": limits_bytes}


WIDGET_BUILDERS: dict[str, Callable[[dict[str, Any], int], Schema]] = {
    "slider": slider,
    "switch": switch,
    "select": select,
    "autocomplete": select,
    "combobox": combobox,
    "color-picker": color_picker,
    "text-field": text_field,
    "codemirror": codemirror,
    "range-slider": range_slider,
    "cloud-file": cloud_file,
    "hiplot-textarea": table_text,
}


def widget_schema(widget: Any, limits_bytes: int) -> Schema | None:
    """The core schema of a widget's value; None for a widget type we do not know."""
    if not isinstance(widget, dict):
        return None
    builder = WIDGET_BUILDERS.get(widget.get("type"))  # type: ignore[arg-type]
    return builder(widget, limits_bytes) if builder else None


def schema_from_default(default: Any) -> Schema:
    """For a parameter without a known widget: a value of the same JSON kind as its default."""
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, int | float):
        return {"type": "number"}
    if isinstance(default, str):
        return {"type": "string", "maxLength": CODE_MAX_LENGTH}
    if isinstance(default, list):
        return {"type": "array"}
    if isinstance(default, dict):
        return {"type": "object"}
    return {}


def column_choice(multiple: bool) -> Schema:
    """The "value" of a dataArg entry: a column name, or (multiple) a list of them."""
    name: Schema = {"type": "string", "maxLength": NAME_MAX_LENGTH}
    if not multiple:
        return name
    return {"type": ["string", "array"], "maxLength": NAME_MAX_LENGTH, "items": name}


def _number_range(low: float | None, high: float | None) -> Schema:
    schema: Schema = {"type": "number"}
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


_TEXT: Schema = {"type": "string", "maxLength": TEXT_MAX_LENGTH}
_FONT_SIZE = _number_range(0, 100)

# The shared plot-settings panel: the keys Hiplot plugins use, typed; others pass through.
GENERAL_SCHEMAS: dict[str, Schema] = {
    "size": {
        "type": "object",
        "properties": {
            "width": {"title": "Width (inches)", **_number_range(1, 50)},
            "height": {"title": "Height (inches)", **_number_range(1, 50)},
        },
    },
    "imageExportType": {"type": "array", "items": {"enum": EXPORT_KINDS}},
    "legendPos": {"enum": LEGEND_POSITIONS},
    "legendDir": {"enum": LEGEND_DIRECTIONS},
    **{
        key: _TEXT
        for key in (
            "font", "palette", "paletteCont", "palette2", "theme", "title", "legendTitle",
            "xlab", "ylab", "cmd", "taskname", "transformX", "transformY",
        )
    },
    **{
        key: _FONT_SIZE
        for key in (
            "titleSize", "axisTitleSize", "axisTextFontSize", "legendTitleSize",
            "legendTextSize", "fontsizeRow", "fontsizeCol",
        )
    },
    "xAxisTextAngle": _number_range(-360, 360),
    "xAxisHjust": _number_range(-10, 10),
    "xAxisVjust": _number_range(-10, 10),
    "alpha": _number_range(0, 1),
    "digits": {"type": "integer", "minimum": 0, "maximum": 15},
    "paletteCustom": {"type": "array", "items": colour_ref()},
    "cliMode": {"type": "boolean"},
    "plumber": {"type": "boolean"},
}

# What the message for each general key's widget kind should read like.
GENERAL_WIDGETS: dict[str, str] = {
    "imageExportType": "select",
    "legendPos": "select",
    "legendDir": "select",
    "paletteCustom": "color-list",
    "cliMode": "switch",
    "plumber": "switch",
}
