"""A plugin's own error, explained in terms of the column or parameter it concerns."""

from __future__ import annotations

from plugin_sdk.loader import load_plugin
from plugin_sdk.runtime.diagnosis import diagnose, numeric_roles
from plugin_sdk.tables import parse_table_text
from tests.plugin_factory import make_plugin

TABLE = parse_table_text("gene\tgroup\tvalue\nTP53\tA\t1.5\nMYC\tB\tn.d.\n", "datTable")


def config(*columns: str) -> dict:
    return {"dataArg": {"datTable": [{"value": c} for c in columns]}, "extra": {"cutoff": 1}}


def probe_plugin(tmp_path):
    # The factory's example chooses gene (text) then group (text) then value (numbers).
    return load_plugin(make_plugin(tmp_path, "x <- 1\n", roles=3)).plugin


def test_numeric_roles_come_from_the_example(tmp_path):
    assert numeric_roles(probe_plugin(tmp_path)) == {("datTable", 2)}


def test_text_in_a_numeric_role_names_column_row_and_role(tmp_path):
    message, errors = diagnose("Error in -log10(x): non-numeric argument to mathematical function",
                               config("gene", "group", "value"), [TABLE], probe_plugin(tmp_path))
    assert "Column 'value' of table datTable holds text (row 2: 'n.d.')" in message
    assert errors == [{"field": "/params/dataArg/datTable/2/value", "message": message, "column": "value",
                       "row": 2, "table": "datTable"}]


def test_a_quoted_chosen_column_is_named_with_its_role():
    message, errors = diagnose("Error: Column `group` must be numeric", config("gene", "group"), [TABLE])
    assert "column 'group', chosen for role 2 of table datTable" in message
    assert errors[0]["field"] == "/params/dataArg/datTable/1/value"


def test_a_quoted_parameter_is_named():
    message, errors = diagnose("Error: 'cutoff' must be below the largest value", config("gene"), [TABLE])
    assert "parameter 'cutoff'" in message
    assert errors[0]["field"] == "/params/extra/cutoff"


def test_an_unrelated_error_has_no_field_error():
    message, errors = diagnose("Error in f(): something odd happened", config("gene"), [TABLE])
    assert message == "The plot failed: something odd happened"
    assert errors == []


def test_rlang_bullets_do_not_hide_the_sentence():
    raw = "Error in `geom_point()`:\n! Problem while computing aesthetics.\nℹ Error occurred in the 1st layer."
    message, _ = diagnose(raw, config("gene"), [TABLE])
    assert "Problem while computing aesthetics" in message or "geom_point" in message
