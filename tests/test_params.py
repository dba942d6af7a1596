"""The derived request schema and the request resolver (plugin_sdk.params).

Fixture plugins live in tests/fixtures/params/: `widgets/all-widgets` uses every widget type,
two tables with column roles (required ones, a multiple one) and two examples;
`basic/optional-table` has a required and an optional table and no example.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from plugin_sdk.params import (
    ANNOTATION_KEYWORDS,
    FieldError,
    RequestInvalid,
    Resolved,
    colours,
    derive_schema,
    resolve_request,
)
from plugin_sdk.plugin import Plugin, read_plugin_folder
from plugin_sdk.tables import TableLimits

FIXTURES = Path(__file__).parent / "fixtures" / "params"

DAT_TABLE = "Symbol\tP.Value\tlogFC\nTP53\t0.001\t2.3\nBRCA1\t0.04\t-1.2\n"
SAMPLE_INFO = "Sample\tGroup\tBatch\nS1\tA\t1\nS2\tB\t2\n"


def load(module: str, tool: str) -> Plugin:
    # Straight from the folder, so these tests do not depend on the lint rules.
    return Plugin.from_folder(read_plugin_folder(FIXTURES / module / tool), [])


@pytest.fixture(scope="module")
def widgets_plugin() -> Plugin:
    return load("widgets", "all-widgets")


@pytest.fixture(scope="module")
def optional_plugin() -> Plugin:
    return load("basic", "optional-table")


def valid_request(**params: dict[str, Any]) -> dict[str, Any]:
    """A complete request that resolves; `params` sections replace the defaults given here."""
    request: dict[str, Any] = {
        "params": {
            "dataArg": {
                "datTable": [{"value": "Symbol"}, {"value": "P.Value"}, {"value": "logFC"}],
                "sampleInfo": [{"value": "Sample"}, {"value": ["Group"]}],
            },
        },
        "tables": {"datTable": DAT_TABLE, "sampleInfo": SAMPLE_INFO},
        "use_example": False,
    }
    for section, values in params.items():
        request["params"].setdefault(section, {}).update(values)
    return request


def errors_of(plugin: Plugin, request: Any) -> list[FieldError]:
    with pytest.raises(RequestInvalid) as caught:
        resolve_request(plugin, request)
    return caught.value.errors


def messages_by_field(plugin: Plugin, request: Any) -> dict[str, str]:
    return {e.field: e.message for e in errors_of(plugin, request)}


# -- the derived schema -----------------------------------------------------------------------


@pytest.mark.parametrize("key", [("widgets", "all-widgets"), ("basic", "optional-table")])
def test_derived_schema_is_a_valid_draft_2020_12_schema(key: tuple[str, str]) -> None:
    schema = derive_schema(load(*key))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    json.dumps(schema)  # served to the browser as it is


# The keywords a browser validator (Ajv 2020) understands, plus our registered annotations.
PORTABLE_KEYWORDS = {
    "$schema", "$defs", "$ref", "title", "type", "properties", "additionalProperties",
    "prefixItems", "items", "minItems", "maxItems", "enum", "const", "anyOf", "minimum",
    "maximum", "multipleOf", "maxLength", "pattern", "default",
} | set(ANNOTATION_KEYWORDS)


def _schema_nodes(node: Any):
    """Every subschema of a schema (not the values of default/const/enum)."""
    if not isinstance(node, dict):
        return
    yield node
    for key, value in node.items():
        if key in ("properties", "$defs"):
            for sub in value.values():
                yield from _schema_nodes(sub)
        elif key in ("prefixItems", "anyOf"):
            for sub in value:
                yield from _schema_nodes(sub)
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            yield from _schema_nodes(value)


def test_schema_uses_only_keywords_and_patterns_a_browser_understands(widgets_plugin: Plugin) -> None:
    nodes = list(_schema_nodes(derive_schema(widgets_plugin)))
    used = {key for node in nodes for key in node}
    assert used <= PORTABLE_KEYWORDS, used - PORTABLE_KEYWORDS
    patterns = [node["pattern"] for node in nodes if "pattern" in node]
    assert patterns
    for pattern in patterns:
        re.compile(pattern)
        # Python-only regex syntax would compile here and fail in the browser.
        assert not re.search(r"\(\?P|\\A|\\Z|\\z|\(\?[aiLmsux]", pattern), pattern


def test_every_parameter_has_an_english_title_and_the_data_json_default(widgets_plugin: Plugin) -> None:
    extra = derive_schema(widgets_plugin)["properties"]["params"]["properties"]["extra"]
    props = extra["properties"]
    assert props["p_cutoff"]["title"] == "P-value cutoff"  # {"en", "zh_cn"} label
    assert props["top_n"]["title"] == "Top genes"  # plain-string label
    assert props["seed"]["title"] == "Seed"  # no widget: readable key
    assert all(isinstance(p["title"], str) and p["title"] for p in props.values())
    defaults = widgets_plugin.config["extra"]
    for key, value in defaults.items():
        assert props[key]["default"] == value
    assert "default" not in props["note"]  # in ui.json only
    assert extra["additionalProperties"] is False


def test_widget_schemas(widgets_plugin: Plugin) -> None:
    schema = derive_schema(widgets_plugin)
    params = schema["properties"]["params"]["properties"]
    extra = params["extra"]["properties"]
    assert extra["p_cutoff"]["minimum"] == 0 and extra["p_cutoff"]["maximum"] == 1
    assert "multipleOf" not in extra["p_cutoff"]  # a float step is never multipleOf
    assert extra["top_n"]["multipleOf"] == 1
    assert extra["show_labels"]["type"] == "boolean"
    assert extra["palette_name"]["enum"] == ["npg", "aaas", "nejm"]
    assert extra["methods"]["items"]["enum"] == ["pearson", "spearman", "kendall"]  # {"value"} items
    assert extra["n_breaks"]["type"] == "number"
    assert extra["point_colour"]["$ref"] == "#/$defs/colour"
    assert extra["title_text"]["maxLength"] == 500
    assert extra["gene_list"]["maxLength"] == 100_000
    assert extra["x_range"]["minItems"] == extra["x_range"]["maxItems"] == 2
    assert "enum" not in json.dumps(extra["dynamic_choice"])  # items_func: choices unknown in advance
    # The plugin's own default "" is not one of the items, so the field also accepts it.
    assert extra["legacy_mode"]["anyOf"] == [{"enum": ["a", "b"]}, {"const": ""}]
    roles = params["dataArg"]["properties"]["datTable"]
    assert roles["x-column-of"] == "datTable"
    assert [r["title"] for r in roles["prefixItems"]] == ["Gene symbol", "P value", "Log fold change"]
    assert [r["x-required-column"] for r in roles["prefixItems"]] == [True, True, False]
    assert params["general"].get("additionalProperties", True) is True
    tables = schema["properties"]["tables"]
    assert tables["properties"]["datTable"]["title"] == "Data table"  # i18n key resolved
    assert tables["properties"]["datTable"]["maxLength"] == TableLimits().max_bytes
    assert schema["properties"]["use_example"]["anyOf"][1]["maximum"] == 1  # two examples


def test_data_json_defaults_validate_against_the_derived_schema(widgets_plugin: Plugin) -> None:
    schema = derive_schema(widgets_plugin)
    errors = list(Draft202012Validator(schema).iter_errors({"params": widgets_plugin.config}))
    assert errors == []


def test_colour_falls_back_to_patterns_without_the_r_colour_list(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    monkeypatch.setattr(colours, "R_COLOURS_FILE", tmp_path / "missing.txt")
    colours.r_colour_names.cache_clear()
    try:
        validator = Draft202012Validator(colours.colour_schema())
        assert validator.is_valid("#a1b2c3") and validator.is_valid("steelblue") and validator.is_valid("grey50")
        assert not validator.is_valid("#fff") and not validator.is_valid("not a colour")
    finally:
        monkeypatch.undo()
        colours.r_colour_names.cache_clear()
    names = colours.r_colour_names()
    assert "steelblue" in names and "transparent" in names  # the real list is back
    assert not any(name.startswith("#") or " " in name for name in names)  # comment lines skipped


# -- every widget: accepted and rejected values --------------------------------------------------

ACCEPTED = [
    ("p_cutoff", 0.5),
    ("p_cutoff", 0),
    ("top_n", 50),
    ("show_labels", False),
    ("palette_name", "aaas"),
    ("methods", ["pearson", "kendall"]),
    ("methods", []),
    ("species", "mouse"),
    ("groups", ["A", "a free value"]),
    ("n_breaks", 15),
    ("point_colour", "#112233"),
    ("point_colour", "#11223344"),
    ("point_colour", "red"),
    ("point_colour", "grey50"),
    ("point_colour", "transparent"),
    ("title_text", "My volcano"),
    ("x_range", [0, 100]),
    ("x_range", [40, 40]),
    ("gene_list", "TP53\nEGFR\n"),
    ("genome_file", {"value": "uploads/genome.txt", "link": ""}),
    ("genome_file", {"value": "a..b.txt", "link": "https://example.org/a"}),
    ("legacy_mode", ""),  # the plugin's own default
    ("legacy_mode", "b"),
    ("dynamic_choice", "any column"),
    ("seed", "12345"),
    ("note", "hello"),
]


@pytest.mark.parametrize(("key", "value"), ACCEPTED)
def test_widget_accepts(widgets_plugin: Plugin, key: str, value: Any) -> None:
    resolved = resolve_request(widgets_plugin, valid_request(extra={key: value}))
    assert resolved.config["extra"][key] == value


REJECTED = [
    ("p_cutoff", 2, "/params/extra/p_cutoff", "P-value cutoff must be between 0 and 1 (got 2)"),
    ("p_cutoff", "abc", "/params/extra/p_cutoff", "P-value cutoff must be a number (got 'abc')"),
    ("p_cutoff", True, "/params/extra/p_cutoff", "P-value cutoff must be a number (got true)"),
    ("top_n", 2.5, "/params/extra/top_n", "Top genes must be a whole number (got 2.5)"),
    ("top_n", 0, "/params/extra/top_n", "Top genes must be between 1 and 50 (got 0)"),
    ("show_labels", "yes", "/params/extra/show_labels", "Show labels must be true or false (got 'yes')"),
    ("palette_name", "foo", "/params/extra/palette_name", "Palette must be one of: npg, aaas, nejm (got 'foo')"),
    ("methods", "pearson", "/params/extra/methods", "Methods must be a list (got 'pearson')"),
    ("methods", ["pearson", "x"], "/params/extra/methods/1",
     "Methods must be one of: pearson, spearman, kendall (got 'x')"),
    ("species", "dog", "/params/extra/species", "Species must be one of: human, mouse, rat (got 'dog')"),
    ("groups", [{"x": 1}], "/params/extra/groups/0", 'Test groups must be text (got {"x": 1})'),
    ("n_breaks", "a", "/params/extra/n_breaks", "Breaks must be a number (got 'a')"),
    ("point_colour", "#fff", "/params/extra/point_colour",
     "Point colour must be a colour such as #1f77b4 or an R colour name such as 'red' (got '#fff')"),
    ("point_colour", "notacolour", "/params/extra/point_colour",
     "Point colour must be a colour such as #1f77b4 or an R colour name such as 'red' (got 'notacolour')"),
    ("point_colour", 12, "/params/extra/point_colour",
     "Point colour must be a colour such as #1f77b4 or an R colour name such as 'red' (got 12)"),
    ("point_colour", "#ff0000\n", "/params/extra/point_colour",
     "Point colour must be a colour such as #1f77b4 or an R colour name such as 'red' (got '#ff0000\n')"),
    ("title_text", "x" * 501, "/params/extra/title_text", "Title must be at most 500 characters (got 501)"),
    ("title_text", 5, "/params/extra/title_text", "Title must be text (got 5)"),
    ("x_range", [5], "/params/extra/x_range", "X range must be a pair of numbers [low, high] (got [5])"),
    ("x_range", [1, 2, 3], "/params/extra/x_range", "X range must be a pair of numbers [low, high] (got [1, 2, 3])"),
    ("x_range", [5, 200], "/params/extra/x_range/1", "X range must be between 0 and 100 (got 200)"),
    ("x_range", [60, 40], "/params/extra/x_range", "X range: the low end (60) is above the high end (40)"),
    ("gene_list", "x" * 100_001, "/params/extra/gene_list", "Gene list must be at most 100000 characters (got 100001)"),
    ("genome_file", {"value": "/etc/passwd", "link": ""}, "/params/extra/genome_file/value",
     "Genome file must name a file inside the job's upload folder (got '/etc/passwd')"),
    ("genome_file", {"value": "a/../../b", "link": ""}, "/params/extra/genome_file/value",
     "Genome file must name a file inside the job's upload folder (got 'a/../../b')"),
    ("genome_file", {"value": "C:\\x.txt", "link": ""}, "/params/extra/genome_file/value",
     "Genome file must name a file inside the job's upload folder (got 'C:\\x.txt')"),
    ("genome_file", "file.txt", "/params/extra/genome_file",
     "Genome file must be a JSON object of named values (got 'file.txt')"),
    ("legacy_mode", "c", "/params/extra/legacy_mode", "Legacy mode must be one of: a, b (got 'c')"),
    ("seed", 5, "/params/extra/seed", "Seed must be text (got 5)"),
    ("bogus", 1, "/params/extra/bogus", "unknown parameter 'bogus' (this plugin's parameters: p_cutoff, top_n, "
     "show_labels, palette_name, methods, species, groups, n_breaks, point_colour, title_text, x_range, "
     "gene_list, genome_file, legacy_mode, dynamic_choice, ... (2 more))"),
]


@pytest.mark.parametrize(("key", "value", "field", "message"), REJECTED)
def test_widget_rejects_with_a_readable_message(widgets_plugin: Plugin, key: str, value: Any, field: str,
                                                message: str) -> None:
    assert messages_by_field(widgets_plugin, valid_request(extra={key: value})) == {field: message}


GENERAL_REJECTED = [
    ("legendPos", "middle", "/params/general/legendPos",
     "Legend position must be one of: right, left, top, bottom, none (got 'middle')"),
    ("size", {"width": 100, "height": 5}, "/params/general/size/width",
     "Width (inches) must be between 1 and 50 (got 100)"),
    ("imageExportType", ["pdf", "bmp"], "/params/general/imageExportType/1",
     "Export formats must be one of: pdf, png, jpeg, jpg, tiff, svg, plotly, html (got 'bmp')"),
    ("alpha", 2, "/params/general/alpha", "Opacity must be between 0 and 1 (got 2)"),
    ("xAxisTextAngle", -400, "/params/general/xAxisTextAngle",
     "X-axis text angle must be between -360 and 360 (got -400)"),
    ("paletteCustom", ["#112233", "nope"], "/params/general/paletteCustom/1",
     "Custom colors must be a colour such as #1f77b4 or an R colour name such as 'red' (got 'nope')"),
    ("lowAgeBreaks", "x", "/params/general/lowAgeBreaks", "Low age breaks must be a number (got 'x')"),
]


@pytest.mark.parametrize(("key", "value", "field", "message"), GENERAL_REJECTED)
def test_plot_settings_are_typed(widgets_plugin: Plugin, key: str, value: Any, field: str, message: str) -> None:
    assert messages_by_field(widgets_plugin, valid_request(general={key: value})) == {field: message}


def test_unknown_plot_settings_pass_through(widgets_plugin: Plugin) -> None:
    resolved = resolve_request(widgets_plugin, valid_request(general={"myOwnSetting": {"any": [1, "x"]}}))
    assert resolved.config["general"]["myOwnSetting"] == {"any": [1, "x"]}


def test_user_values_replace_keys_two_levels_deep(widgets_plugin: Plugin) -> None:
    resolved = resolve_request(widgets_plugin, valid_request(general={"size": {"width": 9}}))
    assert resolved.config["general"]["size"] == {"width": 9}  # replaced whole, not merged
    assert resolved.config["general"]["font"] == "Arial"  # untouched keys keep their default


# -- examples -------------------------------------------------------------------------------------


def test_example_overlay_is_two_level(widgets_plugin: Plugin) -> None:
    resolved = resolve_request(widgets_plugin, {"use_example": True})
    extra, general = resolved.config["extra"], resolved.config["general"]
    assert resolved.example_index == 0
    assert extra["p_cutoff"] == 0.01 and extra["methods"] == ["spearman"]  # from the example
    assert extra["top_n"] == 10 and extra["show_labels"] is True  # not in the example: defaults
    assert general["size"] == {"width": 8}  # the example's key replaces whole: no "height"
    assert general["font"] == "Arial"
    assert resolved.config["dataArg"]["datTable"][2] == {"value": "logFC"}
    assert [t.name for t in resolved.tables] == ["datTable", "sampleInfo"]
    assert resolved.tables[0].columns == ["Symbol", "P.Value", "logFC"]
    assert resolved.tables[0].n_rows == 3
    assert widgets_plugin.config["general"]["size"] == {"width": 6, "height": 5}  # not mutated


def test_second_example_by_index(widgets_plugin: Plugin) -> None:
    request = valid_request()
    request["tables"] = {"sampleInfo": SAMPLE_INFO}  # datTable comes from the example (a CSV)
    request["use_example"] = 1
    resolved = resolve_request(widgets_plugin, request)
    assert resolved.example_index == 1
    assert resolved.config["extra"]["top_n"] == 20 and resolved.config["extra"]["p_cutoff"] == 0.05
    assert resolved.tables[0].rows == [["MYC", "0.01", "3.1"]]


def test_user_values_and_tables_win_over_the_example(widgets_plugin: Plugin) -> None:
    table = "Symbol\tP.Value\tlogFC\nKRAS\t0.3\t1\n"
    resolved = resolve_request(
        widgets_plugin,
        {"use_example": 0, "params": {"extra": {"p_cutoff": 0.2}}, "tables": {"datTable": table}},
    )
    assert resolved.config["extra"]["p_cutoff"] == 0.2
    assert resolved.config["extra"]["methods"] == ["spearman"]
    assert resolved.tables[0].rows == [["KRAS", "0.3", "1"]]
    assert resolved.tables[1].columns == ["Sample", "Group", "Batch"]  # still the example's


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (2, "example 2 does not exist: this plugin has 2 examples, numbered 0 to 1"),
        (-1, "example -1 does not exist: this plugin has 2 examples, numbered 0 to 1"),
        ("yes", "use_example must be true, false or the number of an example (got 'yes')"),
        (1.5, "use_example must be true, false or the number of an example (got 1.5)"),
    ],
)
def test_bad_example_choice(widgets_plugin: Plugin, choice: Any, message: str) -> None:
    request = valid_request()
    request["use_example"] = choice
    assert messages_by_field(widgets_plugin, request) == {"/use_example": message}


OPTIONAL_PLUGIN_PARAMS = {
    "dataArg": {"1-counts": [{"value": "Gene"}]},
    "data": {"reference": {"value": "uploads/genome.fa", "link": ""}},
}


def test_example_on_a_plugin_without_one(optional_plugin: Plugin) -> None:
    errors = messages_by_field(optional_plugin, {"use_example": True, "tables": {"1-counts": "Gene,S1\nTP53,1\n"},
                                                 "params": OPTIONAL_PLUGIN_PARAMS})
    assert errors == {"/use_example": "this plugin has no example data"}


# -- tables -------------------------------------------------------------------------------------


def test_missing_tables_are_reported_each(widgets_plugin: Plugin) -> None:
    errors = errors_of(widgets_plugin, {"params": {}, "tables": {"sampleInfo": "  \n"}})
    by_field = {e.field: e for e in errors}
    assert by_field["/tables/datTable"].message == (
        "table 'datTable' is required: paste a table, upload a file or load the example"
    )
    assert by_field["/tables/datTable"].table == "datTable"
    assert by_field["/tables/sampleInfo"].message == (
        "table 'sampleInfo' is required: paste a table, upload a file or load the example"
    )


def test_optional_table_left_out_keeps_positions(optional_plugin: Plugin) -> None:
    resolved = resolve_request(optional_plugin, {
        "tables": {"1-counts": "Gene,S1\nTP53,4\n"},
        "params": OPTIONAL_PLUGIN_PARAMS,
    })
    assert resolved.tables[0] is not None and resolved.tables[0].name == "1-counts"
    assert resolved.tables[1] is None
    assert resolved.table("1-counts") is resolved.tables[0]


def test_required_table_and_file_without_example_say_so(optional_plugin: Plugin) -> None:
    assert messages_by_field(optional_plugin, {}) == {
        "/tables/1-counts": "table '1-counts' is required: paste a table or upload a file",
        "/params/data/reference/value": "choose a file for Reference genome",
    }


def test_a_table_given_as_an_uploaded_file(widgets_plugin: Plugin) -> None:
    request = valid_request(data={"sampleInfo": {"value": "uploads/samples.tsv", "link": ""}})
    del request["tables"]["sampleInfo"]
    resolved = resolve_request(widgets_plugin, request)
    assert resolved.tables[1] is None  # the runtime reads the file; positions stay
    assert resolved.config["data"]["sampleInfo"]["value"] == "uploads/samples.tsv"
    request["params"]["data"]["sampleInfo"]["value"] = "../../secrets.tsv"
    assert messages_by_field(widgets_plugin, request) == {
        "/params/data/sampleInfo/value":
            "Sample information must name a file inside the job's upload folder (got '../../secrets.tsv')",
    }


def test_ragged_table_is_reported_with_table_and_row(widgets_plugin: Plugin) -> None:
    request = valid_request()
    request["tables"]["datTable"] = "Symbol\tP.Value\tlogFC\nTP53\t0.1\t2\nEGFR\t0.2\t1\t9\n"
    errors = errors_of(widgets_plugin, request)
    assert [(e.field, e.table, e.row) for e in errors] == [("/tables/datTable", "datTable", 2)]
    assert errors[0].message == "table 'datTable': row 2 has 4 cells but the header has 3 columns"


def test_table_over_the_size_limit(widgets_plugin: Plugin) -> None:
    request = valid_request()
    with pytest.raises(RequestInvalid) as caught:
        resolve_request(widgets_plugin, request, TableLimits(max_bytes=20))
    assert {e.field for e in caught.value.errors} == {"/tables/datTable", "/tables/sampleInfo"}
    assert all("larger than" in e.message for e in caught.value.errors)


def test_unknown_and_non_text_tables(widgets_plugin: Plugin) -> None:
    request = valid_request()
    request["tables"]["other"] = "a\tb\n1\t2\n"
    request["tables"]["sampleInfo"] = ["S1", "S2"]
    assert messages_by_field(widgets_plugin, request) == {
        "/tables/other": "unknown table 'other' (this plugin's tables: datTable, sampleInfo)",
        "/tables/sampleInfo": "table 'sampleInfo' must be the table's text, tab- or comma-separated "
                              "(got [\"S1\", \"S2\"])",
    }


# -- column choices ---------------------------------------------------------------------------------


def test_column_not_in_table(widgets_plugin: Plugin) -> None:
    request = valid_request(dataArg={"datTable": [{"value": "Symbol"}, {"value": "P.Value"}, {"value": "log2FC"}]})
    errors = errors_of(widgets_plugin, request)
    assert len(errors) == 1
    error = errors[0]
    assert error.field == "/params/dataArg/datTable/2/value"
    assert error.message == "column 'log2FC' is not in table datTable (its columns: Symbol, P.Value, logFC)"
    assert (error.column, error.table) == ("log2FC", "datTable")


def test_multiple_choice_with_one_bad_column(widgets_plugin: Plugin) -> None:
    request = valid_request(dataArg={"sampleInfo": [{"value": "Sample"}, {"value": ["Group", "Nope", "Batch"]}]})
    errors = errors_of(widgets_plugin, request)
    assert [(e.field, e.column) for e in errors] == [("/params/dataArg/sampleInfo/1/value/1", "Nope")]
    assert errors[0].message == "column 'Nope' is not in table sampleInfo (its columns: Sample, Group, Batch)"


def test_required_role_must_be_chosen(widgets_plugin: Plugin) -> None:
    request = valid_request(dataArg={"datTable": [{"value": ""}, {"value": "P.Value"}, {"value": ""}]})
    assert messages_by_field(widgets_plugin, request) == {
        "/params/dataArg/datTable/0/value": "choose a column for Gene symbol of table datTable",
    }


def test_required_role_missing_from_a_short_list(widgets_plugin: Plugin) -> None:
    request = valid_request(dataArg={"datTable": [{"value": "Symbol"}]})
    assert messages_by_field(widgets_plugin, request) == {
        "/params/dataArg/datTable/1/value": "choose a column for P value of table datTable",
    }


def test_column_choice_of_the_wrong_shape(widgets_plugin: Plugin) -> None:
    request = valid_request(dataArg={
        "datTable": [{"value": 5}, {"value": "P.Value"}, {"value": "logFC"}],
        "sampleInfo": [{"value": ["Sample", "Group"]}, {"value": "Group"}],
    })
    assert messages_by_field(widgets_plugin, request) == {
        "/params/dataArg/datTable/0/value": "Gene symbol must be a column name (got 5)",
        "/params/dataArg/sampleInfo/0/value": 'Sample must be a column name (got ["Sample", "Group"])',
    }


def test_unknown_table_in_column_choices(widgets_plugin: Plugin) -> None:
    request = valid_request(dataArg={"nope": [{"value": "x"}]})
    assert messages_by_field(widgets_plugin, request) == {
        "/params/dataArg/nope": "unknown table 'nope' (this plugin's tables: datTable, sampleInfo)",
    }


# -- request shape ------------------------------------------------------------------------------------


@pytest.mark.parametrize("junk", [[], "params", None, 3, 2.5, True, [{"params": {}}]])
def test_a_request_that_is_not_an_object(widgets_plugin: Plugin, junk: Any) -> None:
    errors = errors_of(widgets_plugin, junk)
    assert len(errors) == 1 and errors[0].field == ""
    assert errors[0].message.startswith("the request must be a JSON object with params, tables and use_example")


def test_shape_errors_are_all_collected(widgets_plugin: Plugin) -> None:
    request = {
        "params": {"extra": "p_cutoff=0.1", "general": {"alpha": 5}, "stuff": {}},
        "tables": {"datTable": DAT_TABLE},
        "use_example": False,
        "colour": "red",
    }
    assert messages_by_field(widgets_plugin, request) == {
        "/colour": "unknown field 'colour' in the request (expected params, tables, use_example)",
        "/params/extra": "Parameters must be a JSON object of named values (got 'p_cutoff=0.1')",
        "/params/stuff": "unknown section 'stuff' in params (expected data, dataArg, general, extra)",
        "/params/general/alpha": "Opacity must be between 0 and 1 (got 5)",
        "/tables/sampleInfo": "table 'sampleInfo' is required: paste a table, upload a file or load the example",
        "/params/dataArg/datTable/0/value": "choose a column for Gene symbol of table datTable",
        "/params/dataArg/datTable/1/value": "choose a column for P value of table datTable",
    }


def test_params_not_an_object(widgets_plugin: Plugin) -> None:
    request = valid_request()
    request["params"] = [1, 2]
    errors = messages_by_field(widgets_plugin, request)
    assert errors["/params"] == (
        "params must be a JSON object with the sections data, dataArg, general, extra (got [1, 2])"
    )


def test_deeply_nested_request_is_refused_without_recursion(widgets_plugin: Plugin) -> None:
    nested: Any = "x"
    for _ in range(100_000):
        nested = [nested]
    errors = errors_of(widgets_plugin, {"params": {"extra": {"note": nested}}})
    assert [e.message for e in errors] == ["the request is nested more than 64 levels deep"]


def test_field_error_to_dict_and_request_invalid() -> None:
    error = FieldError("/tables/datTable", "table 'datTable': row 2 ...", column=None, row=2, table="datTable")
    assert error.to_dict() == {
        "field": "/tables/datTable", "message": "table 'datTable': row 2 ...",
        "column": None, "row": 2, "table": "datTable",
    }
    assert RequestInvalid([error]).to_list() == [error.to_dict()]
    with pytest.raises(ValueError, match="at least one"):
        RequestInvalid([])


def test_resolved_config_is_a_copy(widgets_plugin: Plugin) -> None:
    request = valid_request(extra={"methods": ["pearson"]})
    resolved = resolve_request(widgets_plugin, request)
    resolved.config["extra"]["methods"].append("kendall")
    resolved.config["general"]["size"]["width"] = 1
    assert request["params"]["extra"]["methods"] == ["pearson"]
    assert widgets_plugin.config["general"]["size"]["width"] == 6
    assert widgets_plugin.examples[0]["config"]["extra"]["methods"] == ["spearman"]


# -- arbitrary JSON never escapes as another exception ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
extra_keys = st.sampled_from(["p_cutoff", "top_n", "methods", "groups", "x_range", "point_colour",
                              "genome_file", "note", "seed", "unknown"])
sections = st.fixed_dictionaries({}, optional={
    "extra": st.dictionaries(extra_keys, json_values, max_size=5) | json_values,
    "general": st.dictionaries(st.sampled_from(["size", "alpha", "paletteCustom", "x"]), json_values) | json_values,
    "dataArg": st.dictionaries(st.sampled_from(["datTable", "sampleInfo", "x"]),
                               st.lists(st.fixed_dictionaries({"value": json_values}) | json_values, max_size=4))
    | json_values,
    "data": json_values,
})
shaped_requests = st.fixed_dictionaries({}, optional={
    "params": sections | json_values,
    "tables": st.dictionaries(st.sampled_from(["datTable", "sampleInfo", "other"]),
                              st.text(alphabet="ab,\t\n1 \"", max_size=40) | json_values),
    "use_example": st.booleans() | st.integers(-3, 5) | json_values,
    "junk": json_values,
})


def _check_outcome(plugin: Plugin, request: Any) -> None:
    try:
        resolved = resolve_request(plugin, request)
    except RequestInvalid as exc:
        assert exc.errors
        for error in exc.errors:
            assert isinstance(error, FieldError)
            assert isinstance(error.field, str) and (error.field == "" or error.field.startswith("/"))
            assert isinstance(error.message, str) and error.message
        json.dumps(exc.to_list())
    else:
        assert isinstance(resolved, Resolved)
        assert len(resolved.tables) == len(plugin.table_names)
        json.dumps(resolved.config)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=json_values)
def test_arbitrary_json_gives_field_errors_only(widgets_plugin: Plugin, request: Any) -> None:
    _check_outcome(widgets_plugin, request)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=shaped_requests)
def test_request_shaped_junk_gives_field_errors_only(widgets_plugin: Plugin, request: dict[str, Any]) -> None:
    _check_outcome(widgets_plugin, copy.deepcopy(request))
