"""The Python plugin runtime: job folder in, outputs + result.json + status.json out.

Each test builds a job folder the way the runner does and runs a small plot.py from
tests/fixtures/python_plugins/ through `run_job`, in this process (the forked-child path), or
through `python -m plugin_sdk.runtime.run_python` (the subprocess path).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import openpyxl
import pandas as pd
import pytest
from matplotlib import colors as mcolors
from PIL import Image

from plugin_sdk.api import (
    PlotContext,
    apply_general_style,
    atomic_output,
    export_figure,
    hue_colors,
    normalize_config,
    palette_colors,
    parse_colors,
    write_tables_xlsx,
)
from plugin_sdk.runtime.run_python import run_job
from tests.conftest import require_tool

FIXTURES = Path(__file__).parent / "fixtures" / "python_plugins"
REPO = Path(__file__).resolve().parent.parent
CHINESE_TITLE = "基因表达散点图 Gene expression"
SCATTER_TABLE = "logFC\tP.Value\tgroup\n1.5\t0.01\tup\n-2.1\t0.002\tdown\n0.1\t0.5\tns\n2.2\t0.001\tup\n-0.3\t0.7\tns\n"
SCATTER_ROLES = {"datTable": [{"value": "logFC"}, {"value": "P.Value"}, {"value": "group"}]}
ALL_IMAGE_KINDS = ["pdf", "png", "jpeg", "tiff", "svg"]


@pytest.fixture(autouse=True)
def _matplotlib_cache(mpl_config_dir: Path) -> None:
    """Every test here draws: share the session's font cache."""


def make_job(
    root: Path,
    plugin: str,
    tables: dict[str, str] | None = None,
    general: dict | None = None,
    extra: dict | None = None,
    data_arg: dict | None = None,
) -> Path:
    """A job folder as the runner writes it; returns the path of job.json."""
    tables = {"datTable": SCATTER_TABLE} if tables is None else tables
    (root / "input").mkdir(parents=True)
    (root / "uploads").mkdir()
    entries = []
    for number, (name, text) in enumerate(tables.items(), start=1):
        path = root / "input" / f"{number}-{name}.tsv"
        path.write_text(text, encoding="utf-8")
        entries.append({"name": name, "path": str(path)})
    job = {
        "plugin_dir": str(FIXTURES / plugin),
        "scripts": ["plot.py"],
        "tables": entries,
        "config": {
            "data": {},
            "dataArg": data_arg if data_arg is not None else SCATTER_ROLES,
            "general": general or {},
            "extra": extra or {},
        },
        "output_prefix": str(root / "output" / plugin),
        "upload_dir": str(root / "uploads"),
    }
    job_json = root / "job.json"
    job_json.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    return job_json


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def output(job_json: Path, name: str) -> Path:
    return job_json.parent / "output" / name


# ---------------------------------------------------------------------------------------------
# matplotlib outputs
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scatter_job(tmp_path_factory: pytest.TempPathFactory, mpl_config_dir: Path) -> Path:
    """One run of the scatter fixture with every image kind, shared by the output checks."""
    root = tmp_path_factory.mktemp("scatter")
    general = {
        "imageExportType": ALL_IMAGE_KINDS,
        "size": {"width": 5.5, "height": 4.2},
        "title": CHINESE_TITLE,
        "titleSize": 14,
        "palette": "npg",
        "legendPos": "bottom",
        "theme": "theme_bw",
        "xAxisTextAngle": 45,
        "xAxisHjust": 1,
        "xAxisVjust": 1,
    }
    job_json = make_job(root, "scatter_cjk", general=general, extra={"point_size": 40})
    assert run_job(job_json) is True, read_json(root / "result.json")
    return job_json


@pytest.mark.slow  # shares the scatter_job run (a few seconds: five files at 300 dpi)
def test_a_successful_run_writes_ok_and_every_step_done(scatter_job: Path) -> None:
    assert read_json(scatter_job.parent / "result.json") == {"ok": True}
    status = read_json(scatter_job.parent / "status.json")
    assert status["id"] == [1, 2, 3]
    assert status["label"][0] == "en:Read input;zh_cn:读取数据"
    assert status["status"] == [2, 2, 2]


