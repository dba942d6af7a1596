"""`plotforge plugin from-script FILE.R`: turn an annotated R function into a plugin.

Hiplot's HiSub workflow: an analyst writes one R function with `#'` tag lines that say what
the form holds (tables, column pickers, settings), what the function returns, and the
catalogue card; this package reads the tags (tags.py), checks them against each other and
against the function's arguments (model.py), and writes the plugin folder (writer.py).
The tag syntax is documented in CONTRIBUTING.md ("From an R script").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from plugin_sdk.fromscript.model import AppSpec, build_spec
from plugin_sdk.fromscript.tags import ScriptProblem, read_tags
from plugin_sdk.fromscript.writer import plugin_files

__all__ = ["AppSpec", "FromScriptError", "convert_script", "read_spec"]


class FromScriptError(ValueError):
    """The script's tags do not describe a plugin; each problem names its line."""

    def __init__(self, script: Path, problems: list[ScriptProblem]) -> None:
        self.script = script
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.script.name}:{p.line}: {p.message}" if p.line else f"{self.script.name}: {p.message}"
                for p in self.problems]


def read_spec(script: Path) -> AppSpec:
    """The plugin the script describes; raises FromScriptError listing every problem found."""
    script = Path(script)
    try:
        source = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FromScriptError(script, [ScriptProblem(None, f"cannot be read: {exc}")]) from exc
    tags, problems = read_tags(source)
    spec, more = build_spec(script.resolve(), source, tags)
    if problems or more:
        raise FromScriptError(script, problems + more)
    return spec


def convert_script(script: Path, plugins_root: Path, *, force: bool = False, today: date | None = None) -> Path:
    """Write <plugins_root>/<module>/<appname>/ from the script and return the folder.

    An existing folder is refused unless ``force``; then the generated files are rewritten
    and anything else in the folder (tests/, a cover image) is left alone.
    """
    spec = read_spec(script)
    folder = Path(plugins_root) / spec.module / spec.tool
    if folder.exists() and not force:
        raise FromScriptError(Path(script), [ScriptProblem(
            None, f"{folder} already exists; pass --force to regenerate its files from the script")])
    files = plugin_files(spec, today)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
