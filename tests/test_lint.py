"""The plugin linter: schema rules (S), cross-file rules (X), expression rules (E), the CLI.

Most tests copy one valid fixture plugin into a temporary folder, break it in exactly one
way, and check the exact finding that names the mistake (file, JSON pointer, code,
severity, message), and usually that it is the only error.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import plugin_sdk.cli
from plugin_sdk.findings import Finding, Severity
from plugin_sdk.lint import lint_folder
from plugin_sdk.loader import BUNDLED_PLUGINS, discover, find_plugin_folders
from plugin_sdk.plugin import read_plugin_folder
from plugin_sdk.schemas import SCHEMA_DIR, SCHEMA_FILES, load_schema, validate_document

FIXTURE = Path(__file__).parent / "fixtures" / "plugins" / "good" / "basic" / "good_plot"
ERROR, WARNING = Severity.ERROR, Severity.WARNING
WIDGET_TYPES = (
    "slider, hiplot-textarea, switch, select, color-picker, autocomplete, text-field, "
    "combobox, cloud-file, range-slider, codemirror"
)


# ---------------------------------------------------------------------------- helpers
@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    """A fresh copy of the good fixture at <tmp>/basic/good_plot."""
    target = tmp_path / "basic" / "good_plot"
    shutil.copytree(FIXTURE, target)
    return target


def lint(path: Path) -> list[Finding]:
    return lint_folder(read_plugin_folder(path))


def as_tuple(finding: Finding) -> tuple[str, str, str, Severity, str]:
    return (finding.file, finding.pointer, finding.code, finding.severity, finding.message)


Mutation = Callable[[Path], None]


def edit(file_name: str, change: Callable[[Any], Any]) -> Mutation:
    """A mutation that loads one JSON file, changes it in place and writes it back."""

    def mutate(folder: Path) -> None:
        path = folder / file_name
        document = json.loads(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    return mutate


def put(file_name: str, path: str, value: Any) -> Mutation:
    """Set the value at a dotted path ("params.config.extra.p_cutoff")."""

    def change(document: Any) -> None:
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return edit(file_name, change)


def drop(file_name: str, path: str) -> Mutation:
    """Delete the key at a dotted path."""

    def change(document: Any) -> None:
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[part]
        del target[last]

    return edit(file_name, change)


def write_text(file_name: str, text: str) -> Mutation:
    return lambda folder: (folder / file_name).write_text(text, encoding="utf-8")


def replace_text(file_name: str, old: str, new: str) -> Mutation:
    def mutate(folder: Path) -> None:
        path = folder / file_name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file_name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def remove(file_name: str) -> Mutation:
    return lambda folder: (folder / file_name).unlink()


def both(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for mutation in mutations:
            mutation(folder)

    return mutate


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    file: str
    pointer: str
    code: str
    severity: Severity
    message: str
    only_error: bool = True  # the expected finding is the plugin's only error


CASES = [
    # ------------------------------------------------------------------ reading the files
    Case(
        "bad-json-syntax",
        replace_text("meta.json", '"tag": ["vue", "expression"],', '"tag": ["vue", "expression"],,'),
        "meta.json", "", "F002", ERROR,
        "meta.json is not valid JSON: Expecting property name enclosed in double quotes at line 12 column 32",
    ),
    Case(
        "duplicate-key",
        replace_text("data.json", '"tool": "good_plot",', '"tool": "good_plot",\n  "tool": "good_plot",'),
        "data.json", "", "F003", ERROR, "key 'tool' appears twice in the same object",
    ),
    Case(
        "not-utf8",
        lambda folder: (folder / "ui.json").write_bytes(b"\xff" + (folder / "ui.json").read_bytes()),
        "ui.json", "", "F002", ERROR, "ui.json is not UTF-8 text (byte 0)",
    ),
    Case("missing-meta-json", remove("meta.json"), "meta.json", "", "F001", ERROR, "meta.json is missing"),
    # ------------------------------------------------------------------ schemas
    Case(
        "missing-field",
        drop("meta.json", "href"),
        "meta.json", "", "S001", ERROR, "required field 'href' is missing",
    ),
    Case(
        "missing-nested-field",
        drop("meta.json", "meta.author"),
        "meta.json", "/meta", "S001", ERROR, "required field 'meta.author' is missing",
    ),
    Case(
        "score-out-of-range",
        put("meta.json", "meta.score", 7),
        "meta.json", "/meta/score", "S001", ERROR, "meta.score must be between 1 and 5, got 7",
    ),
    Case(
        "bad-date",
        put("meta.json", "meta.releaseDate", "2024/05/01"),
        "meta.json", "/meta/releaseDate", "S001", ERROR,
        "meta.releaseDate must be a date written YYYY-MM-DD, got '2024/05/01'",
    ),
    Case(
        "name-without-language",
        put("meta.json", "name", {"fr": "Beau graphique"}),
        "meta.json", "/name", "S001", ERROR, 'name must give the text in English ("en") or Chinese ("zh_cn")',
    ),
    Case(
        "config-section-of-wrong-type",
        put("data.json", "params.config.extra", [1, 2]),
        "data.json", "/params/config/extra", "S002", ERROR,
        "params.config.extra must be an object, got a list (only an empty [] is accepted in its place)",
    ),
    Case(
        "unknown-output-kind",
        put("data.json", "params.config.general.imageExportType", ["pdf", "pnf"]),
        "data.json", "/params/config/general/imageExportType/1", "S002", ERROR,
        "params.config.general.imageExportType[1]: 'pnf' is not an output kind; "
        "use one of pdf, png, jpeg, jpg, tiff, svg, plotly, ppt, pptx",
    ),
    Case(
        "bad-legend-position",
        put("data.json", "params.config.general.legendPos", "middle"),
        "data.json", "/params/config/general/legendPos", "S002", ERROR,
        "params.config.general.legendPos must be one of right, left, top, bottom, none, got 'middle'",
    ),
    Case(
        "example-data-of-wrong-type",
        put("data.json", "exampleData", "see the README"),
        "data.json", "/exampleData", "S002", ERROR,
        "exampleData must be an object, or a list of alternative examples, got 'see the README' (text)",
    ),
    Case(
        "unknown-widget-type",
        put("ui.json", "extra.point_shape.type", "sldier"),
        "ui.json", "/extra/point_shape/type", "S003", ERROR,
        f"widget type 'sldier' is not one of {WIDGET_TYPES}",
    ),
    Case(
        "widget-without-type",
        drop("ui.json", "extra.x_title.type"),
        "ui.json", "/extra/x_title", "S003", ERROR,
        f'widget extra.x_title has no "type"; give one of {WIDGET_TYPES}',
    ),
    Case(
        "required-not-boolean",
        put("ui.json", "data.datTable.required", "yes"),
        "ui.json", "/data/datTable/required", "S003", ERROR,
        "data.datTable.required must be true or false, got 'yes' (text)",
    ),
    Case(
        "label-of-wrong-shape",
        put("ui.json", "extra.p_cutoff.label", 5),
        "ui.json", "/extra/p_cutoff/label", "S003", ERROR,
        'extra.p_cutoff.label must be text (a plain label, or a message key such as "messages.common.dataTable") '
        'or an object such as {"en": "...", "zh_cn": "..."}, got 5',
    ),
    Case(
        "slider-step-not-positive",
        put("ui.json", "extra.fc_cutoff.step", 0),
        "ui.json", "/extra/fc_cutoff/step", "S003", ERROR, "extra.fc_cutoff.step must be greater than 0, got 0",
    ),
    # ------------------------------------------------------------------ names
    Case(
        "module-mismatch",
        put("data.json", "module", "advance"),
        "data.json", "/module", "X001", ERROR, "module 'advance' does not match the plugin's module folder 'basic'",
    ),
    Case(
        "tool-mismatch",
        put("data.json", "tool", "good-plot"),
        "data.json", "/tool", "X002", ERROR, "tool 'good-plot' does not match the plugin's folder 'good_plot'",
    ),
    Case(
        "href-mismatch",
        put("meta.json", "href", "/basic/goodplot"),
        "meta.json", "/href", "X003", ERROR,
        "href '/basic/goodplot' does not match the plugin's folder: expected '/basic/good_plot'",
    ),
    # ------------------------------------------------------------------ parameter defaults
    Case(
        "widget-without-default",
        drop("data.json", "params.config.extra.x_title"),
        "ui.json", "/extra/x_title", "X010", ERROR, "widget 'x_title' has no default in data.json params.config.extra",
    ),
    Case(
        "default-without-widget",
        put("data.json", "params.config.extra.legacy_flag", True),
        "data.json", "/params/config/extra/legacy_flag", "X011", WARNING,
        "parameter 'legacy_flag' has a default but no widget in ui.json extra, so users cannot change it",
    ),
    Case(
        "slider-min-above-max",
        put("ui.json", "extra.p_cutoff.max", -1),
        "ui.json", "/extra/p_cutoff/max", "X012", ERROR, "max -1 of slider 'p_cutoff' is below its min 0",
    ),
    Case(
        "slider-default-outside-range",
        put("data.json", "params.config.extra.p_cutoff", 1.5),
        "data.json", "/params/config/extra/p_cutoff", "X013", ERROR,
        "default of slider 'p_cutoff' is 1.5, outside its range 0 to 1",
    ),
    Case(
        "slider-default-not-a-number",
        put("data.json", "params.config.extra.label_size", "big"),
        "data.json", "/params/config/extra/label_size", "X013", ERROR,
        "default of slider 'label_size' must be a number, got 'big' (text)",
    ),
    Case(
        "example-value-outside-slider-range",
        put("data.json", "exampleData.config.extra", {"fc_cutoff": 20}),
        "data.json", "/exampleData/config/extra/fc_cutoff", "X013", ERROR,
        "example value of slider 'fc_cutoff' is 20, outside its range 0 to 10",
    ),
    Case(
        "range-slider-default-not-a-pair",
        put("data.json", "params.config.extra.y_range", [0]),
        "data.json", "/params/config/extra/y_range", "X014", ERROR,
        "default of range-slider 'y_range' must be a [low, high] pair of numbers, got [0]",
    ),
    Case(
        "range-slider-default-outside-range",
        put("data.json", "params.config.extra.y_range", [0, 60]),
        "data.json", "/params/config/extra/y_range", "X014", ERROR,
        "default of range-slider 'y_range' is [0, 60], outside its range 0 to 50",
    ),
    Case(
        "range-slider-default-reversed",
        put("data.json", "params.config.extra.y_range", [20, 5]),
        "data.json", "/params/config/extra/y_range", "X014", ERROR,
        "default of range-slider 'y_range' is [20, 5]: low is above high",
    ),
    Case(
        "switch-default-not-boolean",
        put("data.json", "params.config.extra.show_labels", "true"),
        "data.json", "/params/config/extra/show_labels", "X015", ERROR,
        "default of switch 'show_labels' must be true or false, got 'true' (text)",
    ),
    Case(
        "select-default-not-in-items",
        put("data.json", "params.config.extra.point_shape", "star"),
        "data.json", "/params/config/extra/point_shape", "X016", ERROR,
        "default of select 'point_shape' is 'star', which is not one of its items: circle, triangle, square",
    ),
    Case(
        "multiple-select-default-not-a-list",
        put("ui.json", "extra.point_shape.multiple", True),
        "data.json", "/params/config/extra/point_shape", "X016", ERROR,
        "default of select 'point_shape' must be a list (the widget allows several choices), got 'circle' (text)",
    ),
    Case(
        "combobox-default-of-another-type",
        put("data.json", "params.config.extra.top_n", "10"),
        "data.json", "/params/config/extra/top_n", "X017", ERROR,
        "default of combobox 'top_n' must be a number like its items, got '10' (text)",
    ),
    Case(
        "colour-default-not-a-colour",
        put("data.json", "params.config.extra.up_color", "redish"),
        "data.json", "/params/config/extra/up_color", "X018", ERROR,
        "default of color-picker 'up_color' is 'redish', which is not a colour "
        "(use #rrggbb, #rrggbbaa or an R colour name such as 'firebrick')",
    ),
    Case(
        "short-hex-colour",
        put("data.json", "params.config.extra.down_color", "#abc"),
        "data.json", "/params/config/extra/down_color", "X018", ERROR,
        "default of color-picker 'down_color' is '#abc', a short hex colour that R 4.2 cannot read; write '#aabbcc'",
    ),
    Case(
        "colour-name-spelt-differently",
        put("data.json", "params.config.extra.down_color", "Steel Blue"),
        "data.json", "/params/config/extra/down_color", "X018", ERROR,
        "default of color-picker 'down_color' is 'Steel Blue'; write R's name exactly: 'steelblue'",
    ),
    # ------------------------------------------------------------------ column choices
    Case(
        "data-arg-table-renamed-in-ui",
        edit("ui.json", lambda ui: ui["dataArg"].update(labelTabel=ui["dataArg"].pop("labelTable"))),
        "ui.json", "/dataArg/labelTabel", "X020", ERROR,
        "ui.json has column pickers for table 'labelTabel' but data.json params.config.dataArg has no entry for it",
        only_error=False,
    ),
    Case(
        "data-arg-role-count-mismatch",
        edit("data.json", lambda data: data["params"]["config"]["dataArg"]["datTable"].remove({"value": ""})),
        "data.json", "/params/config/dataArg/datTable", "X021", ERROR,
        "dataArg 'datTable' has 2 column roles in data.json but 3 column pickers in ui.json",
    ),
    Case(
        "example-data-arg-role-count-mismatch",
        edit("data.json", lambda data: data["exampleData"]["config"]["dataArg"]["datTable"].append({"value": ""})),
        "data.json", "/exampleData/config/dataArg/datTable", "X021", ERROR,
        "the example's dataArg 'datTable' has 4 column roles but ui.json has 3 column pickers",
    ),
    Case(
        "data-arg-table-not-an-input",
        both(
            put("data.json", "params.config.dataArg.ghost", [{"value": ""}]),
            put("ui.json", "dataArg.ghost", [{"label": "Ghost column"}]),
        ),
        "data.json", "/params/config/dataArg/ghost", "X022", ERROR,
        "dataArg table 'ghost' is not one of the plugin's input tables (datTable, labelTable)",
    ),
    # ------------------------------------------------------------------ examples
    Case(
        "example-table-empty",
        put("data.json", "exampleData.textarea.datTable", ""),
        "data.json", "/exampleData/textarea/datTable", "X030", ERROR,
        "example table 'datTable' is empty, but ui.json marks the table required",
    ),
    Case(
        "example-table-header-only",
        put("data.json", "exampleData.textarea.datTable", "Symbol\tlogFC\tP.Value\n"),
        "data.json", "/exampleData/textarea/datTable", "X030", ERROR,
        "example table 'datTable' has a header but no data rows",
    ),
    Case(
        "example-table-ragged",
        put("data.json", "exampleData.textarea.datTable", "Symbol\tlogFC\tP.Value\nTP53\t2.5\t0.01\nMYC\t1\t0.2\t7\t8"),
        "data.json", "/exampleData/textarea/datTable", "X030", ERROR,
        "example table 'datTable' row 2 has 5 cells but the header has 3 columns",
    ),
    Case(
        "example-table-unknown",
        put("data.json", "exampleData.textarea.other", "a\tb\n1\t2"),
        "data.json", "/exampleData/textarea/other", "X031", ERROR,
        "example table 'other' is not one of the plugin's input tables (datTable, labelTable)",
    ),
    Case(
        "example-column-missing",
        put("data.json", "exampleData.config.dataArg.datTable.1.value", "logFoldChange"),
        "data.json", "/exampleData/config/dataArg/datTable/1/value", "X032", ERROR,
        "column 'logFoldChange' chosen for role 2 of table datTable is not in the example table "
        "(columns: Symbol, logFC, P.Value)",
    ),
    Case(
        "example-column-missing-in-list-example",
        edit("data.json", lambda data: data.update(exampleData=[data["exampleData"], {
            "config": {"dataArg": {"labelTable": [{"value": "Gene"}]}},
            "textarea": {"labelTable": "Symbol\tGroup\nTP53\tx"},
        }])),
        "data.json", "/exampleData/1/config/dataArg/labelTable/0/value", "X032", ERROR,
        "column 'Gene' chosen for role 1 of table labelTable is not in the example table (columns: Symbol, Group)",
    ),
    # ------------------------------------------------------------------ files
    Case(
        "missing-script",
        remove("plot.R"),
        "plot.R", "", "X040", ERROR,
        "no core script: add plot.R (or start.R, entry.R, plot.py), or tag the plugin 'shiny' "
        "in meta.json if it is only a catalogue entry",
    ),
    Case(
        "cover-file-missing",
        remove("cover.png"),
        "meta.json", "/src", "X042", WARNING, "cover image 'cover.png' is not a file in the plugin folder",
    ),
    Case(
        "cover-outside-the-folder",
        put("meta.json", "src", "../cover.png"),
        "meta.json", "/src", "X041", WARNING, "cover image '../cover.png' must be a file inside the plugin folder",
    ),
    # ------------------------------------------------------------------ conditions and expressions
    Case(
        "if-names-missing-key",
        put("ui.json", "extra.label_size.if", "show_label"),
        "ui.json", "/extra/label_size/if", "X050", ERROR, "'if' names 'show_label', which is not a parameter in extra",
    ),
    Case(
        "if-names-a-select",
        put("ui.json", "extra.label_mode.if", "point_shape"),
        "ui.json", "/extra/label_mode/if", "X050", ERROR,
        "'if' names 'point_shape', a select; it must name a switch (a true/false parameter of extra)",
    ),
    Case(
        "unsafe-if-func",
        put("ui.json", "extra.top_n.if_func", "alert(1)"),
        "ui.json", "/extra/top_n/if_func", "E001", ERROR,
        "if_func is not an allowed expression: unknown name 'alert' (expressions may use only literals, "
        'this.params, this.tableHeader and the data helpers) at position 0 in "alert(1)"',
    ),
    Case(
        "forbidden-member-constructor",
        put("ui.json", "extra.highlight_groups.items_func", "this.params.constructor"),
        "ui.json", "/extra/highlight_groups/items_func", "E001", ERROR,
        "items_func is not an allowed expression: member name 'constructor' is not allowed "
        'at position 12 in "this.params.constructor"',
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_mutation_gives_its_finding(plugin_dir: Path, case: Case) -> None:
    case.mutate(plugin_dir)
    findings = lint(plugin_dir)
    expected = (case.file, case.pointer, case.code, case.severity, case.message)
    assert expected in [as_tuple(f) for f in findings], "\n".join(map(str, findings))
    if case.only_error:
        errors = [as_tuple(f) for f in findings if f.is_error]
        assert errors == ([expected] if case.severity is ERROR else []), "\n".join(map(str, findings))


# ---------------------------------------------------------------------------- clean plugins
def test_good_fixture_lints_clean() -> None:
    assert lint(FIXTURE) == []


CLEAN_VARIANTS = {
    # Hiplot's tolerated shapes: each must stay free of findings.
    "example-as-a-list": edit("data.json", lambda d: d.update(exampleData=[d["exampleData"], d["exampleData"]])),
    "label-zh-ch-misspelling": put("ui.json", "extra.show_labels.label", {"en": "Label genes", "zh_ch": "标注"}),
    "label-plain-string": put("ui.json", "extra.show_labels.label", "Label genes"),
    "numbers-as-strings": both(put("ui.json", "extra.fc_cutoff.min", "0"), put("ui.json", "extra.fc_cutoff.max", "10")),
    "one-digit-month": put("meta.json", "meta.updateDate", "2023-4-03"),
    "empty-section-as-list": put("ui.json", "general", []),
    "unknown-attributes-and-keys": both(
        put("ui.json", "extra.p_cutoff.icon", "mdi-filter"),
        put("meta.json", "homepage", "https://example.org"),
        put("data.json", "params.config.general.lowAgeBreaks", 19),
    ),
    "colour-with-alpha-and-transparent": both(
        put("data.json", "params.config.extra.up_color", "#d6272880"),
        put("data.json", "params.config.extra.down_color", "transparent"),
    ),
    "cover-as-url": both(remove("cover.png"), put("meta.json", "src", "https://example.org/cover.jpg")),
    "shiny-entry-without-script": both(remove("plot.R"), put("meta.json", "tag", ["shiny", "expression"])),
    "optional-example-table-left-blank": both(
        put("data.json", "exampleData.textarea.labelTable", ""),
        put("data.json", "exampleData.config.dataArg.labelTable", [{"value": ""}]),
    ),
}


@pytest.mark.parametrize("mutate", CLEAN_VARIANTS.values(), ids=CLEAN_VARIANTS.keys())
def test_tolerated_variants_lint_clean(plugin_dir: Path, mutate: Mutation) -> None:
    mutate(plugin_dir)
    assert lint(plugin_dir) == []


def test_schemas_are_valid_draft_2020_12_with_ids_and_titles() -> None:
    for file_name, schema_name in SCHEMA_FILES.items():
        schema = load_schema(file_name)
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"https://plotforge.dev/schemas/{schema_name}"
        assert schema["title"] and schema["description"]
        assert (SCHEMA_DIR / schema_name).is_file()


def test_schema_problems_are_sorted_and_located() -> None:
    problems = validate_document("meta.json", {"name": {"en": "x"}, "intro": {"en": "y"}, "tag": "vue"})
    assert [(p.pointer, p.message) for p in problems] == [
        ("", "required field 'href' is missing"),
        ("", "required field 'meta' is missing"),
        ("/tag", "tag must be a list, got 'vue' (text)"),
    ]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside a JSON document (the root included)."""
    out = [prefix]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        out += _paths(child, (*prefix, key))
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_linter_reports_rather_than_crashes_on_any_shape(data: st.DataObject) -> None:
    folder = read_plugin_folder(FIXTURE)
    file_name = data.draw(st.sampled_from(sorted(folder.documents)))
    document = folder.documents[file_name]
    path = data.draw(st.sampled_from(_paths(document)))
    replacement = data.draw(JSON_VALUES)
    if path:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = replacement
    else:
        folder.documents[file_name] = replacement
    findings = lint_folder(folder)  # must not raise, whatever the shape
    assert all(isinstance(f, Finding) and f.message for f in findings)