@pytest.mark.slow  # shares the scatter_job run (a few seconds: five files at 300 dpi)
def test_every_requested_kind_is_written_and_nothing_half_written(scatter_job: Path) -> None:
    names = sorted(p.name for p in (scatter_job.parent / "output").iterdir())
    assert names == sorted(f"scatter_cjk.{kind}" for kind in ALL_IMAGE_KINDS)


@pytest.mark.slow  # shares the scatter_job run (a few seconds: five files at 300 dpi)
@pytest.mark.parametrize("kind", ["png", "jpeg", "tiff"])
def test_raster_images_are_exactly_inches_times_300_pixels(scatter_job: Path, kind: str) -> None:
    with Image.open(output(scatter_job, f"scatter_cjk.{kind}")) as image:
        assert image.size == (round(5.5 * 300), round(4.2 * 300))
        assert round(image.info["dpi"][0]) == 300


@pytest.mark.slow  # shares the scatter_job run (a few seconds: five files at 300 dpi)
def test_pdf_embeds_every_font_and_keeps_the_chinese_title_as_text(scatter_job: Path) -> None:
    pdf = output(scatter_job, "scatter_cjk.pdf")
    fonts = subprocess.run([require_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    for row in rows:  # columns: name type encoding emb sub uni object ID
        assert row.split()[-5] == "yes", f"font not embedded: {row}"
    assert any("NotoSansCJK" in row for row in rows), fonts
    assert any("Liberation" in row for row in rows), "Arial should map to Liberation Sans"
    text = subprocess.run([require_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert CHINESE_TITLE in text


@pytest.mark.slow  # shares the scatter_job run (a few seconds: five files at 300 dpi)
def test_svg_keeps_text_editable(scatter_job: Path) -> None:
    svg = output(scatter_job, "scatter_cjk.svg").read_text(encoding="utf-8")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert CHINESE_TITLE in texts
    assert "logFC" in texts


def test_ctx_log_lines_reach_the_job_log(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    job_json = make_job(tmp_path, "scatter_cjk", general={"imageExportType": ["png"]}, extra={"point_size": 10})
    assert run_job(job_json)
    assert "drew 5 points in 3 groups" in capfd.readouterr().err


@pytest.mark.slow  # shares the scatter_job run (a few seconds: five files at 300 dpi)
def test_the_png_shows_the_plot(scatter_job: Path) -> None:
    # Not blank: a white page would mean the figure was lost on the way to the file.
    with Image.open(output(scatter_job, "scatter_cjk.png")) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50
    npg_red = tuple(int(palette_colors("npg", 1)[0][i : i + 2], 16) for i in (1, 3, 5))
    assert any(colour == npg_red for _, colour in colours), "the palette's first colour should be drawn"


def test_a_figure_size_is_exact_even_when_inches_times_dpi_is_fractional(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    [png] = export_figure(fig, ["png"], tmp_path / "odd", (4.123, 3.001), dpi=300)
    with Image.open(png) as image:
        assert image.size == (round(4.123 * 300), round(3.001 * 300))


def test_kinds_that_do_not_apply_are_skipped_with_a_log_line(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    lines: list[str] = []
    written = export_figure(fig, ["plotly", "jpg", "ppt"], tmp_path / "fig", log=lines.append)
    assert [p.name for p in written] == ["fig.jpeg"]
    assert len(lines) == 2 and "plotly" in lines[0] and "ppt" in lines[1]


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError), atomic_output(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# plotly
# ---------------------------------------------------------------------------------------------


def test_a_plotly_figure_gives_a_self_contained_page(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    table = "gene\tcount\nTP53\t12\nEGFR\t7\nMYC\t3\n"
    general = {"imageExportType": ["png", "pdf"], "title": "计数"}
    job_json = make_job(
        tmp_path,
        "plotly_bar",
        tables={"datTable": table},
        general=general,
        data_arg={"datTable": [{"value": "gene"}, {"value": "count"}]},
    )
    assert run_job(job_json), read_json(tmp_path / "result.json")
    page = output(job_json, "plotly_bar.plotly.html").read_text(encoding="utf-8")
    assert "Plotly.newPlot" in page and "TP53" in page
    assert not re.search(r"<script[^>]+src=[\"']?https?://", page), "plotly.js must be inlined, not loaded from a CDN"
    assert len(page) > 1_000_000  # plotly.js itself is in the page
    # kaleido is not installed here: no static images, and the user is told why.
    assert sorted(p.name for p in (tmp_path / "output").iterdir()) == ["plotly_bar.plotly.html"]
    assert "static images of plotly figures are not available on this server" in capfd.readouterr().err


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------


def test_export_tables_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    table = "label\tvalue\n=1+1\t1\n+1\t2\n-x\t3\n@y\t4\n=1+1\t5\n"
    job_json = make_job(
        tmp_path,
        "summary_tables",
        tables={"datTable": table},
        data_arg={"datTable": [{"value": "label"}, {"value": "value"}]},
    )
    assert run_job(job_json), read_json(tmp_path / "result.json")
    book = openpyxl.load_workbook(output(job_json, "summary_tables.xlsx"))
    assert book.sheetnames == ["summary", "raw input", "bad_name_with_chars_"]
    raw = book["raw input"]
    labels = [raw.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.value for c in labels] == ["=1+1", "+1", "-x", "@y", "=1+1"]
    assert all(c.data_type == "s" for c in labels)
    assert raw.cell(row=2, column=2).value == 1 and raw.cell(row=2, column=2).data_type == "n"
    summary = book["summary"]
    # The grouped index is kept as the first column.
    assert [c.value for c in summary[1]] == ["label", "count", "mean"]
    assert summary.cell(row=2, column=1).value == "+1" and summary.cell(row=2, column=1).data_type == "s"


def test_sheet_names_are_made_legal_and_unique(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, float("nan"), float("inf")], "b": ["x", None, "=SUM(A1:A2)"]})
    long_name = "a name that is far longer than thirty-one characters"
    sheets = {long_name: frame, long_name + "!": frame, "[x]": frame, "History": frame}
    path = write_tables_xlsx(sheets, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    assert all(len(name) <= 31 for name in book.sheetnames)
    assert len(set(book.sheetnames)) == 4
    assert book.sheetnames[2] == "_x_"
    sheet = book.worksheets[0]
    assert sheet["A3"].value is None  # NaN: an empty cell
    assert sheet["A4"].value == "Inf"
    assert sheet["B4"].value == "=SUM(A1:A2)" and sheet["B4"].data_type == "s"


# ---------------------------------------------------------------------------------------------
# failures
# ---------------------------------------------------------------------------------------------


def test_a_plot_that_raises_reports_its_message(tmp_path: Path) -> None:
    job_json = make_job(tmp_path, "raises")
    assert run_job(job_json) is False
    result = read_json(tmp_path / "result.json")
    assert result["ok"] is False
    assert result["message"] == "column 'logFC' has no numbers to plot"
    assert result["type"] == "ValueError"
    assert result["missing_package"] is None
    assert any("raises/plot.py" in line for line in result["traceback"])
    assert read_json(tmp_path / "status.json")["status"] == [2, 3, 0]


def test_a_missing_package_is_named(tmp_path: Path) -> None:
    job_json = make_job(tmp_path, "missing_module")
    assert run_job(job_json) is False
    result = read_json(tmp_path / "result.json")
    assert result["type"] == "ModuleNotFoundError"
    assert result["missing_package"] == "not_a_real_module"


def test_an_unreadable_table_fails_in_the_read_step(tmp_path: Path) -> None:
    job_json = make_job(tmp_path, "raises", tables={"datTable": "only a header\n"})
    assert run_job(job_json) is False
    result = read_json(tmp_path / "result.json")
    assert result["type"] == "TableError" and "no data rows" in result["message"]
    assert read_json(tmp_path / "status.json")["status"] == [3, 0, 0]


def test_a_column_the_table_lacks_fails_with_a_readable_message(tmp_path: Path) -> None:
    roles = {"datTable": [{"value": "log2FC"}]}  # the user's table says logFC
    job_json = make_job(tmp_path, "raises", data_arg=roles)
    assert run_job(job_json) is False
    result = read_json(tmp_path / "result.json")
    assert result["type"] == "MissingInputError"
    assert result["message"].startswith("table 'datTable' has no column 'log2FC' (its columns: logFC, P.Value, group)")


def test_a_script_outside_the_plugin_folder_is_refused(tmp_path: Path) -> None:
    job_json = make_job(tmp_path, "raises")
    job = read_json(job_json)
    job["scripts"] = ["../echo_conf/plot.py"]
    job_json.write_text(json.dumps(job), encoding="utf-8")
    assert run_job(job_json) is False
    assert "outside the plugin folder" in read_json(tmp_path / "result.json")["message"]


@pytest.mark.slow
@pytest.mark.parametrize(("plugin", "code"), [("scatter_cjk", 0), ("raises", 1)])
def test_the_command_line_entry_exits_0_or_1(tmp_path: Path, plugin: str, code: int) -> None:
    job_json = make_job(tmp_path, plugin, general={"imageExportType": ["png"]}, extra={"point_size": 10})
    done = subprocess.run(
        [sys.executable, "-m", "plugin_sdk.runtime.run_python", str(job_json)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    assert read_json(tmp_path / "result.json")["ok"] is (code == 0)


# ---------------------------------------------------------------------------------------------
# the context a plot.py sees
# ---------------------------------------------------------------------------------------------


def test_the_context_holds_typed_tables_fixed_config_and_chosen_columns(tmp_path: Path) -> None:
    tables = {"datTable": SCATTER_TABLE, "groups": "sample\tgroup\nS1\tA\nS2\tB\n"}
    data_arg = {
        "datTable": [{"value": "logFC", "label": "x"}, {"value": None}, {"value": ["P.Value", "logFC"]}],
        "groups": [{"value": "group", "required": True}],
    }
    extra = {"legend_pos": "top", "title_size": 18, "font_family": "Times New Roman", "point_size": 3}
    general = {"size": {"width": "7", "height": 3}, "palette_cont": "RdBu"}
    job_json = make_job(tmp_path, "echo_conf", tables=tables, general=general, extra=extra, data_arg=data_arg)
    assert run_job(job_json), read_json(tmp_path / "result.json")
    seen = read_json(output(job_json, "echo_conf.seen.json"))
    assert seen["general"]["legendPos"] == "top"
    assert seen["general"]["titleSize"] == 18
    assert seen["general"]["font"] == "Times New Roman"
    assert seen["general"]["paletteCont"] == "RdBu"
    assert seen["extra"]["point_size"] == 3
    assert seen["dataArg"] == {"datTable": ["logFC", "", ["P.Value", "logFC"]], "groups": ["group"]}
    assert seen["column0"] == "logFC"
    assert seen["columns2"] == ["P.Value", "logFC"]
    assert seen["second_table_column"] == "group"
    assert seen["figsize"] == [7.0, 3.0]
    assert seen["dtypes"]["logFC"] == "float64" and seen["dtypes"]["P.Value"] == "float64"
    assert seen["dtypes"]["group"] != "float64"
    assert seen["table_names"] == ["datTable", "groups"] and seen["rows"] == [5, 2]
    assert seen["upload_dir"] == str(tmp_path / "uploads")


def test_config_fixes_follow_hiplot() -> None:
    config = {"general": {"titleSize": 10}, "extra": {"title_size": 16, "hjust": 1, "vjust": 0.5, "x_axis_angle": 90}}
    fixed = normalize_config(config)
    expected = {"titleSize": 16, "xAxisHjust": 1, "xAxisVjust": 0.5, "xAxisTextAngle": 90, "font": "Arial"}
    assert fixed["general"] == expected
    assert config["general"] == {"titleSize": 10}, "the caller's config is not changed"
    assert normalize_config(fixed) == fixed, "applying the fixes twice changes nothing"
    assert normalize_config({"general": {"font": "SimSun"}})["general"]["font"] == "SimSun"


def _context(frame: pd.DataFrame, general: dict, tmp_path: Path) -> PlotContext:
    return PlotContext(
        tables=[frame],
        table_names=["datTable"],
        config={"dataArg": {"datTable": [{"value": "x"}, {"value": "missing"}]}, "general": general},
        output_prefix=tmp_path / "out" / "plot",
        plugin_dir=tmp_path,
    )


def test_a_column_the_table_lacks_is_named_in_the_error(tmp_path: Path) -> None:
    ctx = _context(pd.DataFrame({"x": [1, 2]}), {}, tmp_path)
    assert ctx.column(0) == "x"
    with pytest.raises(KeyError, match="no column 'missing'"):
        ctx.column(1)
    with pytest.raises(IndexError, match="role 5"):
        ctx.column(5)


def test_figsize_defaults_and_is_clamped(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1]})
    assert _context(frame, {}, tmp_path).figsize == (6.0, 5.0)
    assert _context(frame, {"size": {"width": 5000, "height": "x"}}, tmp_path).figsize == (50.0, 5.0)


# ---------------------------------------------------------------------------------------------
# palettes
# ---------------------------------------------------------------------------------------------

# From R 4.2.2: scales::hue_pal()(n) and colorRampPalette(ggsci::pal_npg()(10))(25).
R_HUE = {
    1: ["#F8766D"],
    3: ["#F8766D", "#00BA38", "#619CFF"],
    5: ["#F8766D", "#A3A500", "#00BF7D", "#00B0F6", "#E76BF3"],
    8: ["#F8766D", "#CD9600", "#7CAE00", "#00BE67", "#00BFC4", "#00A9FF", "#C77CFF", "#FF61CC"],
}
R_NPG_25 = [
    "#E64B35", "#AC7571", "#739FAD", "#43B7CB", "#26ADAE", "#09A390", "#0F8C87", "#257087", "#3C5488",
    "#806E84", "#C58981", "#E59985", "#BB9599", "#9192AD", "#87A0B7", "#8CB9BC", "#91D1C2", "#AD8279",
    "#C93430", "#D00C09", "#AD3024", "#89543F", "#8A6F57", "#9D856E", "#B09C85",
]


@pytest.mark.parametrize("n", sorted(R_HUE))
def test_default_colours_are_ggplot2s(n: int) -> None:
    assert hue_colors(n) == R_HUE[n]
    assert palette_colors("default", n) == R_HUE[n]


def test_a_palette_stretches_like_colorramppalette_when_more_colours_are_needed() -> None:
    colours = palette_colors("npg", 25)
    assert colours == R_NPG_25
    assert len(set(colours)) == 25
    rgb = [mcolors.to_rgb(c) for c in colours]
    distances = [math.dist(p, q) for i, p in enumerate(rgb) for q in rgb[i + 1 :]]
    closest = min(distances)
    assert closest > 0.02


@pytest.mark.parametrize(
    "name", ["npg", "aaas", "nejm", "lancet", "jama", "jco", "ucscgb", "d3", "locuszoom", "igv", "uchicago",
             "startrek", "tron", "futurama", "rickandmorty", "simpsons", "Set1", "RdBu", "viridis"]
)
def test_every_named_palette_gives_any_number_of_colours(name: str) -> None:
    for n in (1, 2, 7, 60):
        colours = palette_colors(name, n)
        assert len(colours) == n and all(mcolors.is_color_like(c) for c in colours)


def test_brewer_sets_match_rcolorbrewer() -> None:
    assert palette_colors("Set1", 3) == ["#E41A1C", "#377EB8", "#4DAF4A"]  # brewer.pal(3, "Set1")
    assert palette_colors("blues", 2) == ["#DEEBF7", "#9ECAE1"]  # brewer.pal(3, "Blues")[1:2]
    assert palette_colors("Set1", 9)[-1] == "#999999"


def test_custom_colours_come_from_palette_custom(tmp_path: Path) -> None:
    assert parse_colors("red, 00FF00;#0000ff  grey50 nonsense") == ["red", "#00FF00", "#0000ff", "#7F7F7F"]
    ctx = _context(pd.DataFrame({"x": [1]}), {"palette": "custom", "paletteCustom": ["#000000", "#FFFFFF"]}, tmp_path)
    assert ctx.palette(3) == ["#000000", "#7F7F7F", "#FFFFFF"]  # colorRampPalette(c("#000000", "#FFFFFF"))(3)
    unknown = _context(pd.DataFrame({"x": [1]}), {"palette": "no-such-palette"}, tmp_path)
    assert unknown.palette(3) == R_HUE[3]


# ---------------------------------------------------------------------------------------------
# the general panel on matplotlib axes
# ---------------------------------------------------------------------------------------------


def _legend_plot() -> tuple[plt.Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.plot([1, 2, 3], [1, 4, 9], label="squares")
    ax.plot([1, 2, 3], [1, 2, 3], label="identity")
    ax.set_ylabel("value")
    ax.legend()
    return fig, ax


@pytest.mark.parametrize("position", ["right", "left", "top", "bottom"])
def test_the_legend_goes_outside_the_panel_on_the_chosen_side(position: str) -> None:
    fig, ax = _legend_plot()
    apply_general_style(ax, {"legendPos": position, "legendTitleSize": 15, "legendTitle": "curve"})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend, panel = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    side = {
        "right": legend.x0 >= panel.x1,
        "left": legend.x1 <= ax.yaxis.get_tightbbox(renderer).x0,
        "top": legend.y0 >= panel.y1,
        "bottom": legend.y1 <= ax.xaxis.get_tightbbox(renderer).y0,
    }
    assert side[position], (legend, panel)
    figure_box = fig.bbox
    assert figure_box.x0 <= legend.x0 and legend.x1 <= figure_box.x1 + 1, "the layout keeps the legend on the page"
    assert ax.get_legend().get_title().get_text() == "curve"
    assert ax.get_legend().get_title().get_fontsize() == 15
    plt.close(fig)


def test_legend_none_removes_it_and_text_settings_apply() -> None:
    fig, ax = _legend_plot()
    apply_general_style(
        ax,
        {
            "legendPos": "none",
            "title": "T",
            "titleSize": 20,
            "axisTitleSize": 13,
            "xAxisTextAngle": 90,
            "xbreaks": "1, 2;3",
        },
    )
    assert ax.get_legend() is None
    assert ax.get_title() == "T" and ax.title.get_fontsize() == 20
    assert ax.yaxis.label.get_fontsize() == 13
    assert list(ax.get_xticks()) == [1, 2, 3] and ax.get_xlim() == (1, 3)
    assert all(label.get_rotation() == 90 for label in ax.get_xticklabels())
    plt.close(fig)


def test_a_theme_is_applied_and_an_unknown_one_only_logged() -> None:
    fig, ax = _legend_plot()
    apply_general_style(ax, {"theme": "theme_classic"})
    assert not ax.spines["top"].get_visible() and ax.spines["left"].get_visible()
    lines: list[str] = []
    apply_general_style(ax, {"theme": "theme_wsj"}, log=lines.append)
    assert lines and "theme_wsj" in lines[0]
    plt.close(fig)


def test_an_optional_table_left_out_arrives_as_none_and_keeps_positions(tmp_path: Path) -> None:
    tables = {"datTable": SCATTER_TABLE, "groups": "sample\tgroup\nS1\tA\n"}
    job_json = make_job(tmp_path, "optional_table", tables=tables)
    job = read_json(job_json)
    job["tables"][1]["path"] = None
    job_json.write_text(json.dumps(job), encoding="utf-8")
    assert run_job(job_json), read_json(tmp_path / "result.json")
    seen = read_json(output(job_json, "optional_table.seen.json"))
    assert seen == {"missing": [False, True], "rows": 5}
