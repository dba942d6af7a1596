"""Validate meta.json, data.json and ui.json against the published JSON Schemas.

The schemas in the repository's `ui_schemas/` folder are the plugin contract anyone can
use; this module loads them once and turns jsonschema's errors into `Problem`s whose
messages a plugin author understands ("meta.score must be between 1 and 5, got 7"), not
jsonschema's dump of the failing instance and schema.

A schema may carry two annotations of ours, ignored by other validators:
- ``"x-messages": {"<keyword>": "<template>"}`` words the failure of that keyword in that
  subschema (placeholders: {where}, {got}, {value}, {enum}, {missing});
- ``"x-expected": "a date written YYYY-MM-DD"`` says in words what a ``pattern`` wants.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match, relevance

from plugin_sdk.findings import json_pointer
from plugin_sdk.lint.registry import Problem

# In the source tree ui_schemas/ sits next to plugin_sdk/; pyproject.toml installs it as a
# top-level data folder, so the same relative path holds in an installed copy.
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "ui_schemas"
SCHEMA_FILES = {
    "meta.json": "meta.schema.json",
    "data.json": "data.schema.json",
    "ui.json": "ui.schema.json",
}

_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}
_REQUIRED_MESSAGE = re.compile(r"^'(?P<name>.*)' is a required property$")


@cache
def load_schema(file_name: str) -> dict[str, Any]:
    """The schema for one plugin file ("meta.json", "data.json" or "ui.json")."""
    try:
        schema_name = SCHEMA_FILES[file_name]
    except KeyError:
        raise ValueError(f"no schema for {file_name!r}; known files: {', '.join(SCHEMA_FILES)}") from None
    schema = json.loads((SCHEMA_DIR / schema_name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def validator_for(file_name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(file_name))


def validate_document(file_name: str, document: Any) -> list[Problem]:
    """Every schema problem of one parsed document, each located by a JSON pointer."""
    errors = validator_for(file_name).iter_errors(document)
    problems = {_to_problem(file_name, error) for error in errors}
    return sorted(problems, key=lambda p: (p.pointer, p.message))


def _to_problem(file_name: str, error: ValidationError) -> Problem:
    error = _most_relevant(error)
    return Problem(file_name, json_pointer(*error.absolute_path), describe_error(file_name, error))


def _most_relevant(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf without a message of ours, the sub-error that explains most."""
    while error.validator in ("anyOf", "oneOf") and error.context and _template(error) is None:
        error = best_match(error.context, key=relevance)
    return error


def _template(error: ValidationError) -> str | None:
    schema = error.schema if isinstance(error.schema, dict) else {}
    messages = schema.get("x-messages")
    return messages.get(error.validator) if isinstance(messages, dict) else None


def describe_error(file_name: str, error: ValidationError) -> str:
    """One plain-English sentence for one jsonschema error."""
    where = readable_path(file_name, error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance, keyword = error.instance, error.validator
    missing = _missing_property(error) if keyword == "required" else ""
    fields = {
        "where": where,
        "got": describe_got(instance),
        "value": describe_value(instance),
        "enum": ", ".join(str(v) for v in schema.get("enum", [])),
        "missing": missing,
    }
    template = _template(error)
    if template is not None:
        return template.format_map(fields)
    if keyword == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        expected = " or ".join(_TYPE_WORDS.get(t, t) for t in types)
        return f"{where} must be {expected}, got {fields['got']}"
    if keyword == "required":
        field = readable_path(None, [*error.absolute_path, missing])
        return f"required field '{field}' is missing"
    if keyword == "enum":
        return f"{where} must be one of {fields['enum']}, got {fields['value']}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{where} must be {_range_words(schema)}, got {fields['value']}"
    if keyword == "pattern":
        expected = schema.get("x-expected") or f"text matching {error.validator_value}"
        return f"{where} must be {expected}, got {fields['value']}"
    if keyword == "minLength" and error.validator_value == 1:
        return f"{where} must not be empty"
    if keyword == "minItems":
        return f"{where} must have at least {_count(error.validator_value, 'item')}"
    if keyword == "maxItems":
        return f"{where} must have at most {_count(error.validator_value, 'item')}"
    if keyword == "const":
        return f"{where} must be {describe_value(error.validator_value)}, got {fields['value']}"
    return f"{where}: {error.message}"


def readable_path(file_name: str | None, path: Any) -> str:
    """`meta.score`, `extra.p_cutoff.min`, `exampleData[0].textarea`; the file for the root."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or (file_name or "")


def describe_got(value: Any) -> str:
    """What a value is, for "must be X, got ...": `7`, `'abc' (text)`, `a list`."""
    if isinstance(value, str):
        return f"{describe_value(value)} (text)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return describe_value(value)


def describe_value(value: Any, limit: int = 60) -> str:
    """A short rendering of a value: strings in single quotes, others as JSON."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 3] + "..."
        return f"'{text}'"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _missing_property(error: ValidationError) -> str:
    match = _REQUIRED_MESSAGE.match(error.message)
    if match:
        return match.group("name")
    absent = [p for p in error.validator_value if isinstance(error.instance, dict) and p not in error.instance]
    return absent[0] if absent else "?"


def _range_words(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    if "exclusiveMinimum" in schema:
        return f"greater than {_number(schema['exclusiveMinimum'])}"
    if "exclusiveMaximum" in schema:
        return f"less than {_number(schema['exclusiveMaximum'])}"
    return f"at least {_number(low)}" if low is not None else f"at most {_number(high)}"


def _number(value: Any) -> str:
    return json.dumps(value)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
