"""Schema rules (S0xx): each JSON file of a plugin against its published schema in ui_schemas/.

A file that is missing or does not parse is reported once by the reader (F0xx); these rules
only look at what parsed.
"""

from __future__ import annotations

from collections.abc import Iterator

from plugin_sdk.findings import Severity
from plugin_sdk.lint.registry import Problem, rule
from plugin_sdk.plugin import PluginFolder
from plugin_sdk.schemas import validate_document


def _schema_problems(folder: PluginFolder, file_name: str) -> Iterator[Problem]:
    if file_name in folder.documents:
        yield from validate_document(file_name, folder.documents[file_name])


@rule("S001", Severity.ERROR, "meta.json follows ui_schemas/meta.schema.json")
def meta_json_matches_schema(folder: PluginFolder) -> Iterator[Problem]:
    yield from _schema_problems(folder, "meta.json")


@rule("S002", Severity.ERROR, "data.json follows ui_schemas/data.schema.json")
def data_json_matches_schema(folder: PluginFolder) -> Iterator[Problem]:
    yield from _schema_problems(folder, "data.json")


@rule("S003", Severity.ERROR, "ui.json follows ui_schemas/ui.schema.json")
def ui_json_matches_schema(folder: PluginFolder) -> Iterator[Problem]:
    yield from _schema_problems(folder, "ui.json")