# ---------------------------------------------------------------------------- discovery
def test_broken_plugin_does_not_stop_discovery(tmp_path: Path) -> None:
    shutil.copytree(FIXTURE, tmp_path / "basic" / "good_plot")
    other = tmp_path / "advance" / "good_plot"
    shutil.copytree(FIXTURE, other)
    put("data.json", "module", "advance")(other)
    put("meta.json", "href", "/advance/good_plot")(other)
    broken = tmp_path / "basic" / "broken"
    shutil.copytree(FIXTURE, broken)
    write_text("ui.json", '{"extra": ')(broken)

    results = {r.key: r for r in discover([tmp_path])}

    assert sorted(results) == ["advance/good_plot", "basic/broken", "basic/good_plot"]
    assert results["basic/good_plot"].ok and results["advance/good_plot"].ok
    assert results["advance/good_plot"].plugin.href == "/advance/good_plot"
    failed = results["basic/broken"]
    assert failed.plugin is None
    assert ("ui.json", "F002") in [(f.file, f.code) for f in failed.findings if f.is_error]


# ---------------------------------------------------------------------------- the command line
@pytest.fixture
def run_cli() -> Callable[..., Any]:
    plugin_sdk.cli._register_commands()
    runner = CliRunner()
    return lambda *args: runner.invoke(plugin_sdk.cli.cli, ["plugin", "lint", *map(str, args)])


