"""Turn JSON Schema validation errors into sentences a biologist understands.

Each message starts from the field's title (the widget's label): "P-value cutoff must be
between 0 and 1 (got 2)", "Palette must be one of: npg, aaas (got 'foo')". The title and
the widget kind are found by walking the derived schema along the error's path, so a value
inside a list (one colour of several, one column of a multiple choice) is still named
after its field.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from plugin_sdk.findings import json_pointer
from plugin_sdk.labels import readable_name
from plugin_sdk.params.errors import FieldError

MAX_LISTED = 15  # choices or names listed in one message before "..."
MAX_SHOWN = 60  # characters of a rejected value shown back


@dataclass(frozen=True)
class FieldContext:
    title: str
    widget: str | None


def show(value: Any) -> str:
    """A rejected value as the user would recognise it: 'text', 2, true, [1, 2]."""
    if isinstance(value, str):
        text = value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "..."
        return f"'{text}'"
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def listing(names: Iterable[Any]) -> str:
    items = [n if isinstance(n, str) else show(n) for n in names]
    if len(items) > MAX_LISTED:
        return ", ".join(items[:MAX_LISTED]) + f", ... ({len(items) - MAX_LISTED} more)"
    return ", ".join(items)


def number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unknown_key_message(parent: list[Any], key: str, allowed: list[str]) -> str:
    """The message for a key the schema does not allow, worded for where it appears."""
    where = tuple(parent)
    names = listing(allowed) if allowed else None
    if where == ():
        return f"unknown field '{key}' in the request (expected {names})"
    if where == ("params",):
        return f"unknown section '{key}' in params (expected {names})"
    if where == ("params", "extra"):
        known = f"this plugin's parameters: {names}" if names else "this plugin has no parameters of its own"
        return f"unknown parameter '{key}' ({known})"
    if where in (("tables",), ("params", "dataArg")):
        known = f"this plugin's tables: {names}" if names else "this plugin takes no table"
        return f"unknown table '{key}' ({known})"
    if where == ("params", "data"):
        known = f"this plugin's file inputs: {names}" if names else "this plugin takes no file"
        return f"unknown file input '{key}' ({known})"
    return f"unknown field '{key}'" + (f" (expected {names})" if names else "")


def schema_errors(validator: Draft202012Validator, instance: Any) -> list[FieldError]:
    out: list[FieldError] = []
    for error in validator.iter_errors(instance):
        out.extend(explain(error, validator.schema))
    return out


def explain(error: ValidationError, root: dict[str, Any]) -> list[FieldError]:
    path = list(error.absolute_path)
    context = field_context(root, path)
    keyword = error.validator
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list((error.schema.get("properties") or {}).keys())
        return [
            FieldError(json_pointer(*path, key), unknown_key_message(path, key, allowed))
            for key in error.instance
            if key not in allowed
        ]
    widget = error.schema.get("x-widget") if isinstance(error.schema, dict) else None
    if widget == "color-picker" or (context.widget == "color-picker" and keyword in ("anyOf", "type")):
        return [FieldError(json_pointer(*path), colour_message(context.title, error.instance))]
    if keyword in ("anyOf", "oneOf"):
        # A widened property is anyOf [widget schema, {"const": default}]: explain the first.
        first = [e for e in error.context or () if e.relative_schema_path and e.relative_schema_path[0] == 0]
        if first:
            return [field for sub in first for field in explain(sub, root)]
    return [FieldError(json_pointer(*path), keyword_message(error, context))]


def colour_message(title: str, value: Any) -> str:
    return f"{title} must be a colour such as #1f77b4 or an R colour name such as 'red' (got {show(value)})"


def keyword_message(error: ValidationError, context: FieldContext) -> str:
    title, widget, value = context.title, context.widget, error.instance
    keyword, expected = error.validator, error.validator_value
    got = f"(got {show(value)})"
    if keyword == "type":
        return type_message(title, widget, expected, got)
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        low, high = error.schema.get("minimum"), error.schema.get("maximum")
        if low is not None and high is not None:
            return f"{title} must be between {number(low)} and {number(high)} {got}"
        if low is not None:
            return f"{title} must be at least {number(low)} {got}"
        return f"{title} must be at most {number(high)} {got}"
    if keyword == "multipleOf":
        if expected == 1:
            return f"{title} must be a whole number {got}"
        return f"{title} must be a multiple of {number(expected)} {got}"
    if keyword == "enum":
        return f"{title} must be one of: {listing(expected)} {got}"
    if keyword == "const":
        return f"{title} must be {show(expected)} {got}"
    if keyword == "maxLength":
        return f"{title} must be at most {expected} characters (got {len(value)})"
    if keyword == "minLength":
        return f"{title} must not be empty"
    if keyword == "pattern":
        if widget == "cloud-file":
            return f"{title} must name a file inside the job's upload folder {got}"
        return f"{title} is not in the expected format {got}"
    if widget == "range-slider" and keyword in ("minItems", "maxItems", "items"):
        return f"{title} must be a pair of numbers [low, high] {got}"
    if keyword == "minItems":
        return f"{title} must have at least {expected} entries (got {len(value)})"
    if keyword == "maxItems" or (keyword == "items" and expected is False):
        limit = error.schema.get("maxItems", len(error.schema.get("prefixItems", [])))
        return f"{title} must have at most {limit} entries (got {len(value)})"
    if keyword == "required":
        missing = [k for k in expected if isinstance(value, dict) and k not in value]
        return f"{title} needs a value for {listing(repr(k) for k in missing)}"
    return f"{title}: {error.message}"


def type_message(title: str, widget: str | None, expected: Any, got: str) -> str:
    kinds = set(expected if isinstance(expected, list) else [expected])
    if widget == "column":
        if "array" in kinds:
            return f"{title} must be a column name or a list of column names {got}"
        return f"{title} must be a column name {got}"
    if kinds == {"boolean"}:
        return f"{title} must be true or false {got}"
    if kinds <= {"number", "integer"}:
        return f"{title} must be a number {got}"
    if kinds == {"string"}:
        return f"{title} must be text {got}"
    if kinds == {"string", "number"}:
        return f"{title} must be text or a number {got}"
    if kinds == {"array"}:
        return f"{title} must be a list {got}"
    if kinds == {"object"}:
        return f"{title} must be a JSON object of named values {got}"
    return f"{title} must be of type {listing(sorted(kinds))} {got}"


def field_context(root: dict[str, Any], path: list[Any]) -> FieldContext:
    """The title and widget of the field at `path`: those of the nearest schema that has one."""
    node: Any = root
    title = "The request"
    widget = None
    for part in path:
        node = _child(root, node, part)
        if node is None:
            if isinstance(part, str) and widget is None:
                title = readable_name(part)
            break
        if isinstance(node.get("title"), str):
            title = node["title"]
        if isinstance(node.get("x-widget"), str):
            widget = node["x-widget"]
    return FieldContext(title, widget)


def _resolve(root: dict[str, Any], node: Any) -> Any:
    # Only local refs ("#/$defs/name") appear in our schemas.
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 10:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node, seen = target, seen + 1
    return node


def _container(root: dict[str, Any], node: Any) -> Any:
    node = _resolve(root, node)
    # A widened property keeps its structure in the first anyOf branch.
    if isinstance(node, dict) and "anyOf" in node and not ({"properties", "items", "prefixItems"} & node.keys()):
        return _resolve(root, node["anyOf"][0])
    return node


def _child(root: dict[str, Any], node: Any, part: Any) -> dict[str, Any] | None:
    node = _container(root, node)
    if not isinstance(node, dict):
        return None
    if isinstance(part, str):
        child = (node.get("properties") or {}).get(part)
        if child is None and isinstance(node.get("additionalProperties"), dict):
            child = node["additionalProperties"]
    else:
        prefix = node.get("prefixItems") or []
        child = prefix[part] if part < len(prefix) else node.get("items")
    # Not resolved here: a property that is a $ref carries its own title beside the $ref.
    return child if isinstance(child, dict) else None
