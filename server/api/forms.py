"""The Form of API.md: everything a page needs to draw one plugin's form, labels resolved.

Built from ui.json and data.json only. ui.json's expression attributes (`if`, `if_func`,
`items_func`, `max_func`, `class_func`) arrive as parsed trees (plugin_sdk.expressions), never
as source text, so the browser evaluates them with /static/js/expr.js and nothing a plugin
wrote is ever run as JavaScript. Attributes we do not lift into a field are kept in `attrs`.
"""

from __future__ import annotations

import logging
from typing import Any

from plugin_sdk.expressions import ExpressionError, parse, parse_if, to_json
from plugin_sdk.labels import resolve_label
from plugin_sdk.params.schema import table_required
from plugin_sdk.params.widgets import item_values, number_or_none
from plugin_sdk.plugin import Plugin
from server.api.general_panel import build_general

log = logging.getLogger(__name__)

TABLE_EXTS = ["tsv", "csv", "txt", "xlsx"]
EXPRESSION_ATTRIBUTES = ("if", "if_func", "items_func", "max_func", "class_func")
_TABLE_LIFTED = frozenset({"type", "label", "required", "exts", "multiple", "class"})
_ROLE_LIFTED = frozenset({"label", "required", "multiple", "class"})
_EXTRA_LIFTED = frozenset({"type", "label", "min", "max", "step", "items", "multiple", "class", *EXPRESSION_ATTRIBUTES})


def build_form(plugin: Plugin, lang: str) -> dict[str, Any]:
    ui = plugin.ui if isinstance(plugin.ui, dict) else {}
    config = plugin.config if isinstance(plugin.config, dict) else {}
    exports = _exports(_section(ui, "general"))
    return {
        "tables": _tables(plugin, _section(ui, "data"), lang),
        "dataArg": _column_roles(_section(ui, "dataArg"), lang),
        "extra": _extra(plugin, _section(ui, "extra"), _section(config, "extra"), lang),
        "general": build_general(_section(config, "general"), exports, lang),
        "exports": exports,
    }


def _section(document: dict[str, Any], name: str) -> dict[str, Any]:
    value = document.get(name)
    return value if isinstance(value, dict) else {}


def _widget(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _attrs(widget: dict[str, Any], lifted: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in widget.items() if k not in lifted}


def _css_class(widget: dict[str, Any]) -> str | None:
    value = widget.get("class")
    return value if isinstance(value, str) else None


# -- tables and files ------------------------------------------------------------------------


def _tables(plugin: Plugin, ui_data: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    names = [*plugin.table_names, *(k for k in ui_data if k not in plugin.table_names)]
    out = []
    for name in names:
        widget = _widget(ui_data.get(name))
        is_table = name in plugin.table_names
        kind = widget.get("type") if isinstance(widget.get("type"), str) else "hiplot-textarea"
        exts = widget.get("exts")
        out.append({
            "name": name,
            "label": resolve_label(widget.get("label"), lang, fallback_key=name),
            "type": kind,
            "required": table_required(plugin, name) if is_table else widget.get("required") is True,
            "exts": [str(e).lstrip(".").lower() for e in exts if isinstance(e, str)] if isinstance(exts, list)
            else list(TABLE_EXTS),
            "multiple": widget.get("multiple") is True,
            "is_table": is_table,
            "class": _css_class(widget),
            "attrs": _attrs(widget, _TABLE_LIFTED),
        })
    return out


def _column_roles(ui_data_arg: dict[str, Any], lang: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for table, roles in ui_data_arg.items():
        entries = []
        for index, role in enumerate(roles if isinstance(roles, list) else []):
            role = _widget(role)
            label = resolve_label(role.get("label"), lang) or f"Column {index + 1}"
            entries.append({
                "label": label,
                "required": role.get("required") is True,
                "multiple": role.get("multiple") is True,
                "class": _css_class(role),
                "attrs": _attrs(role, _ROLE_LIFTED),
            })
        out[table] = entries
    return out


# -- the plugin's own parameters ------------------------------------------------------------------


def _extra(plugin: Plugin, ui_extra: dict[str, Any], defaults: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    keys = [*defaults, *(k for k in ui_extra if k not in defaults)]
    return [_extra_field(plugin, key, _widget(ui_extra.get(key)), defaults.get(key), lang) for key in keys]


def _extra_field(plugin: Plugin, key: str, widget: dict[str, Any], default: Any, lang: str) -> dict[str, Any]:
    items, item_labels = _items(widget.get("items"), lang)
    kind = widget.get("type")
    return {
        "key": key,
        "type": kind if isinstance(kind, str) else _type_of_default(default),
        "label": resolve_label(widget.get("label"), lang, fallback_key=key),
        "default": default,
        "min": number_or_none(widget.get("min")),
        "max": number_or_none(widget.get("max")),
        "step": number_or_none(widget.get("step")),
        "items": items,
        "item_labels": item_labels,
        "multiple": widget.get("multiple") is True,
        "class": _css_class(widget),
        "conditions": {name: _compiled(plugin, key, name, widget.get(name)) for name in EXPRESSION_ATTRIBUTES},
        "attrs": _attrs(widget, _EXTRA_LIFTED),
    }


def _items(items: Any, lang: str) -> tuple[list[Any] | None, dict[str, str] | None]:
    values = item_values(items)
    if values is None:
        return None, None
    labels = {}
    for item in items:
        if isinstance(item, dict) and "label" in item and item.get("value") in values:
            labels[str(item["value"])] = resolve_label(item["label"], lang, fallback_key=str(item["value"]))
    return values, labels or None


def _compiled(plugin: Plugin, key: str, attribute: str, source: Any) -> dict[str, Any] | None:
    if source is None or source == "":
        return None
    try:
        node = parse_if(source) if attribute == "if" else parse(source)
    except ExpressionError as exc:
        # The linter reports these; the form then shows the widget unconditionally.
        log.warning("%s: extra.%s.%s is not a supported expression: %s", plugin.key, key, attribute, exc)
        return None
    return to_json(node)


def _type_of_default(default: Any) -> str:
    if isinstance(default, bool):
        return "switch"
    if isinstance(default, int | float):
        return "number"
    if isinstance(default, str):
        return "text-field"
    return "json"


def _exports(ui_general: dict[str, Any]) -> dict[str, bool]:
    """Export kinds ui.json switches on or off: {"imageExportType": {"plotly": true}} or {"ppt": false}."""
    exports: dict[str, bool] = {}
    for key, value in ui_general.items():
        if key == "imageExportType" and isinstance(value, dict):
            exports.update({k: v for k, v in value.items() if isinstance(v, bool)})
        elif isinstance(value, bool):
            exports[key] = value
    return exports