def test_cli_passes_a_clean_plugin(run_cli: Callable[..., Any]) -> None:
    result = run_cli(FIXTURE)
    assert result.exit_code == 0, result.output
    assert result.output == "basic/good_plot: ok\n1 plugin checked, 0 with errors: 0 errors, 0 warnings\n"


def test_cli_fails_on_an_error_and_prints_it_per_plugin(run_cli: Callable[..., Any], plugin_dir: Path) -> None:
    shutil.copytree(FIXTURE, plugin_dir.parent / "other_plot")
    put("data.json", "tool", "other_plot")(plugin_dir.parent / "other_plot")
    put("meta.json", "href", "/basic/other_plot")(plugin_dir.parent / "other_plot")
    put("ui.json", "extra.p_cutoff.max", -1)(plugin_dir)

    result = run_cli(plugin_dir.parent.parent)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "basic/good_plot: 1 error, 0 warnings",
        "basic/good_plot/ui.json#/extra/p_cutoff/max: error X012: max -1 of slider 'p_cutoff' is below its min 0",
        "basic/other_plot: ok",
        "2 plugins checked, 1 with errors: 1 error, 0 warnings",
    ]


def test_cli_strict_fails_on_warnings(run_cli: Callable[..., Any], plugin_dir: Path) -> None:
    put("data.json", "params.config.extra.legacy_flag", True)(plugin_dir)
    assert run_cli(plugin_dir).exit_code == 0
    strict = run_cli("--strict", plugin_dir)
    assert strict.exit_code == 1
    assert "basic/good_plot/data.json#/params/config/extra/legacy_flag: warning X011:" in strict.output


