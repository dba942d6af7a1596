"""Discover plugin folders and load each one, never letting a broken plugin stop the rest."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from plugin_sdk.findings import Finding, has_errors
from plugin_sdk.lint import lint_folder
from plugin_sdk.plugin import JSON_FILES, Plugin, read_plugin_folder

BUNDLED_PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


@dataclass
class LoadResult:
    """One folder's outcome: a plugin, or the findings that kept it out of the catalogue."""

    path: Path
    key: str
    plugin: Plugin | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.plugin is not None


def load_plugin(path: Path) -> LoadResult:
    folder = read_plugin_folder(path)
    findings = lint_folder(folder)
    key = f"{folder.module}/{folder.tool}"
    if has_errors(findings):
        return LoadResult(folder.path, key, None, findings)
    return LoadResult(folder.path, key, Plugin.from_folder(folder, findings), findings)


def find_plugin_folders(root: Path) -> list[Path]:
    """Folders at <root>/<module>/<tool> holding at least one of the plugin's JSON files.

    A root that is itself a plugin folder (as given to `plotforge plugin lint PATH`) is
    returned alone.
    """
    root = Path(root)
    if _looks_like_plugin(root):
        return [root]
    found = [
        tool_dir
        for module_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        for tool_dir in sorted(p for p in module_dir.iterdir() if p.is_dir())
        if _looks_like_plugin(tool_dir)
    ]
    return found


def _looks_like_plugin(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in JSON_FILES)


def discover(roots: Iterable[Path]) -> list[LoadResult]:
    """Load every plugin under the given roots; the first root to define a key wins."""
    results: list[LoadResult] = []
    seen: set[str] = set()
    for root in roots:
        if not Path(root).is_dir():
            continue
        for folder in find_plugin_folders(Path(root)):
            # The key comes from the folder names, so a shadowed plugin is skipped unread.
            key = f"{folder.resolve().parent.name}/{folder.resolve().name}"
            if key in seen:
                continue
            seen.add(key)
            results.append(load_plugin(folder))
    return results
