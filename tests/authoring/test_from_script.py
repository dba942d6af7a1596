"""`plotforge plugin from-script`: an annotated R function becomes a plugin that lints clean and runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from plugin_sdk.fromscript import FromScriptError, convert_script, read_spec
from plugin_sdk.loader import load_plugin
from plugin_sdk.runtime.runner import run_plugin
from tests.authoring.helpers import FIXTURES, invoke

SCRIPT = FIXTURES / "from_script" / "volcano.R"


@pytest.fixture
def converted(tmp_path: Path) -> Path:
    result = invoke("plugin", "from-script", SCRIPT, "--out", tmp_path / "plugins")
    assert result.exit_code == 0, result.output
    return tmp_path / "plugins" / "hisub" / "volcano-hisub"


def test_the_tags_describe_the_plugin():
    spec = read_spec(SCRIPT)
    assert (spec.module, spec.tool, spec.main) == ("hisub", "volcano-hisub", "draw_volcano")
    assert spec.title == {"en": "Volcano plot", "zh_cn": "火山图"}
    assert spec.intro["en"] == "Fold change against significance for every gene, with the top genes labelled."
    assert spec.tags == ["expression", "differential"]
    assert spec.libraries == ["ggplot2", "ggrepel"]
    assert [t.name for t in spec.tables] == ["data"]
    # The first role has no "default": the example's column at the role's index is used.
    assert [(r.name, r.index, r.example) for r in spec.roles] == [
        ("gene", 1, "Symbol"), ("pvalue", 2, "P.Value"), ("logfc", 3, "logFC")]
    assert {e.name: e.default for e in spec.extras} == {"p_cutoff": 0.05, "fc_cutoff": 1, "top_n": 5,
                                                        "show_lines": True}
    assert spec.output.export_types == ["pdf", "png", "svg"]
    assert spec.output.general["size"] == {"width": 5, "height": 4}


def test_the_plugin_lints_clean_with_strict(converted):
    files = {p.name for p in converted.iterdir()}
    assert files == {"meta.json", "data.json", "ui.json", "plot.R", "source.R", "README.md", "README-zh_cn.md",
                     "volcano.txt"}
    result = invoke("plugin", "lint", "--strict", converted)
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output


def test_the_documents_carry_the_tags(converted):
    data = json.loads((converted / "data.json").read_text(encoding="utf-8"))
    ui = json.loads((converted / "ui.json").read_text(encoding="utf-8"))
    meta = json.loads((converted / "meta.json").read_text(encoding="utf-8"))
    config = data["params"]["config"]
    assert config["extra"] == {"p_cutoff": 0.05, "fc_cutoff": 1, "top_n": 5, "show_lines": True}
    assert config["general"]["imageExportType"] == ["pdf", "png", "svg"]
    assert config["general"]["palette"] == "npg" and config["general"]["title"] == "Volcano"
    assert data["exampleData"]["config"]["dataArg"]["data"] == [{"value": "Symbol"}, {"value": "P.Value"},
                                                               {"value": "logFC"}]
    assert data["exampleData"]["textarea"]["data"] == SCRIPT.with_name("volcano.txt").read_text(encoding="utf-8")
    assert ui["extra"]["p_cutoff"] == {"type": "slider", "label": {"en": "P cutoff", "zh_cn": "P 阈值"},
                                       "class": "col-12 col-md-6", "min": 0, "max": 1, "step": 0.01}
    assert [p["label"]["en"] for p in ui["dataArg"]["data"]] == ["Gene", "P value", "log2 fold change"]
    assert meta["tag"] == ["vue", "expression", "differential"]
    assert meta["meta"]["author"] == "PlotForge tests" and meta["meta"]["version"] == "v0.1.0"


def test_plot_r_calls_the_function_by_argument_name_with_values_as_data(converted):
    plot = (converted / "plot.R").read_text(encoding="utf-8")
    assert 'pkgs <- c("ggplot2", "ggrepel")' in plot
    assert "  gene = conf$dataArg[[\"data\"]][[1]]$value,\n" in plot
    assert "  p_cutoff = unlist(conf$extra[[\"p_cutoff\"]]),\n" in plot
    assert "  data = data,\n" in plot
    assert "point_size" not in plot  # a plain roxygen @param keeps the function's default
    assert plot.rstrip().endswith("export_single(p)")
    assert (converted / "source.R").read_text(encoding="utf-8") == SCRIPT.read_text(encoding="utf-8")


def test_an_existing_folder_is_kept_unless_forced(converted, tmp_path):
    (converted / "tests").mkdir()
    (converted / "tests" / "mine.json").write_text("{}", encoding="utf-8")
    refused = invoke("plugin", "from-script", SCRIPT, "--out", tmp_path / "plugins")
    assert refused.exit_code == 1
    assert "already exists; pass --force" in refused.output
    forced = invoke("plugin", "from-script", SCRIPT, "--out", tmp_path / "plugins", "--force")
    assert forced.exit_code == 0, forced.output
    assert (converted / "tests" / "mine.json").is_file()


BROKEN = """\
#' @appname broken
#' @apptitel Broken | 坏的
#' @main draw
#' @param data export::data::hiplot-textarea::{"default": "volcano.txt"}
#' @param column export::dataArg::other::{"index": 1}
#' @param cutoff export::extra::slider::{"default": 0.05, "min": 0,}
#' @param ghost export::extra::switch::{"default": true}
#' @param size export::extra::knob::{"default": 1}
#' @return ggplot::["pdf", "gif"]
draw <- function(data, column, cutoff, needed) {
  NULL
}
"""


def test_errors_name_the_script_line(tmp_path):
    script = tmp_path / "broken.R"
    script.write_text(BROKEN, encoding="utf-8")
    shutil.copy(SCRIPT.with_name("volcano.txt"), tmp_path / "volcano.txt")
    with pytest.raises(FromScriptError) as caught:
        read_spec(script)
    lines = caught.value.lines()
    assert lines == [
        "broken.R:2: unknown tag @apptitel (did you mean @apptitle?)",
        "broken.R:5: @param column: table 'other' is not an input table (the tables: data)",
        "broken.R:6: @param cutoff: the JSON after 'slider::' does not parse: Expecting property name enclosed in "
        "double quotes (character 28 of the JSON)",
        "broken.R:7: @param ghost: draw() has no argument ghost (its arguments: data, column, cutoff, needed)",
        "broken.R:8: @param size: widget 'knob' is not one of slider, switch, select, autocomplete, combobox, "
        "color-picker, text-field, range-slider",
        "broken.R:9: @return: the output kinds ['pdf', 'gif'] must be a list of pdf, png, jpeg, tiff, svg, plotly",
        "broken.R:10: draw(): argument 'cutoff' has no default and no '@param cutoff export::...' line, so the "
        "plugin cannot set it",
        "broken.R:10: draw(): argument 'needed' has no default and no '@param needed export::...' line, so the "
        "plugin cannot set it",
        "broken.R: @author is missing: name the author, e.g. #' @author Jane Doe",
    ]


def test_a_missing_example_file_and_main_function_are_reported(tmp_path):
    script = tmp_path / "lonely.R"
    script.write_text(
        "#' @appname lonely\n#' @author Me\n#' @main draw\n"
        "#' @param data export::data::hiplot-textarea::{\"default\": \"nowhere.txt\"}\n"
        "#' @return ggplot::[\"pdf\"]\nplot_it <- function(data) NULL\n",
        encoding="utf-8")
    result = invoke("plugin", "from-script", script, "--out", tmp_path / "plugins")
    assert result.exit_code == 1
    assert "lonely.R:3: @main draw: the script defines no draw <- function(...)" in result.output
    assert "lonely.R:4: @param data: the example file nowhere.txt is not next to the script" in result.output
    assert not (tmp_path / "plugins").exists()


def test_convert_script_refuses_to_overwrite(tmp_path):
    convert_script(SCRIPT, tmp_path)
    with pytest.raises(FromScriptError, match="already exists"):
        convert_script(SCRIPT, tmp_path)


@pytest.mark.slow
def test_the_plugin_runs_its_example_and_writes_every_declared_kind(converted, tmp_path, r_library):
    loaded = load_plugin(converted)
    assert loaded.plugin is not None, [str(f) for f in loaded.findings]
    result = run_plugin(loaded.plugin, {"use_example": True}, tmp_path / "job")
    assert result.ok, (result.message, result.log_tail)
    assert {o.kind for o in result.outputs} >= {"pdf", "png", "svg"}
    assert all(o.size > 0 for o in result.outputs)
