"""Every bundled plugin's example runs with real R / Python and yields journal-ready files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from plugin_sdk.catalogue import Catalogue
from plugin_sdk.loader import BUNDLED_PLUGINS
from plugin_sdk.params import resolve_request
from plugin_sdk.runtime.runner import run_plugin
from plugin_sdk.runtime.warm import WarmExecutor
from tests.conftest import require_tool

pytestmark = pytest.mark.slow

CATALOGUE = Catalogue.load([BUNDLED_PLUGINS])
RUNNABLE = sorted(key for key, plugin in CATALOGUE.plugins.items() if plugin.runnable)
KIND_SUFFIX = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpeg", "jpg": ".jpeg", "tiff": ".tiff", "svg": ".svg",
               "plotly": ".plotly.html"}


@pytest.fixture(scope="module")
def warm(r_library, mpl_config_dir) -> WarmExecutor:
    return WarmExecutor()


def test_there_are_enough_bundled_plugins():
    languages = [CATALOGUE.plugins[k].language for k in RUNNABLE]
    assert len(RUNNABLE) >= 8
    assert languages.count("python") >= 2
    assert not CATALOGUE.broken, [(b.key, [str(f) for f in b.findings]) for b in CATALOGUE.broken]


def pdf_fonts(path: Path) -> list[str]:
    out = subprocess.run([require_tool("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[2:]


def pdf_text(path: Path) -> str:
    return subprocess.run([require_tool("pdftotext"), str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("key", RUNNABLE)
def test_example_produces_every_requested_kind(key, tmp_path, warm):
    plugin = CATALOGUE.plugins[key]
    request = {"use_example": True}
    config = resolve_request(plugin, request).config
    result = run_plugin(plugin, request, tmp_path / "job", executor=warm)
    assert result.ok, (result.reason, result.message, result.log_tail[-15:])
    names = {o.name for o in result.outputs}
    for kind in config["general"].get("imageExportType", []):
        assert f"{plugin.tool}{KIND_SUFFIX[kind]}" in names, (kind, names)

    size = config["general"].get("size") or {}
    for output in result.outputs:
        path = result.output_dir / output.name
        if output.kind == "png" and size:
            with Image.open(path) as image:
                assert image.size == (round(size["width"] * 300), round(size["height"] * 300))
        elif output.kind == "pdf":
            fonts = pdf_fonts(path)
            assert fonts, "the PDF has no text"
            assert all(re.search(r"\byes\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line) for line in fonts), fonts
        elif output.kind == "svg":
            assert "<text" in path.read_text(encoding="utf-8"), "SVG text must stay editable text"
        elif output.kind == "xlsx":
            book = openpyxl.load_workbook(path)
            assert book.worksheets and all(sheet.max_row >= 2 for sheet in book.worksheets)
        elif output.kind == "plotly":
            html = path.read_text(encoding="utf-8")
            assert "Plotly.newPlot" in html
            remote_script = re.search(r"<script[^>]*\ssrc=[\"']?(https?:)?//", html)
            assert not remote_script, "plotly.js must be inlined (the page works offline)"


def test_chinese_title_renders_in_pdf(tmp_path, warm):
    plugin = CATALOGUE.plugins["basic/volcano"]
    request = {"use_example": True, "params": {"general": {"title": "火山图 Volcano", "imageExportType": ["pdf"]}}}
    result = run_plugin(plugin, request, tmp_path / "job", executor=warm)
    assert result.ok, result.message
    assert "火山图" in pdf_text(result.output_dir / "volcano.pdf")


def test_formula_like_cells_stay_text_in_xlsx(tmp_path, warm):
    plugin = CATALOGUE.plugins["basic/volcano"]
    example = resolve_request(plugin, {"use_example": True})
    table = example.tables[0]
    symbol = example.config["dataArg"][plugin.table_names[0]][0]["value"]
    column = table.columns.index(symbol)
    rows = [list(r) for r in table.rows]
    rows[0][column] = "=HYPERLINK(\"http://example.org\")"
    text = "\t".join(table.columns) + "\n" + "\n".join("\t".join(r) for r in rows) + "\n"
    request = {"use_example": True, "tables": {plugin.table_names[0]: text},
               "params": {"extra": {"p_cutoff": 1, "fc_cutoff": 0}}}
    result = run_plugin(plugin, request, tmp_path / "job", executor=warm)
    assert result.ok, result.message
    workbook = next(result.output_dir.glob("*.xlsx"))
    cells = [c for sheet in openpyxl.load_workbook(workbook).worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert cells, "the formula-like symbol should be in the workbook"
    assert all(c.data_type == "s" for c in cells)


def test_a_text_column_for_a_numeric_role_is_named_next_to_that_column(tmp_path, warm):
    plugin = CATALOGUE.plugins["basic/volcano"]
    table = plugin.table_names[0]
    roles = resolve_request(plugin, {"use_example": True}).config["dataArg"][table]
    symbol = roles[0]["value"]
    wrong = [roles[0], {"value": symbol}, *roles[2:]]  # the gene symbols chosen as P values
    request = {"use_example": True, "params": {"dataArg": {table: wrong}}}
    result = run_plugin(plugin, request, tmp_path / "job", executor=warm)
    assert result.reason.value == "plugin_error", result.message
    assert [(e["field"], e["column"]) for e in result.field_errors] == [(f"/params/dataArg/{table}/1/value", symbol)]
    assert f"Column '{symbol}'" in result.message and "needs numbers" in result.message


def test_volcano_workbook_lists_exactly_the_significant_genes(tmp_path, warm):
    plugin = CATALOGUE.plugins["basic/volcano"]
    resolved = resolve_request(plugin, {"use_example": True})
    extra, table = resolved.config["extra"], resolved.tables[0]
    symbol, p_value, log_fc = (role["value"] for role in resolved.config["dataArg"][plugin.table_names[0]])
    expected = sum(
        1 for row in table.rows
        if float(row[table.columns.index(p_value)]) < extra["p_cutoff"]
        and abs(float(row[table.columns.index(log_fc)])) >= abs(extra["fc_cutoff"])
    )
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=warm)
    assert result.ok, result.message
    book = openpyxl.load_workbook(result.output_dir / "volcano.xlsx")
    assert book.sheetnames == ["significant"]
    sheet = book["significant"]
    assert [c.value for c in sheet[1]][:3] == [symbol, log_fc, p_value]
    assert (sheet.max_row - 1, sheet.max_column) == (expected, 5)


def test_pca_workbook_has_scores_variance_and_loadings_of_the_right_shape(tmp_path, warm):
    plugin = CATALOGUE.plugins["advance/pca"]
    matrix = resolve_request(plugin, {"use_example": True}).tables[0]
    samples, genes = len(matrix.columns) - 1, len(matrix.rows)
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=warm)
    assert result.ok, result.message
    book = openpyxl.load_workbook(result.output_dir / "pca.xlsx")
    assert book.sheetnames == ["scores", "variance_explained", "loadings"]
    assert book["scores"].max_row - 1 == samples
    assert book["loadings"].max_row - 1 == genes
    assert book["variance_explained"].max_row - 1 == min(samples, genes)
