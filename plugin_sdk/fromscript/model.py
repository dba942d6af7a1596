"""From tags to a plugin description: every value checked, every problem tied to its line.

The JSON parts of `@param` and `@return` are read with json.loads and nothing else: the
script's text is data here, never code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_sdk.fromscript.tags import ScriptProblem, Tag
from plugin_sdk.lint.r_tokens import function_formals, tokenize
from plugin_sdk.scaffold import NAME_PATTERN
from plugin_sdk.tables import TableError, parse_table_text

SINGLE_TAGS = ("appname", "apptitle", "module", "author", "email", "issues", "version", "citation", "description",
               "main", "return")
REQUIRED_TAGS = ("appname", "author", "main", "return")
DEFAULT_MODULE = "custom"
TABLE_WIDGETS = ("hiplot-textarea",)
EXTRA_WIDGETS = ("slider", "switch", "select", "autocomplete", "combobox", "color-picker", "text-field",
                 "range-slider")
PLOT_KINDS = ("ggplot", "plot")
EXPORT_KINDS = ("pdf", "png", "jpeg", "tiff", "svg", "plotly")
_R_NAME = re.compile(r"^(?:[A-Za-z]|\.(?![0-9]))[A-Za-z0-9._]*$")
_LOCALIZED_PART = re.compile(r"^(en|zh_cn)\s*:\s*(.*)$", re.S)


@dataclass
class TableInput:
    name: str
    line: int
    widget: dict[str, Any]  # ui.json data.<name>
    example_file: Path
    example_text: str
    header: list[str]


@dataclass
class ColumnRole:
    name: str  # the main function's argument that receives the column name(s)
    table: str
    index: int  # 1-based position among the table's column roles
    line: int
    picker: dict[str, Any]  # ui.json dataArg.<table>[index - 1]
    example: str | list[str]


@dataclass
class ExtraParam:
    name: str
    line: int
    default: Any
    widget: dict[str, Any]  # ui.json extra.<name>


@dataclass
class Output:
    kind: str  # "ggplot" or "plot"
    with_tables: bool  # the function returns list(plot = ..., tables = ...)
    export_types: list[str]
    general: dict[str, Any]
    line: int


@dataclass
class AppSpec:
    script: Path
    tool: str = ""
    module: str = DEFAULT_MODULE
    title: dict[str, str] = field(default_factory=dict)
    intro: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    author: str = ""
    email: str = ""
    issues: str = ""
    version: str = "0.1.0"
    citation: str = ""
    main: str = ""
    libraries: list[str] = field(default_factory=list)
    tables: list[TableInput] = field(default_factory=list)
    roles: list[ColumnRole] = field(default_factory=list)
    extras: list[ExtraParam] = field(default_factory=list)
    output: Output | None = None

    def roles_of(self, table: str) -> list[ColumnRole]:
        return sorted((r for r in self.roles if r.table == table), key=lambda r: r.index)

    def table_variable(self, table: str) -> str:
        """`data` for the first table, `data2` for the second, ... (Hiplot's names)."""
        position = [t.name for t in self.tables].index(table) + 1
        return "data" if position == 1 else f"data{position}"


class _Builder:
    def __init__(self, script: Path, source: str, tags: list[Tag]) -> None:
        self.spec = AppSpec(script=script)
        self.source = source
        self.tags = tags
        self.problems: list[ScriptProblem] = []
        self.main_line: int | None = None

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(ScriptProblem(line, message))

    def build(self) -> AppSpec:
        self._check_counts()
        for tag in self.tags:
            handler = getattr(self, f"_tag_{tag.name}")
            handler(tag)
        self._check_roles()
        self._check_function()
        if not self.spec.title:
            self.spec.title = {"en": _humanize(self.spec.tool), "zh_cn": _humanize(self.spec.tool)}
        if not self.spec.intro:
            self.spec.intro = dict(self.spec.title)
        return self.spec

    # -- counts -------------------------------------------------------------------------------
    def _check_counts(self) -> None:
        for name in SINGLE_TAGS:
            lines = [t.line for t in self.tags if t.name == name]
            if len(lines) > 1:
                self.problem(lines[1], f"@{name} is given twice (lines {', '.join(map(str, lines))}); keep one")
        for name in REQUIRED_TAGS:
            if not any(t.name == name for t in self.tags):
                self.problem(None, f"@{name} is missing: {_REQUIRED_HINTS[name]}")
        if not any(t.name == "param" and "export::data::" in t.value for t in self.tags):
            self.problem(None, "no input table: add a line such as "
                               "#' @param data export::data::hiplot-textarea::{\"default\": \"example.txt\"}")

    # -- simple tags --------------------------------------------------------------------------
    def _tag_appname(self, tag: Tag) -> None:
        if not NAME_PATTERN.match(tag.value):
            self.problem(tag.line, f"@appname {tag.value!r} is not a tool name: use lower-case letters, digits, "
                                   "'-' and '_' (e.g. volcano)")
        self.spec.tool = tag.value

    def _tag_module(self, tag: Tag) -> None:
        if not NAME_PATTERN.match(tag.value):
            self.problem(tag.line, f"@module {tag.value!r} is not a module name: use lower-case letters, digits, "
                                   "'-' and '_' (e.g. basic)")
        self.spec.module = tag.value

    def _tag_apptitle(self, tag: Tag) -> None:
        self.spec.title = self._localized(tag)

    def _tag_description(self, tag: Tag) -> None:
        self.spec.intro = self._localized(tag)

    def _tag_tags(self, tag: Tag) -> None:
        self.spec.tags.extend(t for t in _words(tag.value) if t not in self.spec.tags)

    def _tag_alias(self, tag: Tag) -> None:
        self.spec.aliases.extend(a.strip() for a in tag.value.split(",") if a.strip())

    def _tag_author(self, tag: Tag) -> None:
        if not tag.value:
            self.problem(tag.line, "@author is empty: give a name")
        self.spec.author = tag.value

    def _tag_email(self, tag: Tag) -> None:
        self.spec.email = tag.value

    def _tag_issues(self, tag: Tag) -> None:
        self.spec.issues = tag.value

    def _tag_version(self, tag: Tag) -> None:
        self.spec.version = tag.value

    def _tag_citation(self, tag: Tag) -> None:
        self.spec.citation = tag.value

    def _tag_main(self, tag: Tag) -> None:
        if not _R_NAME.match(tag.value):
            self.problem(tag.line, f"@main {tag.value!r} is not the name of an R function")
        self.spec.main = tag.value
        self.main_line = tag.line

    def _tag_library(self, tag: Tag) -> None:
        for package in _words(tag.value):
            if not re.match(r"^[A-Za-z][A-Za-z0-9.]*$", package):
                self.problem(tag.line, f"@library {package!r} is not an R package name")
            elif package not in self.spec.libraries:
                self.spec.libraries.append(package)

    def _localized(self, tag: Tag) -> dict[str, str]:
        parts = [p.strip() for p in tag.value.split("|")]
        labelled = [_LOCALIZED_PART.match(p) for p in parts]
        if all(labelled):
            text = {m.group(1): m.group(2).strip() for m in labelled if m}
        elif len(parts) == 2 and not any(labelled):
            text = {"en": parts[0], "zh_cn": parts[1]}
        elif len(parts) == 1:
            text = {"en": parts[0], "zh_cn": parts[0]}
        else:
            self.problem(tag.line, f"@{tag.name}: write 'English | 中文' or 'en: English | zh_cn: 中文'")
            return {}
        if not text.get("en"):
            self.problem(tag.line, f"@{tag.name} has no English text")
        text.setdefault("zh_cn", text.get("en", ""))
        return {"en": text.get("en", ""), "zh_cn": text["zh_cn"] or text.get("en", "")}

    # -- @param -------------------------------------------------------------------------------
    def _tag_param(self, tag: Tag) -> None:
        name, _, rest = tag.value.partition(" ")
        rest = rest.strip()
        if not rest.startswith("export::"):
            return  # an ordinary roxygen @param: documentation of an argument the form does not set
        if not _R_NAME.match(name):
            self.problem(tag.line, f"@param {name!r} is not an R argument name")
            return
        if any(name == p for p in self._exported_names()):
            self.problem(tag.line, f"@param {name} is exported twice")
            return
        parts = rest.split("::", 3)
        section = parts[1] if len(parts) > 1 else ""
        if section == "data":
            self._table(tag, name, parts)
        elif section == "dataArg":
            self._role(tag, name, parts)
        elif section == "extra":
            self._extra(tag, name, parts)
        else:
            self.problem(tag.line, f"@param {name}: 'export::{section}' is not a section; use export::data, "
                                   "export::dataArg or export::extra")

    def _exported_names(self) -> list[str]:
        return [t.name for t in self.spec.tables] + [r.name for r in self.spec.roles] + \
            [e.name for e in self.spec.extras]

    def _json(self, tag: Tag, name: str, text: str, after: str) -> dict[str, Any] | None:
        """The JSON object ending a tag; ``name`` is the parameter (or "" for @return)."""
        what = f"@param {name}" if name else f"@{tag.name}"
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self.problem(tag.line, f"{what}: the JSON after '{after}::' does not parse: {exc.msg} "
                                   f"(character {exc.pos + 1} of the JSON)")
            return None
        if not isinstance(value, dict):
            self.problem(tag.line, f"{what}: the part after '{after}::' must be a JSON object {{...}}")
            return None
        return value

    def _table(self, tag: Tag, name: str, parts: list[str]) -> None:
        if len(parts) < 4:
            self.problem(tag.line, f"@param {name}: write export::data::hiplot-textarea::"
                                   "{\"default\": \"<example file>\"}")
            return
        widget_type, options = parts[2], self._json(tag, name, parts[3], parts[2])
        if widget_type not in TABLE_WIDGETS:
            self.problem(tag.line, f"@param {name}: input widget {widget_type!r} is not supported here; use "
                                   f"{' or '.join(TABLE_WIDGETS)}")
            return
        if options is None:
            return
        if not re.match(r"^[A-Za-z][A-Za-z0-9_.]*$", name):
            self.problem(tag.line, f"@param {name}: a table name must start with a letter")
        example = options.pop("default", None)
        if not isinstance(example, str) or not example:
            self.problem(tag.line, f"@param {name}: give the example table file as \"default\": \"<file>\" "
                                   "(next to the script)")
            return
        file = (self.spec.script.parent / example).resolve()
        if not file.is_file():
            self.problem(tag.line, f"@param {name}: the example file {example} is not next to the script "
                                   f"({self.spec.script.parent})")
            return
        text = file.read_text(encoding="utf-8-sig", errors="replace")
        try:
            header = parse_table_text(text, name).columns
        except TableError as exc:
            self.problem(tag.line, f"@param {name}: the example file {example}: {exc}")
            return
        widget = {"type": widget_type, "required": options.pop("required", True),
                  "label": options.pop("label", _humanize(name)), **options}
        self.spec.tables.append(TableInput(name, tag.line, widget, file, text, list(header)))

    def _role(self, tag: Tag, name: str, parts: list[str]) -> None:
        if len(parts) < 4:
            self.problem(tag.line, f"@param {name}: write export::dataArg::<table>::{{\"index\": 1, \"label\": ...}}")
            return
        table, options = parts[2], self._json(tag, name, parts[3], parts[2])
        if options is None:
            return
        index = options.pop("index", None)
        if isinstance(index, bool) or not isinstance(index, int) or index < 1:
            self.problem(tag.line, f"@param {name}: \"index\" must be the role's position, 1 or more "
                                   f"(got {index!r})")
            return
        example = options.pop("default", None)
        picker = {"label": options.pop("label", _humanize(name)), "required": options.pop("required", True),
                  **options}
        self.spec.roles.append(ColumnRole(name, table, index, tag.line, picker, example))

    def _extra(self, tag: Tag, name: str, parts: list[str]) -> None:
        if len(parts) < 4:
            self.problem(tag.line, f"@param {name}: write export::extra::<widget>::{{\"default\": ...}}")
            return
        widget_type, options = parts[2], self._json(tag, name, parts[3], parts[2])
        if widget_type not in EXTRA_WIDGETS:
            self.problem(tag.line, f"@param {name}: widget {widget_type!r} is not one of {', '.join(EXTRA_WIDGETS)}")
            return
        if options is None:
            return
        if "default" not in options:
            self.problem(tag.line, f"@param {name}: give the parameter's value as \"default\": ...")
            return
        default = options.pop("default")
        widget = {"type": widget_type, "label": options.pop("label", _humanize(name)),
                  "class": options.pop("class", "col-12 col-md-6"), **options}
        self.spec.extras.append(ExtraParam(name, tag.line, default, widget))

    # -- @return ------------------------------------------------------------------------------
    def _tag_return(self, tag: Tag) -> None:
        parts = tag.value.split("::", 2)
        kind = parts[0].strip()
        with_tables = kind.endswith("+xlsx")
        base = kind.removesuffix("+xlsx")
        if base not in PLOT_KINDS:
            self.problem(tag.line, f"@return {kind!r}: the function must return a ggplot or another plot; write "
                                   "ggplot::[\"pdf\", \"png\"]::{...} (or plot::..., or ggplot+xlsx::... when it "
                                   "returns list(plot = ..., tables = ...))")
            return
        kinds: Any = ["pdf", "png"]
        if len(parts) > 1 and parts[1].strip():
            try:
                kinds = json.loads(parts[1])
            except json.JSONDecodeError as exc:
                self.problem(tag.line, f"@return: the output kinds must be a JSON list such as [\"pdf\", \"png\"] "
                                       f"({exc.msg})")
                return
        if not isinstance(kinds, list) or not kinds or any(k not in EXPORT_KINDS for k in kinds):
            self.problem(tag.line, f"@return: the output kinds {kinds!r} must be a list of "
                                   f"{', '.join(EXPORT_KINDS)}")
            return
        general: dict[str, Any] = {}
        if len(parts) > 2 and parts[2].strip():
            loaded = self._json(tag, "", parts[2], "::".join(parts[:2]))
            if loaded is None:
                return
            general = loaded
        size = {"width": general.pop("width", 5), "height": general.pop("height", 4)}
        for key, value in size.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 50:
                self.problem(tag.line, f"@return: {key} must be a number of inches from 0 to 50 (got {value!r})")
        self.spec.output = Output(base, with_tables, kinds, {"size": size, **general}, tag.line)

    # -- cross checks -------------------------------------------------------------------------
    def _check_roles(self) -> None:
        tables = {t.name: t for t in self.spec.tables}
        for role in self.spec.roles:
            table = tables.get(role.table)
            if table is None:
                self.problem(role.line, f"@param {role.name}: table {role.table!r} is not an input table "
                                        f"(the tables: {', '.join(tables) or 'none'})")
                continue
            if role.example is None:
                if role.index > len(table.header):
                    self.problem(role.line, f"@param {role.name}: give the example's column as \"default\" "
                                            f"(the example table has {len(table.header)} columns)")
                    continue
                role.example = table.header[role.index - 1]
            chosen = role.example if isinstance(role.example, list) else [role.example]
            for column in chosen:
                if column not in table.header:
                    self.problem(role.line, f"@param {role.name}: the example table has no column {column!r} "
                                            f"(its columns: {', '.join(table.header)})")
        for name in tables:
            indexes = sorted(r.index for r in self.spec.roles if r.table == name)
            if indexes and indexes != list(range(1, len(indexes) + 1)):
                line = min(r.line for r in self.spec.roles if r.table == name)
                self.problem(line, f"the column roles of table {name} have the indexes {indexes}; number them "
                                   f"1 to {len(indexes)}, each once")

    def _check_function(self) -> None:
        if not self.spec.main:
            return
        found = function_formals(tokenize(self.source), self.spec.main)
        line = self.main_line
        if found is None:
            self.problem(line, f"@main {self.spec.main}: the script defines no {self.spec.main} <- function(...)")
            return
        function_line, formals = found
        names = [n for n, _ in formals]
        exported = self._exported_names()
        if "..." not in names:
            for tag in self.tags:
                pname = tag.value.split(" ", 1)[0]
                if tag.name == "param" and pname in exported and pname not in names:
                    self.problem(tag.line, f"@param {pname}: {self.spec.main}() has no argument {pname} "
                                           f"(its arguments: {', '.join(names) or 'none'})")
        for name, has_default in formals:
            if name != "..." and not has_default and name not in exported:
                self.problem(function_line, f"{self.spec.main}(): argument {name!r} has no default and no "
                                            f"'@param {name} export::...' line, so the plugin cannot set it")


_REQUIRED_HINTS = {
    "appname": "name the tool, e.g. #' @appname volcano",
    "author": "name the author, e.g. #' @author Jane Doe",
    "main": "name the function that draws, e.g. #' @main draw_volcano",
    "return": "say what the function returns, e.g. #' @return ggplot::[\"pdf\", \"png\"]::{\"width\": 5, "
              "\"height\": 4}",
}


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text) if w]


def _humanize(name: str) -> str:
    text = re.sub(r"[_.\-]+", " ", name).strip()
    return text[:1].upper() + text[1:]


def build_spec(script: Path, source: str, tags: list[Tag]) -> tuple[AppSpec, list[ScriptProblem]]:
    builder = _Builder(script, source, tags)
    spec = builder.build()
    return spec, builder.problems
