"""The JSON Schema (draft 2020-12) of one plugin's run request, derived from data.json + ui.json.

The same document validates a request on the server (jsonschema) and in the browser (Ajv
2020), so it uses only portable keywords and JavaScript-compatible patterns. Every property
carries `title` (the widget's English label) and `default` (from data.json). Annotations
for the form, which Ajv must be told about (`ajv.addVocabulary(ANNOTATION_KEYWORDS)`):

- ``x-widget``: the ui.json widget type (or "column" for a dataArg role),
- ``x-column-of``: on dataArg lists and roles, the table whose columns may be chosen,
- ``x-required-column``: on a dataArg role, true when ui.json marks it required.

A plugin's own default is always accepted: when data.json holds a default its widget would
reject (a select whose default is not among its items, say), the property becomes
``anyOf: [<widget schema>, {"const": <default>}]``, so leaving a field untouched never fails.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator

from plugin_sdk.labels import message, readable_name, resolve_label
from plugin_sdk.params import widgets
from plugin_sdk.params.colours import COLOUR_DEF, colour_schema
from plugin_sdk.plugin import Plugin
from plugin_sdk.tables import TableLimits

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ANNOTATION_KEYWORDS = ("x-widget", "x-column-of", "x-required-column")
REQUEST_KEYS = ("params", "tables", "use_example")
SECTION_TITLES = {
    "data": "Files",
    "dataArg": "Columns",
    "general": "Plot settings",
    "extra": "Parameters",
}

Schema = dict[str, Any]
_NO_DEFAULT = object()
DEFAULT_LIMITS = TableLimits()  # frozen, so one shared instance is safe


def derive_schema(plugin: Plugin, limits: TableLimits = DEFAULT_LIMITS) -> Schema:
    """The request schema of `plugin`: {"params": ..., "tables": ..., "use_example": ...}."""
    defs = {COLOUR_DEF: {**colour_schema(), "x-widget": "color-picker"}}
    builder = _Builder(plugin, limits, defs)
    return {
        "$schema": DRAFT,
        "title": f"Run request for {_plugin_title(plugin)}",
        "type": "object",
        "properties": {
            "params": builder.params(),
            "tables": builder.tables(),
            "use_example": builder.use_example(),
        },
        "additionalProperties": False,
        "$defs": defs,
    }


def _plugin_title(plugin: Plugin) -> str:
    name = plugin.meta.get("name") if isinstance(plugin.meta, dict) else None
    return resolve_label(name, "en", fallback_key=plugin.tool) or plugin.key


def _section(config: Any, name: str) -> dict[str, Any]:
    value = config.get(name) if isinstance(config, dict) else None
    return value if isinstance(value, dict) else {}


def table_title(plugin: Plugin, name: str) -> str:
    widget = _section(plugin.ui, "data").get(name)
    label = widget.get("label") if isinstance(widget, dict) else None
    return resolve_label(label, "en", fallback_key=name) or name


def role_title(role: Any, table: str, index: int) -> str:
    label = role.get("label") if isinstance(role, dict) else None
    return resolve_label(label, "en") or f"column {index + 1} of table {table}"


class _Builder:
    """Builds the sections of one plugin's schema; holds what every section needs."""

    def __init__(self, plugin: Plugin, limits: TableLimits, defs: Schema):
        self.plugin = plugin
        self.limits = limits
        self.defs = defs
        self.config = plugin.config if isinstance(plugin.config, dict) else {}
        self.ui = plugin.ui if isinstance(plugin.ui, dict) else {}

    # -- one property -------------------------------------------------------------------

    def prop(self, core: Schema, title: str, widget: str | None = None, default: Any = _NO_DEFAULT,
             **annotations: Any) -> Schema:
        """A titled property; widened to accept `default` when its widget would not."""
        core = copy.deepcopy(core)
        out: Schema = {"title": title}
        if widget:
            out["x-widget"] = widget
        out.update({k.replace("_", "-"): v for k, v in annotations.items()})
        if default is not _NO_DEFAULT:
            out["default"] = copy.deepcopy(default)
            if not self.accepts(core, default):
                core = {"anyOf": [core, {"const": copy.deepcopy(default)}]}
        out.update(core)
        return out

    def accepts(self, core: Schema, value: Any) -> bool:
        return Draft202012Validator({"$defs": self.defs, **core}).is_valid(value)

    # -- sections ---------------------------------------------------------------------------

    def params(self) -> Schema:
        properties = {
            "data": self.data_section(),
            "dataArg": self.data_arg_section(),
            "general": self.general_section(),
            "extra": self.extra_section(),
        }
        # A section data.json has beyond the four (none in Hiplot's plugins) passes as it is.
        for name in self.config:
            if name not in properties:
                properties[name] = {"title": readable_name(name)}
        return {"title": "Parameters", "type": "object", "properties": properties, "additionalProperties": False}

    def extra_section(self) -> Schema:
        defaults = _section(self.config, "extra")
        ui = _section(self.ui, "extra")
        properties: Schema = {}
        for key in [*defaults, *(k for k in ui if k not in defaults)]:
            widget = ui.get(key) if isinstance(ui.get(key), dict) else {}
            core = widgets.widget_schema(widget, self.limits.max_bytes)
            if core is None:
                core = widgets.schema_from_default(defaults.get(key))
            title = resolve_label(widget.get("label"), "en", fallback_key=key) or key
            kind = widget.get("type") if isinstance(widget.get("type"), str) else None
            properties[key] = self.prop(core, title, kind, defaults.get(key, _NO_DEFAULT))
        return {
            "title": SECTION_TITLES["extra"],
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }

    def general_section(self) -> Schema:
        defaults = _section(self.config, "general")
        properties: Schema = {}
        for key in [*widgets.GENERAL_SCHEMAS, *(k for k in defaults if k not in widgets.GENERAL_SCHEMAS)]:
            core = widgets.GENERAL_SCHEMAS.get(key) or widgets.schema_from_default(defaults.get(key))
            title = message(f"ui.general.{key}", "en")
            kind = widgets.GENERAL_WIDGETS.get(key)
            properties[key] = self.prop(core, title, kind, defaults.get(key, _NO_DEFAULT))
        # Unknown plot settings are kept and passed through, as Hiplot does.
        return {"title": SECTION_TITLES["general"], "type": "object", "properties": properties}

    def data_section(self) -> Schema:
        defaults = _section(self.config, "data")
        ui = _section(self.ui, "data")
        uploads = [k for k, w in ui.items() if isinstance(w, dict) and w.get("type") == "cloud-file"]
        # Any input table may also be given as an uploaded file under its own name.
        keys = dict.fromkeys([*defaults, *uploads, *self.plugin.table_names])
        properties: Schema = {}
        for key in keys:
            widget = ui.get(key) if isinstance(ui.get(key), dict) else {}
            multiple = widget.get("multiple") is True or isinstance(_value_of(defaults.get(key)), list)
            core = widgets.cloud_file({**widget, "multiple": multiple}, self.limits.max_bytes)
            title = table_title(self.plugin, key)
            properties[key] = self.prop(core, title, "cloud-file", defaults.get(key, _NO_DEFAULT))
        return {
            "title": SECTION_TITLES["data"],
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }

    def data_arg_section(self) -> Schema:
        defaults = _section(self.config, "dataArg")
        ui = _section(self.ui, "dataArg")
        properties: Schema = {}
        for table in [*defaults, *(k for k in ui if k not in defaults)]:
            roles = ui.get(table) if isinstance(ui.get(table), list) else []
            default_list = defaults.get(table)
            default_entries = default_list if isinstance(default_list, list) else []
            prefix = []
            for index, role in enumerate(roles):
                role = role if isinstance(role, dict) else {}
                core = {
                    "type": "object",
                    "properties": {"value": widgets.column_choice(role.get("multiple") is True)},
                }
                default = default_entries[index] if index < len(default_entries) else _NO_DEFAULT
                prefix.append(
                    self.prop(
                        core,
                        role_title(role, table, index),
                        "column",
                        default,
                        x_column_of=table,
                        x_required_column=role.get("required") is True,
                    )
                )
            # Entries beyond the roles ui.json declares (scripts read them by position).
            extra_entry = {"type": "object", "properties": {"value": widgets.column_choice(True)}}
            core = {"type": "array", "prefixItems": prefix, "items": extra_entry}
            title = f"Columns of table {table_title(self.plugin, table)}"
            properties[table] = self.prop(
                core, title, "columns", defaults.get(table, _NO_DEFAULT), x_column_of=table
            )
        return {
            "title": SECTION_TITLES["dataArg"],
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }

    def tables(self) -> Schema:
        ui = _section(self.ui, "data")
        properties: Schema = {}
        for name in self.plugin.table_names:
            widget = ui.get(name) if isinstance(ui.get(name), dict) else {}
            kind = widget.get("type") if isinstance(widget.get("type"), str) else "hiplot-textarea"
            properties[name] = {
                "title": table_title(self.plugin, name),
                "x-widget": kind,
                "type": "string",
                "maxLength": self.limits.max_bytes,
            }
        return {"title": "Tables", "type": "object", "properties": properties, "additionalProperties": False}

    def use_example(self) -> Schema:
        count = len(self.plugin.examples)
        if not count:
            return {"title": message("ui.example", "en"), "const": False}
        return {
            "title": message("ui.example", "en"),
            "anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0, "maximum": count - 1}],
            "default": False,
        }


def _value_of(entry: Any) -> Any:
    return entry.get("value") if isinstance(entry, dict) else None


def table_required(plugin: Plugin, name: str) -> bool:
    """A table is required unless ui.json says ``"required": false`` for it."""
    widget = _section(plugin.ui, "data").get(name)
    return not (isinstance(widget, dict) and widget.get("required") is False)


def role_specs(plugin: Plugin, table: str) -> list[dict[str, Any]]:
    """ui.json's column roles of one table (non-objects read as empty roles)."""
    roles = _section(plugin.ui, "dataArg").get(table)
    return [r if isinstance(r, dict) else {} for r in roles] if isinstance(roles, list) else []


__all__ = [
    "ANNOTATION_KEYWORDS",
    "DEFAULT_LIMITS",
    "REQUEST_KEYS",
    "SECTION_TITLES",
    "derive_schema",
    "role_specs",
    "role_title",
    "table_required",
    "table_title",
]
