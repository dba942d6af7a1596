"""Expression rules (E0xx): every computed attribute of ui.json is in the allowed subset.

Hiplot evaluates `if_func`, `items_func`, `max_func` and `class_func` as JavaScript. We parse
them with `plugin_sdk.expressions` and interpret the tree instead; a string outside the subset
would silently do nothing at run time, so the linter refuses it here, quoting the expression
and the position of the problem.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plugin_sdk.expressions import ExpressionError, parse
from plugin_sdk.findings import Severity, json_pointer
from plugin_sdk.lint.registry import Problem, rule
from plugin_sdk.plugin import PluginFolder

EXPRESSION_ATTRIBUTES = ("if_func", "items_func", "max_func", "class_func")


def _attribute_holders(ui: Any) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(JSON path, object) for every widget of data and extra and every column picker."""
    if not isinstance(ui, dict):
        return
    for section in ("data", "extra"):
        widgets = ui.get(section)
        if isinstance(widgets, dict):
            yield from (((section, key), w) for key, w in widgets.items() if isinstance(w, dict))
    pickers = ui.get("dataArg")
    if isinstance(pickers, dict):
        for table, entries in pickers.items():
            if isinstance(entries, list):
                yield from ((("dataArg", table, i), p) for i, p in enumerate(entries) if isinstance(p, dict))


@rule("E001", Severity.ERROR, "if_func, items_func, max_func and class_func parse as allowed expressions")
def expressions_parse(folder: PluginFolder) -> Iterator[Problem]:
    for path, holder in _attribute_holders(folder.ui):
        for attribute in EXPRESSION_ATTRIBUTES:
            source = holder.get(attribute)
            if not isinstance(source, str) or not source:
                continue  # absent, or the schema rule (S003) reports its type or emptiness
            try:
                parse(source)
            except ExpressionError as exc:
                yield Problem(
                    "ui.json",
                    json_pointer(*path, attribute),
                    f"{attribute} is not an allowed expression: {exc.message}",
                )
