"""The R side of running a plugin: run_job.R, the plotforge.R helpers and the stand-ins.

Each test prepares a job folder the way the Python runner does (job.json, input
tables, output and upload folders), runs ``Rscript run_job.R JOB/job.json`` on a
Hiplot-style script from ``tests/fixtures/hiplot_style/`` and checks what came out:
files, pixel sizes, embedded fonts, editable SVG text, workbook cell types,
result.json and status.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image

from plugin_sdk.plugintest.expectations import image_difference
from plugin_sdk.runtime.rasterise import rasterise_pdf

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
RUNTIME = REPO / "plugin_sdk" / "runtime" / "r"
FIXTURES = Path(__file__).parent / "fixtures" / "hiplot_style"
DPI = 300
CHINESE_TITLE = "火山图 Volcano"


@pytest.fixture(scope="session")
def r_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pacman and ggplotify stand-ins, installed once into a private library."""
    library = tmp_path_factory.mktemp("r-library")
    subprocess.run(
        ["sh", str(RUNTIME / "install_standins.sh"), str(library)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (library / "pacman" / "DESCRIPTION").is_file()
    assert (library / "ggplotify" / "DESCRIPTION").is_file()
    return library


@dataclass
class JobRun:
    job_dir: Path
    prefix: Path
    returncode: int
    stderr: str
    result: dict[str, Any]
    status: dict[str, Any]

    def output(self, suffix: str) -> Path:
        return self.prefix.with_name(f"{self.prefix.name}.{suffix}")


def general(**overrides: Any) -> dict[str, Any]:
    """A `general` section like the ones in Hiplot's data.json files."""
    settings: dict[str, Any] = {
        "cmd": "",
        "imageExportType": ["jpeg", "pdf"],
        "size": {"width": 6, "height": 5},
        "theme": "theme_bw",
        "palette": "default",
        "title": "",
        "font": "Arial",
        "legendPos": "right",
        "legendDir": "vertical",
        "titleSize": 12,
        "axisTitleSize": 12,
        "axisTextFontSize": 10,
        "legendTitleSize": 10,
        "legendTextSize": 10,
        "xAxisTextAngle": 0,
        "xAxisHjust": 0.5,
        "xAxisVjust": 1,
        "xbreaks": [],
        "ybreaks": [],
    }
    settings.update(overrides)
    return settings


def run_job(
    r_library: Path,
    workdir: Path,
    plugin: str,
    tables: dict[str, str | Path],
    config: dict[str, Any],
    prefix: str = "figure",
    rasteriser: bool = True,
) -> JobRun:
    """Prepare JOB/ as the Python runner does and run run_job.R on it.

    A table given as text is written as ``input/<name>.tsv``; a Path is copied
    with its own extension. Without ``rasteriser`` R is not told where Python is, as in
    a plain R session: each raster device then draws the plot itself.
    """
    job_dir = workdir / "job"
    for sub in ("input", "output", "uploads"):
        (job_dir / sub).mkdir(parents=True, exist_ok=True)
    table_entries = []
    for name, content in tables.items():
        if isinstance(content, Path):
            path = job_dir / "input" / f"{name}{''.join(content.suffixes)}"
            shutil.copyfile(content, path)
        else:
            path = job_dir / "input" / f"{name}.tsv"
            path.write_text(content, encoding="utf-8")
        table_entries.append({"name": name, "path": str(path)})
    output_prefix = job_dir / "output" / prefix
    job = {
        "plugin_dir": str(FIXTURES / plugin),
        "scripts": ["plot.R"],
        "tables": table_entries,
        "config": {"data": {}, "dataArg": {}, "general": general(), "extra": {}} | config,
        "output_prefix": str(output_prefix),
        "upload_dir": str(job_dir / "uploads"),
    }
    job_json = job_dir / "job.json"
    job_json.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PLOTFORGE_PYTHON"}
    env |= {"PLOTFORGE_R_LIBS": str(r_library), "TZ": "UTC"}
    if rasteriser:
        env["PLOTFORGE_PYTHON"] = sys.executable
    proc = subprocess.run(
        ["Rscript", str(RUNTIME / "run_job.R"), str(job_json)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=workdir,
    )
    result_path = job_dir / "result.json"
    assert result_path.is_file(), f"no result.json; stderr:\n{proc.stderr}"
    return JobRun(
        job_dir=job_dir,
        prefix=output_prefix,
        returncode=proc.returncode,
        stderr=proc.stderr,
        result=json.loads(result_path.read_text(encoding="utf-8")),
        status=json.loads((job_dir / "status.json").read_text(encoding="utf-8")),
    )


def assert_ok(run: JobRun) -> None:
    assert run.result["ok"] is True, f"{run.result}\n{run.stderr}"
    assert run.returncode == 0


def pdf_fonts(pdf: Path) -> list[str]:
    """The font rows of `pdffonts` (everything under the dashed rule)."""
    out = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    lines = out.splitlines()
    return [line for line in lines[2:] if line.strip()]


def assert_fonts_embedded(pdf: Path) -> None:
    rows = pdf_fonts(pdf)
    assert rows, "the PDF has no fonts at all"
    for row in rows:
        # Columns: name type encoding emb sub uni object ID; the name and type
        # have no fixed width, so read emb from the right.
        emb = row.split()[-5]
        assert emb == "yes", f"font not embedded: {row}"


def assert_raster_size(path: Path, width_in: float, height_in: float) -> None:
    with Image.open(path) as image:
        assert image.size == (round(width_in * DPI), round(height_in * DPI)), path.name


# ---------------------------------------------------------------------------
# A ggplot through export_single: every kind, sizes, fonts, SVG text, palette
# ---------------------------------------------------------------------------

SCATTER_WIDTH, SCATTER_HEIGHT = 5, 4


def scatter_inputs(kinds: list[str], width: float, height: float) -> tuple[dict[str, str], dict[str, Any]]:
    """Tables and settings for tests/fixtures/hiplot_style/scatter_groups, a ggplot through export_single."""
    groups = [f"G{i:02d}" for i in range(1, 13)]
    rows = ["logFC\tP.Value\tgroup"]
    rows += [f"{i * 0.5 - 3}\t{10 ** -(i % 7 + 1)}\t{g}" for i, g in enumerate(groups)]
    rows.append("0\t0.5\tskip-me")
    data2 = "group\tlabel\n" + "\n".join(f"{g}\tlabel {g}" for g in groups)
    config = {
        "dataArg": {
            "datTable": [
                {"value": "logFC", "label": "x", "required": True},
                {"value": "P.Value"},
                {"value": ["group"]},
            ]
        },
        "general": general(
            imageExportType=kinds,
            size={"width": width, "height": height},
            title=CHINESE_TITLE,
            palette="npg",
            theme="theme_classic",
            titleSize=16,
            legendPos="bottom",
            legendDir="horizontal",
            xAxisTextAngle=45,
        ),
    }
    return {"datTable": "\n".join(rows) + "\n", "groupTable": data2}, config


@pytest.fixture(scope="module")
def scatter_run(r_library: Path, tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    tables, config = scatter_inputs(["pdf", "png", "jpg", "tiff", "svg"], SCATTER_WIDTH, SCATTER_HEIGHT)
    return run_job(r_library, tmp_path_factory.mktemp("scatter"), "scatter_groups", tables, config, prefix="scatter")


def test_export_single_writes_every_requested_kind(scatter_run: JobRun) -> None:
    assert_ok(scatter_run)
    for kind in ("pdf", "png", "jpeg", "tiff", "svg"):
        assert scatter_run.output(kind).stat().st_size > 1000, kind
    assert sorted(scatter_run.result["outputs"]) == sorted(
        f"scatter.{kind}" for kind in ("pdf", "png", "jpeg", "tiff", "svg", "colours.txt")
    )
    # Written under temporary names and renamed: nothing half-written is left.
    leftovers = [p.name for p in scatter_run.prefix.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_raster_outputs_are_300_dpi_at_the_requested_size(scatter_run: JobRun) -> None:
    for kind in ("png", "jpeg", "tiff"):
        assert_raster_size(scatter_run.output(kind), SCATTER_WIDTH, SCATTER_HEIGHT)
    with Image.open(scatter_run.output("png")) as png:
        assert round(png.info["dpi"][0]) == DPI


def test_every_raster_is_a_rendering_of_the_pdf(scatter_run: JobRun, tmp_path: Path) -> None:
    rendered = rasterise_pdf(scatter_run.output("pdf"), DPI, {"png": tmp_path / "from-pdf.png"})[0]
    assert image_difference(scatter_run.output("png"), rendered) == 0
    assert image_difference(scatter_run.output("jpeg"), rendered) < 0.01  # JPEG is lossy


@pytest.mark.parametrize("rasteriser", [True, False], ids=["rendered-from-a-hidden-pdf", "drawn-by-r-devices"])
def test_export_without_pdf_writes_just_what_was_asked(r_library: Path, tmp_path: Path, rasteriser: bool) -> None:
    tables, config = scatter_inputs(["png", "tiff", "svg"], 3, 2)
    run = run_job(r_library, tmp_path, "scatter_groups", tables, config, prefix="dots", rasteriser=rasteriser)
    assert_ok(run)
    assert sorted(run.result["outputs"]) == ["dots.colours.txt", "dots.png", "dots.svg", "dots.tiff"]
    # Nothing else in the folder: the PDF the rasters were rendered from is gone.
    assert sorted(p.name for p in run.prefix.parent.iterdir()) == sorted(run.result["outputs"])
    for kind in ("png", "tiff"):
        assert_raster_size(run.output(kind), 3, 2)


def test_pdf_embeds_every_font_and_renders_chinese(scatter_run: JobRun) -> None:
    pdf = scatter_run.output("pdf")
    assert_fonts_embedded(pdf)
    assert any("CJK" in row for row in pdf_fonts(pdf)), "no CJK font for the Chinese title"
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True).stdout
    assert "火山图" in text.decode("utf-8")


def test_svg_keeps_text_as_editable_text(scatter_run: JobRun) -> None:
    svg = scatter_run.output("svg").read_text(encoding="utf-8")
    texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)
    assert any("Volcano" in t for t in texts), texts[:10]
    assert any("火山图" in t for t in texts)
    assert "logFC" in texts


def test_npg_palette_stretches_to_twelve_groups(scatter_run: JobRun) -> None:
    colours = scatter_run.output("colours.txt").read_text().split()
    assert len(colours) == 12
    assert len(set(colours)) == 12
    # Stretching interpolates between npg's ten colours and keeps its ends.
    assert colours[0].upper().startswith("#E64B35")
    assert colours[-1].upper().startswith("#B09C85")


def test_status_file_marks_every_step_done(scatter_run: JobRun) -> None:
    status = scatter_run.status
    assert status["id"] == ["read-params", "read-data", "run-script", "export"]
    assert status["status"] == [2, 2, 2, 2]
    assert all(label.startswith("en:") and ";zh_cn:" in label for label in status["label"])


# ---------------------------------------------------------------------------
# Other drawing paths
# ---------------------------------------------------------------------------


def test_base_graphics_pdf_gets_raster_copies(r_library: Path, tmp_path: Path) -> None:
    config = {
        "dataArg": {"datTable": [{"value": "gene"}, {"value": "count"}]},
        "general": general(
            imageExportType=["pdf", "png"], size={"width": 4, "height": 3}, title="碱基 Counts", palette="lancet"
        ),
    }
    table = "gene\tcount\nTP53\t12\nEGFR\t7\nKRAS\t9\n"
    run = run_job(r_library, tmp_path, "base_graphics", {"datTable": table}, config, prefix="bars")
    assert_ok(run)
    assert_fonts_embedded(run.output("pdf"))
    text = subprocess.run(["pdftotext", str(run.output("pdf")), "-"], check=True, capture_output=True).stdout
    assert "碱基" in text.decode("utf-8")
    assert_raster_size(run.output("png"), 4, 3)


def test_as_ggplot_wraps_pheatmap_and_base_plot(r_library: Path, tmp_path: Path) -> None:
    samples = [f"S{i}" for i in range(1, 7)]
    rows = ["gene\t" + "\t".join(samples)]
    for g in range(1, 9):
        rows.append(f"Gene{g}\t" + "\t".join(str((g * 7 + s * 3) % 11 + g) for s in range(1, 7)))
    config = {
        "general": general(imageExportType=["png"], size={"width": 8, "height": 5}, title="Heatmap", fontsizeRow=8)
    }
    run = run_job(r_library, tmp_path, "heatmap_ggplotify", {"datTable": "\n".join(rows) + "\n"}, config)
    assert_ok(run)
    png = run.output("png")
    assert_raster_size(png, 8, 5)
    with Image.open(png) as image:
        rgb = image.convert("RGB").resize((400, 200))
    access = rgb.load()
    pixels = [access[x, y] for x in range(rgb.width) for y in range(rgb.height)]
    not_white = sum(1 for p in pixels if min(p) < 235)
    reddish = sum(1 for r, g, b in pixels if r > 180 and g < 140 and b < 140)
    bluish = sum(1 for r, g, b in pixels if b > 110 and r < 110)
    assert not_white > 0.1 * len(pixels), "the figure is nearly blank"
    assert reddish > 50 and bluish > 50, "the heatmap colours are missing"


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def test_tables_keep_formula_like_strings_as_text(r_library: Path, tmp_path: Path) -> None:
    run = run_job(r_library, tmp_path, "table_bundle", {}, {}, prefix="tables")
    assert_ok(run)
    expected = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd"]
    for name, sheet in (("xlsx", "cells"), ("direct.xlsx", "direct")):
        workbook = openpyxl.load_workbook(run.output(name))
        assert workbook.sheetnames == [sheet]
        column = [row[1] for row in workbook[sheet].iter_rows(min_row=2)]
        assert [cell.value for cell in column] == expected
        assert all(cell.data_type == "s" for cell in column)
    with tarfile.open(run.output("addition.tar.gz")) as archive:
        assert archive.getnames() == ["notes.md"]
    assert not (run.prefix.parent / "output").exists()


# ---------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------


def test_missing_package_is_named_in_the_result(r_library: Path, tmp_path: Path) -> None:
    run = run_job(r_library, tmp_path, "missing_package", {"datTable": "x\n1\n2\n"}, {})
    assert run.returncode == 1
    assert run.result["ok"] is False
    assert run.result["missing_package"] == "plotforgeNoSuchPackage"
    assert "setup/r-packages.txt" in run.result["message"]
    assert run.status["status"] == [2, 2, 3, 0]


def test_script_error_reports_message_call_and_traceback(r_library: Path, tmp_path: Path) -> None:
    config = {"dataArg": {"datTable": [{"value": "Pvalue"}]}}
    run = run_job(r_library, tmp_path, "script_error", {"datTable": "P.Value\n0.1\n"}, config)
    assert run.returncode == 1
    result = run.result
    assert result["ok"] is False
    assert result["message"] == "Column 'Pvalue' is not in the table"
    assert result["call"] == "check_column(conf$dataArg[[1]][[1]]$value)"
    assert result["missing_package"] is None
    assert result["step"] == "run-script"
    assert any(line.startswith("plot.R#8: check_column(") for line in result["traceback"]), result["traceback"]
    assert run.status["status"][2] == 3


def test_code_like_parameters_are_never_evaluated(r_library: Path, tmp_path: Path) -> None:
    marker = tmp_path / "job" / "output" / "pwned"
    attack = f"system('touch {marker}')"
    config = {"extra": {"theme_attack": attack, "transform_attack": attack}}
    run = run_job(r_library, tmp_path, "unsafe_strings", {}, config)
    assert run.result["ok"] is False
    assert run.result["message"].startswith(f'Unknown transform "{attack}"')
    assert not marker.exists()


def test_unreadable_job_still_answers_with_result(r_library: Path, tmp_path: Path) -> None:
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    (job_dir / "job.json").write_text('{"plugin_dir": "/nonexistent", "scripts": ["plot.R"]}')
    env = os.environ | {"PLOTFORGE_R_LIBS": str(r_library), "TZ": "UTC"}
    proc = subprocess.run(
        ["Rscript", str(RUNTIME / "run_job.R"), str(job_dir / "job.json")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 1
    result = json.loads((job_dir / "result.json").read_text())
    assert result["ok"] is False
    assert result["step"] == "read-params"
    assert "output_prefix" in result["message"]


# ---------------------------------------------------------------------------
# What a script can rely on
# ---------------------------------------------------------------------------


def test_runtime_prepares_hiplot_globals(r_library: Path, tmp_path: Path) -> None:
    csv = tmp_path / "expr.csv"
    csv.write_text(
        "Symbol,P.Value,logFC,empty\nTP53,0.001,2.5,\n,,,\nEGFR,0.2,-1,\n , , , \nKRAS,0.03,1.2,\n",
        encoding="utf-8",
    )
    xlsx = tmp_path / "samples.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sample id", "group"])
    sheet.append(["S1", "ctrl"])
    sheet.append(["S2", "treated"])
    workbook.save(xlsx)
    config = {
        "dataArg": {
            "datTable": [
                {"value": "Symbol", "label": "Gene", "blackItems": ["x"]},
                {"value": ["P.Value", "logFC"]},
                {"value": []},
                {"value": None},
            ]
        },
        "general": {"imageExportType": ["pdf"], "titleSize": 10},
        "extra": {"legend_pos": "top", "title_size": 18},
    }
    run = run_job(r_library, tmp_path, "conf_probe", {"datTable": csv, "sampleTable": xlsx}, config)
    assert_ok(run)
    probe = json.loads(run.output("probe.json").read_text(encoding="utf-8"))
    assert probe["from_source"] == "from source.R"
    assert probe["helpers_visible"] is True
    assert probe["data_names"] == ["Symbol", "P.Value", "logFC"]
    assert probe["data_dim"] == [3, 3]
    assert probe["data_numeric"] == {"Symbol": False, "P.Value": True, "logFC": True}
    assert probe["string_factors"] is False
    assert probe["data2_names"] == ["sample id", "group"]
    assert probe["data2_dim"] == [2, 2]
    assert probe["data_arg"] == {
        "datTable": [{"value": "Symbol"}, {"value": ["P.Value", "logFC"]}, {"value": ""}, {"value": ""}]
    }
    assert probe["font"] == "Arial"
    assert probe["legend_pos"] == "top"
    assert probe["title_size"] == 18
    assert probe["export_type_is_list"] is True
    assert probe["wd"] == str(run.prefix.parent)
    assert probe["upload"] == str(run.job_dir / "uploads" / "uploaded.tsv")
    assert len(probe["stretched"]) == 12
    assert len(probe["npg_all"]) == 10
    assert [c.upper()[:7] for c in probe["custom"]] == ["#E64B35", "RED", "#00A087"]
    assert probe["null_palette"] is True
    assert probe["factors"] == ["b", "a", "c"]
    assert probe["factors_df"] == ["y", "x"]
    assert not list(run.prefix.parent.glob("Rplots*.pdf"))
