"""Running one plugin: outcomes a biologist can act on, and nothing left running."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from plugin_sdk.loader import load_plugin
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.outcome import Reason
from plugin_sdk.runtime.runner import run_plugin
from tests.plugin_factory import make_plugin

pytestmark = pytest.mark.slow

R_HEADER = 'pkgs <- c("ggplot2")\npacman::p_load(pkgs, character.only = TRUE)\n'
R_PLOT = (
    R_HEADER
    + "x <- conf$dataArg[[1]][[1]]$value\ny <- conf$dataArg[[1]][[2]]$value\n"
    + "p <- ggplot(data, aes(.data[[x]], .data[[y]])) + geom_col()\nexport_single(p)\n"
)


def load(folder: Path):
    result = load_plugin(folder)
    assert result.plugin is not None, [str(f) for f in result.findings if f.is_error]
    return result.plugin


def run(tmp_path: Path, script: str, request: dict | None = None, limits: Limits | None = None, **kw):
    plugin = load(make_plugin(tmp_path / "plugins", script, **kw))
    request = request if request is not None else {"use_example": True}
    return run_plugin(plugin, request, tmp_path / "job", limits=limits)


def pids_running_script(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(int(entry))
    return found


def test_r_plugin_writes_every_requested_kind(tmp_path, r_library):
    result = run(tmp_path, R_PLOT, export_types=["pdf", "png", "svg"])
    assert result.ok, (result.message, result.log_tail)
    kinds = {o.kind for o in result.outputs}
    assert {"pdf", "png", "svg"} <= kinds
    assert all(o.size > 0 for o in result.outputs)
    assert (result.output_dir / "probe.pdf").is_file()


def test_bundle_holds_plugin_inputs_config_versions_and_command(tmp_path, r_library):
    result = run(tmp_path, R_PLOT)
    assert result.ok, result.message
    with zipfile.ZipFile(result.bundle) as archive:
        names = set(archive.namelist())
        assert "plugin/test/probe/plot.R" in names
        assert "input/1-datTable.tsv" in names
        config = json.loads(archive.read("config.json"))
        versions = json.loads(archive.read("versions.json"))
        command = archive.read("reproduce.sh").decode()
    assert config["params"]["dataArg"]["datTable"][0]["value"] == "gene"
    assert "pandas" in versions["python"]
    assert "plotforge run plugin/test/probe --params config.json" in command
    assert "--input datTable=input/1-datTable.tsv" in command


def test_r_error_gives_its_message(tmp_path, r_library):
    result = run(tmp_path, 'stop("the cutoff must be positive")\n')
    assert result.reason is Reason.PLUGIN_ERROR
    assert "the cutoff must be positive" in result.message


def test_r_error_names_the_column_it_concerns(tmp_path, r_library):
    script = R_HEADER + 'v <- data[["value"]]\nif (max(v) > 1) stop("column \'value\' has values above 1")\n'
    result = run(tmp_path, script)
    assert result.reason is Reason.PLUGIN_ERROR
    assert "column 'value' of table datTable" in result.message


def test_missing_column_is_a_field_error_before_anything_runs(tmp_path):
    request = {"use_example": True, "params": {"dataArg": {"datTable": [{"value": "gene"}, {"value": "logFC"}]}}}
    result = run(tmp_path, R_PLOT, request=request)
    assert result.reason is Reason.INVALID_INPUT
    assert any("'logFC'" in e["message"] and "datTable" in e["message"] for e in result.field_errors)
    assert not (tmp_path / "job").exists()


def test_wrong_parameter_type_is_a_field_error(tmp_path):
    extra = {"cutoff": 0.05}
    extra_ui = {"cutoff": {"type": "slider", "label": "Cutoff", "min": 0, "max": 1, "step": 0.01}}
    request = {"use_example": True, "params": {"extra": {"cutoff": "high"}}}
    result = run(tmp_path, R_PLOT, request=request, extra=extra, extra_ui=extra_ui)
    assert result.reason is Reason.INVALID_INPUT
    assert [e["field"] for e in result.field_errors] == ["/params/extra/cutoff"]


@pytest.mark.parametrize("body", ["Sys.sleep(60)\n", "repeat { x <- 1 }\n"], ids=["sleep", "loop"])
def test_timeout_stops_the_script_and_leaves_nothing_running(tmp_path, r_library, body):
    marker = f"pf-timeout-{tmp_path.name}"
    result = run(tmp_path / marker, body, limits=Limits(wall_clock_s=3))
    assert result.reason is Reason.TIMEOUT
    assert "longer than 3 s" in result.message
    assert pids_running_script(marker) == []


def test_memory_blow_up_is_named(tmp_path, r_library):
    result = run(tmp_path, "x <- numeric(4e9)\n", limits=Limits(memory_mb=1024))
    assert result.reason is Reason.OUT_OF_MEMORY, (result.message, result.log_tail)
    assert "ran out of memory" in result.message


@pytest.mark.parametrize(
    "script",
    ['pacman::p_load("notARealPackage")\n', "library(notARealPackage)\n"],
    ids=["pacman", "library"],
)
def test_missing_r_package_is_named(tmp_path, r_library, script):
    result = run(tmp_path, script)
    assert result.reason is Reason.MISSING_PACKAGE, (result.message, result.detail)
    assert "'notARealPackage'" in result.message


def test_non_utf8_input_is_decoded(tmp_path, r_library):
    table = "gene\tgroup\tvalue\nCafé\tA\t1\nNaïve\tB\t2\n"
    source = tmp_path / "latin1.tsv"
    source.write_bytes(table.encode("latin-1"))
    from plugin_sdk.tables import read_table_file

    text = read_table_file(source, "datTable").to_tsv()
    request = {"use_example": True, "tables": {"datTable": text}}
    result = run(tmp_path, R_PLOT, request=request)
    assert result.ok, result.message
    assert "Café" in (tmp_path / "job" / "input" / "1-datTable.tsv").read_text(encoding="utf-8")


def test_ragged_table_names_the_row(tmp_path):
    ragged = "gene\tgroup\tvalue\nG1\tA\t1\nG2\tB\t2\textra\tcells\n"
    result = run(tmp_path, R_PLOT, request={"use_example": True, "tables": {"datTable": ragged}})
    assert result.reason is Reason.INVALID_INPUT
    assert any(e.get("row") == 2 and "row 2" in e["message"] for e in result.field_errors)


def test_short_rows_are_padded_like_fread_fill(tmp_path, r_library):
    short = "gene\tgroup\tvalue\nG1\tA\t1\nG2\tB\nG3\tA\t3\n"
    result = run(tmp_path, R_PLOT, request={"use_example": True, "tables": {"datTable": short}})
    assert result.ok, result.message


def test_header_only_table_is_refused_with_a_message(tmp_path):
    result = run(tmp_path, R_PLOT, request={"use_example": True, "tables": {"datTable": "gene\tgroup\tvalue\n"}})
    assert result.reason is Reason.INVALID_INPUT
    assert any("no data rows" in e["message"] and e.get("table") == "datTable" for e in result.field_errors)


def test_blank_table_without_example_is_refused_with_a_message(tmp_path):
    roles = {"datTable": [{"value": "gene"}, {"value": "value"}]}
    request = {"tables": {"datTable": "\n \n"}, "params": {"dataArg": roles}}
    result = run(tmp_path, R_PLOT, request=request)
    assert result.reason is Reason.INVALID_INPUT
    assert any(e["field"] == "/tables/datTable" for e in result.field_errors), result.field_errors


def test_python_plugin_error_and_success(tmp_path, mpl_config_dir):
    good = (
        "import matplotlib.pyplot as plt\n"
        "def main(ctx):\n"
        "    fig, ax = plt.subplots(figsize=ctx.figsize)\n"
        "    ax.bar(ctx.data[ctx.column(0)], ctx.data['value'])\n"
        "    ctx.export_single(fig)\n"
    )
    result = run(tmp_path / "good", good, language="python", export_types=["pdf", "png", "svg"])
    assert result.ok, (result.message, result.log_tail)
    assert {o.kind for o in result.outputs} >= {"pdf", "png", "svg"}
    bad = "def main(ctx):\n    raise ValueError('groups must differ')\n"
    result = run(tmp_path / "bad", bad, language="python")
    assert result.reason is Reason.PLUGIN_ERROR
    assert "groups must differ" in result.message


@pytest.mark.parametrize("language", ["r", "python"])
def test_an_optional_table_left_out_reaches_the_script_as_null(tmp_path, r_library, mpl_config_dir, language):
    if language == "r":
        script = R_HEADER + 'stopifnot(is.null(data2))\nexport_single(ggplot(data) + geom_blank())\n'
    else:
        script = (
            "import matplotlib.pyplot as plt\n"
            "def main(ctx):\n"
            "    assert ctx.tables[1] is None and ctx.table('extra') is None\n"
            "    fig, ax = plt.subplots()\n"
            "    ctx.export_single(fig)\n"
        )
    result = run(tmp_path, script, language=language, optional_table="extra")
    assert result.ok, (result.message, result.log_tail)
