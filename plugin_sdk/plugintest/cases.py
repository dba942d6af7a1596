"""Test cases of a plugin: the JSON files in its tests/ folder, or its examples when it has none.

A case file, ``tests/<case>.json``::

    {"name": "small-cutoff",                       # default: the file name without .json
     "description": "...",                         # optional, for people
     "use_example": true,                          # or an example's index; default false
     "params": {"extra": {"p_cutoff": 0.01}},      # laid over data.json as a request's params
     "tables": {"datTable": "small.tsv"},          # files inside tests/, by table name
     "expect": {...}}                              # see expectations.py

Reading never raises: a broken file becomes a case whose ``problem`` says what is wrong, so
one bad file fails one case and the others still run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_sdk.plugin import Plugin
from plugin_sdk.plugintest.expectations import EXPECTATION_KEYS, validate_expect

CASE_KEYS = ("name", "description", "use_example", "params", "tables", "expect")
TESTS_DIR = "tests"


@dataclass
class Case:
    """One test case of one plugin."""

    plugin: Plugin
    name: str
    file: Path | None  # None for a case made from an example
    params: dict[str, Any] = field(default_factory=dict)
    use_example: bool | int = False
    tables: dict[str, Path] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    document: dict[str, Any] = field(default_factory=dict)  # the file as read, rewritten by --update
    problem: str = ""  # why the case file cannot be run, if it cannot

    @property
    def tests_dir(self) -> Path:
        return self.plugin.path / TESTS_DIR

    @property
    def where(self) -> str:
        """The case file relative to the plugin folder, for messages."""
        return f"{TESTS_DIR}/{self.file.name}" if self.file else "exampleData"

    def request(self) -> dict[str, Any]:
        """The run request: the same shape the server and `plotforge run` send."""
        from plugin_sdk.tables import read_table_file

        tables = {name: read_table_file(path, name).to_tsv() for name, path in self.tables.items()}
        return {"params": self.params, "tables": tables, "use_example": self.use_example}


def case_files(plugin: Plugin) -> list[Path]:
    folder = plugin.path / TESTS_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def load_cases(plugin: Plugin) -> list[Case]:
    """The plugin's cases: one per tests/*.json file, else one per example."""
    files = case_files(plugin)
    if files:
        return [read_case(plugin, file) for file in files]
    return example_cases(plugin)


def example_cases(plugin: Plugin) -> list[Case]:
    """With no case files, each example must run and produce every kind it asks for."""
    examples = plugin.examples
    cases = []
    for index, example in enumerate(examples):
        general = dict(plugin.config.get("general") or {})
        overlay = (example.get("config") or {}).get("general")
        if isinstance(overlay, dict):
            general.update(overlay)  # the runtime's two-level overlay, for this one key
        kinds = _export_kinds(general.get("imageExportType"))
        name = "example" if len(examples) == 1 else f"example-{index + 1}"
        cases.append(Case(plugin, name, None, use_example=index, expect={"kinds": kinds}))
    return cases


def _export_kinds(value: Any) -> list[str]:
    aliases = {"jpg": "jpeg", "tif": "tiff"}
    items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    kinds: list[str] = []
    for item in items:
        kind = aliases.get(str(item).strip().lower(), str(item).strip().lower())
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds or ["pdf", "png"]


def read_case(plugin: Plugin, file: Path) -> Case:
    name = file.stem
    where = f"{TESTS_DIR}/{file.name}"
    try:
        document = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        return Case(plugin, name, file, problem=f"{where} cannot be read: {exc}")
    except json.JSONDecodeError as exc:
        return Case(plugin, name, file, problem=f"{where} is not valid JSON: {exc.msg} at line {exc.lineno} "
                                                f"column {exc.colno}")
    if not isinstance(document, dict):
        return Case(plugin, name, file, problem=f"{where} must hold a JSON object")
    if isinstance(document.get("name"), str) and document["name"].strip():
        name = document["name"].strip()
    case = Case(plugin, name, file, document=document)
    problems = list(_check_document(case, document))
    if problems:
        case.problem = f"{where}: " + "; ".join(problems)
    return case


def _check_document(case: Case, document: dict[str, Any]) -> list[str]:
    problems = [f"unknown key {key!r} (allowed: {', '.join(CASE_KEYS)})" for key in document if key not in CASE_KEYS]
    if "name" in document and not (isinstance(document["name"], str) and document["name"].strip()):
        problems.append("name must be a non-empty string")
    case.description = document.get("description") if isinstance(document.get("description"), str) else ""

    use_example = document.get("use_example", False)
    if isinstance(use_example, bool) or (isinstance(use_example, int) and use_example >= 0):
        case.use_example = use_example
    else:
        problems.append(f"use_example must be true, false or an example's index (got {use_example!r})")

    params = document.get("params", {})
    if isinstance(params, dict):
        case.params = params
    else:
        problems.append("params must be an object such as {\"extra\": {\"p_cutoff\": 0.01}}")

    tables = document.get("tables", {})
    if not isinstance(tables, dict):
        problems.append("tables must be an object of table name -> file name inside tests/")
        tables = {}
    for table, file_name in tables.items():
        path = _table_path(case.tests_dir, file_name)
        if isinstance(path, str):
            problems.append(f"tables.{table}: {path}")
        else:
            case.tables[table] = path

    expect = document.get("expect", {})
    if not isinstance(expect, dict):
        problems.append("expect must be an object")
    else:
        case.expect = expect
        unknown = [key for key in expect if key not in EXPECTATION_KEYS]
        problems.extend(f"expect: unknown key {key!r} (allowed: {', '.join(EXPECTATION_KEYS)})" for key in unknown)
        problems.extend(f"expect.{p}" for p in validate_expect(expect))
    if not case.use_example and not case.tables and not problems:
        problems.append("the case gives no input: set \"use_example\": true or name tables in \"tables\"")
    return problems


def _table_path(tests_dir: Path, file_name: Any) -> Path | str:
    """The table file inside tests/, or why it cannot be used."""
    if not isinstance(file_name, str) or not file_name.strip():
        return f"expected a file name inside tests/, got {file_name!r}"
    path = (tests_dir / file_name).resolve()
    if not path.is_relative_to(tests_dir.resolve()):
        return f"{file_name!r} is outside the plugin's tests/ folder"
    if not path.is_file():
        return f"tests/{file_name} does not exist"
    return path
