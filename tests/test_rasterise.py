"""Raster outputs rendered from a plot's PDF (plugin_sdk/runtime/rasterise.py).

The PDFs here are drawn by matplotlib, so these tests need no R: exact pixel sizes, the
resolution recorded in the file, a white background, the first page of several, and a
clear message (never a traceback) for a file that is not a PDF, both in-process and from
the command line a fresh Rscript uses.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

from plugin_sdk.runtime.rasterise import RasteriseError, main, rasterise_for_r, rasterise_pdf


def draw_pdf(path: Path, colours: list[str], size: tuple[float, float] = (4, 3)) -> Path:
    """A PDF of one page per colour, each page a rectangle of that colour in its middle."""
    with PdfPages(path) as pages:
        for colour in colours:
            figure = Figure(figsize=size)
            figure.add_artist(Rectangle((0.25, 0.25), 0.5, 0.5, transform=figure.transFigure, color=colour))
            pages.savefig(figure)
    return path


def pixel(path: Path, x: int, y: int) -> tuple[int, ...]:
    with Image.open(path) as image:
        return image.convert("RGB").getpixel((x, y))


def test_each_kind_is_exactly_inches_times_dpi_on_white_with_its_resolution(tmp_path):
    pdf = draw_pdf(tmp_path / "plot.pdf", ["#ff0000"], size=(4, 3))
    targets = {kind: tmp_path / f"plot.{kind}" for kind in ("png", "jpeg", "tiff")}
    written = rasterise_pdf(pdf, 300, targets)
    assert written == list(targets.values())
    for kind, path in targets.items():
        with Image.open(path) as image:
            assert image.format == kind.upper()
            assert image.size == (1200, 900), kind
            assert round(image.info["dpi"][0]) == 300, kind
        assert pixel(path, 5, 5) == (255, 255, 255), f"{kind}: the page is not on white"
        red, green, blue = pixel(path, 600, 450)
        assert red > 240 and green < 20 and blue < 20, f"{kind}: the drawing is missing"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_pdf_of_several_pages_gives_its_first(tmp_path):
    pdf = draw_pdf(tmp_path / "pages.pdf", ["#0000ff", "#00ff00"])
    rasterise_pdf(pdf, 72, {"png": tmp_path / "pages.png"})
    _, green, blue = pixel(tmp_path / "pages.png", 144, 108)
    assert blue > 240 and green < 20


def test_a_file_that_is_not_a_pdf_is_named_in_the_message(tmp_path):
    broken = tmp_path / "figure.pdf"
    broken.write_text("not a pdf at all")
    with pytest.raises(RasteriseError, match=r"figure\.pdf is not a PDF"):
        rasterise_pdf(broken, 300, {"png": tmp_path / "figure.png"})
    assert not (tmp_path / "figure.png").exists()


def test_an_unknown_kind_is_refused_before_any_work(tmp_path):
    with pytest.raises(RasteriseError, match="cannot write gif images"):
        rasterise_pdf(tmp_path / "absent.pdf", 300, {"gif": tmp_path / "x.gif"})


def test_r_gets_a_message_not_an_exception(tmp_path):
    broken = tmp_path / "figure.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated")
    message = rasterise_for_r([str(broken)], [300], ["png"], [str(tmp_path / "figure.png")])
    assert message.startswith("figure.pdf is not a PDF")
    pdf = draw_pdf(tmp_path / "good.pdf", ["#000000"])
    assert rasterise_for_r([str(pdf)], [100], ["png"], [str(tmp_path / "good.png")]) == ""
    assert (tmp_path / "good.png").is_file()


def test_the_command_line_a_fresh_rscript_uses(tmp_path):
    pdf = draw_pdf(tmp_path / "plot.pdf", ["#ff0000"], size=(2, 1))
    command = [sys.executable, "-m", "plugin_sdk.runtime.rasterise"]
    done = subprocess.run([*command, str(pdf), "150", f"png={tmp_path / 'plot.png'}"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "plot.png") as image:
        assert image.size == (300, 150)
    broken = tmp_path / "broken.pdf"
    broken.write_text("nope")
    failed = subprocess.run([*command, str(broken), "150", f"png={tmp_path / 'broken.png'}"],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert "broken.pdf is not a PDF" in failed.stderr and "Traceback" not in failed.stderr
    assert main(["only-one-argument"]) == 2


def test_an_image_that_cannot_be_written_is_named_and_leaves_nothing(tmp_path):
    pdf = draw_pdf(tmp_path / "plot.pdf", ["#000000"])
    (tmp_path / "not-a-folder").write_text("a file where the output folder should be")
    with pytest.raises(RasteriseError, match=r"could not write plot\.png"):
        rasterise_pdf(pdf, 72, {"png": tmp_path / "not-a-folder" / "plot.png"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder", "plot.pdf"]