def test_cli_disable_skips_a_rule(run_cli: Callable[..., Any], plugin_dir: Path) -> None:
    put("data.json", "params.config.extra.p_cutoff", 1.5)(plugin_dir)
    assert run_cli(plugin_dir).exit_code == 1
    result = run_cli("--disable", "X013", "--disable", "X999", plugin_dir)
    assert result.exit_code == 0
    assert "X013" not in result.output
    assert "warning: --disable X999: no such rule" in result.output


def test_cli_json_format(run_cli: Callable[..., Any], plugin_dir: Path) -> None:
    put("meta.json", "meta.score", 7)(plugin_dir)
    result = run_cli("--format", "json", plugin_dir)
    assert result.exit_code == 1
    assert json.loads(result.output) == [
        {
            "plugin": "basic/good_plot",
            "path": str(plugin_dir.resolve()),
            "findings": [
                {
                    "file": "meta.json",
                    "pointer": "/meta/score",
                    "code": "S001",
                    "severity": "error",
                    "message": "meta.score must be between 1 and 5, got 7",
                    "line": None,
                }
            ],
        }
    ]


def test_cli_rejects_a_missing_path_and_a_folder_without_plugins(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    missing = run_cli(tmp_path / "nowhere")
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    empty = run_cli(tmp_path)
    assert empty.exit_code == 2
    assert "holds no plugin" in empty.output


# ---------------------------------------------------------------------------- bundled plugins
def test_bundled_plugins_lint_clean() -> None:
    folders = find_plugin_folders(BUNDLED_PLUGINS) if BUNDLED_PLUGINS.is_dir() else []
    results = discover([BUNDLED_PLUGINS])
    problems = {r.key: [str(f) for f in r.findings if f.is_error] for r in results if not r.ok}
    assert problems == {}
    loaded = sorted(r.path for r in results if r.ok)
    assert loaded == sorted(p.resolve() for p in folders)
