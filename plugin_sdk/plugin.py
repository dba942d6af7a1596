"""The plugin folder as read from disk, and the validated plugin the rest of the code uses.

A `PluginFolder` is whatever was on disk, parsed as far as it parses: the linter works on
it. A `Plugin` exists only for a folder with no error findings, so code that receives one
may rely on the contract (`data.json` has `params.config`, the names agree, ...).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from plugin_sdk.findings import Finding, Severity

R_SCRIPT_NAMES = ("plot.R", "start.R", "entry.R")
PYTHON_SCRIPT_NAME = "plot.py"
JSON_FILES = ("meta.json", "data.json", "ui.json")
CONFIG_SECTIONS = ("data", "dataArg", "general", "extra")

Language = Literal["r", "python"]


@dataclass
class PluginFolder:
    """A plugin folder read from disk: JSON files parsed where they parse."""

    path: Path
    module: str
    tool: str
    documents: dict[str, Any] = field(default_factory=dict)  # "meta.json" -> parsed value
    read_findings: list[Finding] = field(default_factory=list)

    @property
    def meta(self) -> Any:
        return self.documents.get("meta.json")

    @property
    def data(self) -> Any:
        return self.documents.get("data.json")

    @property
    def ui(self) -> Any:
        return self.documents.get("ui.json")

    @property
    def script(self) -> Path | None:
        """The core script: plot.py, else the first of plot.R, start.R, entry.R."""
        for name in (PYTHON_SCRIPT_NAME, *R_SCRIPT_NAMES):
            candidate = self.path / name
            if candidate.is_file():
                return candidate
        return None

    @property
    def tags(self) -> list[str]:
        tags = self.meta.get("tag") if isinstance(self.meta, dict) else None
        return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []

    @property
    def catalogue_only(self) -> bool:
        """Shiny entries point at an external app: the catalogue lists them, nothing runs them."""
        return "shiny" in self.tags


def read_json_document(path: Path, file_name: str) -> tuple[Any, list[Finding]]:
    """Parse one JSON file; a missing or malformed file becomes a finding, never an exception."""
    if not path.is_file():
        return None, [Finding(file_name, "", "F001", Severity.ERROR, f"{file_name} is missing")]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{file_name} is not UTF-8 text (byte {exc.start})"
        return None, [Finding(file_name, "", "F002", Severity.ERROR, msg)]
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicate_keys), []
    except _DuplicateKey as exc:
        return None, [Finding(file_name, "", "F003", Severity.ERROR, str(exc))]
    except json.JSONDecodeError as exc:
        msg = f"{file_name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        return None, [Finding(file_name, "", "F002", Severity.ERROR, msg, line=exc.lineno)]


class _DuplicateKey(ValueError):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys silently; in a plugin file that hides a mistake.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"key {key!r} appears twice in the same object")
        out[key] = value
    return out


def read_plugin_folder(path: Path) -> PluginFolder:
    """Read a plugin folder; module and tool come from the last two path components."""
    path = path.resolve()
    folder = PluginFolder(path=path, module=path.parent.name, tool=path.name)
    for name in JSON_FILES:
        if name != "meta.json" and folder.catalogue_only and not (path / name).exists():
            continue  # Hiplot's shiny entries are a meta.json alone: nothing runs them.
        value, findings = read_json_document(path / name, name)
        if value is not None:
            folder.documents[name] = value
        folder.read_findings.extend(findings)
    return folder


@dataclass
class Plugin:
    """A plugin that passed validation. Its documents follow the contract."""

    path: Path
    module: str
    tool: str
    meta: dict[str, Any]
    data: dict[str, Any]
    ui: dict[str, Any]
    script: Path | None
    warnings: list[Finding] = field(default_factory=list)

    @classmethod
    def from_folder(cls, folder: PluginFolder, warnings: list[Finding]) -> Plugin:
        return cls(
            path=folder.path,
            module=folder.module,
            tool=folder.tool,
            meta=folder.meta,
            data=folder.data if isinstance(folder.data, dict) else {},
            ui=folder.ui if isinstance(folder.ui, dict) else {},
            script=None if folder.catalogue_only else folder.script,
            warnings=warnings,
        )

    @property
    def href(self) -> str:
        return f"/{self.module}/{self.tool}"

    @property
    def key(self) -> str:
        """The plugin's name in requests and URLs: "module/tool"."""
        return f"{self.module}/{self.tool}"

    @property
    def tags(self) -> list[str]:
        return list(self.meta.get("tag", []))

    @property
    def runnable(self) -> bool:
        return self.script is not None

    @property
    def language(self) -> Language | None:
        if self.script is None:
            return None
        return "python" if self.script.suffix == ".py" else "r"

    @property
    def version(self) -> str:
        info = self.meta.get("meta", {})
        return str(info.get("version") or info.get("updateDate") or "0")

    @property
    def config(self) -> dict[str, Any]:
        """params.config as written in data.json (the defaults); empty for catalogue-only entries."""
        return self.data.get("params", {}).get("config", {})

    @property
    def table_names(self) -> list[str]:
        """Input tables in order: the first becomes `data` in R, the second `data2`, ..."""
        return list(self.data.get("params", {}).get("textarea", {}).keys())

    @property
    def examples(self) -> list[dict[str, Any]]:
        """exampleData as a list of variants (Hiplot allows an object or a list)."""
        example = self.data.get("exampleData")
        if isinstance(example, list):
            return [e for e in example if isinstance(e, dict)]
        return [example] if isinstance(example, dict) else []

    @property
    def max_plex(self) -> int | None:
        value = self.data.get("maxPlex")
        return value if isinstance(value, int) and value > 0 else None

    @cached_property
    def content_hash(self) -> str:
        """A digest of every file in the folder: equal hashes mean the same plugin code."""
        digest = hashlib.sha256()
        for file in sorted(p for p in self.path.rglob("*") if p.is_file()):
            rel = file.relative_to(self.path).as_posix()
            if rel.startswith("tests/") or "__pycache__" in rel:
                continue
            digest.update(rel.encode() + b"\0" + file.read_bytes() + b"\0")
        return digest.hexdigest()
