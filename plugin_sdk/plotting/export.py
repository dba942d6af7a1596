"""One figure object, every requested file: matplotlib and plotly figures to <prefix>.<kind>.

Every file is written under a temporary name in its folder and renamed into place, so a reader
(or a retried job) never sees half a file.
"""

from __future__ import annotations

import importlib.util
import io
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from plugin_sdk.atomic import atomic_output

_logger = logging.getLogger(__name__)

Log = Callable[[str], None]

DEFAULT_FIGSIZE = (6.0, 5.0)
EXPORT_DPI = 300
IMAGE_KINDS = ("pdf", "png", "jpeg", "tiff", "svg")
PLOTLY_KIND = "plotly"
_KIND_ALIASES = {"jpg": "jpeg", "tif": "tiff", "html": PLOTLY_KIND}


def export_kinds(value: Any) -> list[str]:
    """general.imageExportType as a clean list: lower case, aliases resolved, no repeats."""
    items = value if isinstance(value, list | tuple) else [value] if value else []
    kinds: list[str] = []
    for item in items:
        kind = str(item).strip().lower()
        kind = _KIND_ALIASES.get(kind, kind)
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def export_figure(
    fig: Any,
    kinds: Iterable[str],
    prefix: Path | str,
    size_inches: tuple[float, float] = DEFAULT_FIGSIZE,
    dpi: int = EXPORT_DPI,
    log: Log | None = None,
) -> list[Path]:
    """Write `fig` as `<prefix>.<kind>` for each kind; return the files written.

    A matplotlib Figure (or an Axes of one) gives pdf, png, jpeg, tiff and svg at `size_inches`;
    raster kinds are exactly round(inches * dpi) pixels. A plotly Figure always gives
    `<prefix>.plotly.html` (self-contained, works offline) and the static kinds only when kaleido
    is installed. Kinds that do not apply are skipped with a log line, never an error.
    """
    log = log or _logger.info
    prefix = Path(prefix)
    kinds = export_kinds(list(kinds))
    if hasattr(fig, "to_plotly_json"):
        return _export_plotly(fig, kinds, prefix, size_inches, dpi, log)
    for _ in range(3):  # an Axes, or an Axes in a subfigure: export the figure it is drawn on
        if isinstance(fig, Figure) or getattr(fig, "figure", None) is None:
            break
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise TypeError(f"export_figure takes a matplotlib or plotly figure, not {type(fig).__name__}")
    return _export_matplotlib(fig, kinds, prefix, size_inches, dpi, log)


def _export_matplotlib(
    fig: Figure, kinds: list[str], prefix: Path, size_inches: tuple[float, float], dpi: int, log: Log
) -> list[Path]:
    # Whole pixels: matplotlib would otherwise round a fractional size either way.
    width_px, height_px = (max(1, round(float(s) * dpi)) for s in size_inches)
    fig.set_size_inches(width_px / dpi, height_px / dpi)
    written = []
    for kind in kinds:
        if kind not in IMAGE_KINDS:
            log(f"output kind {kind!r} is not available for a matplotlib figure; skipped")
            continue
        target = prefix.with_name(f"{prefix.name}.{kind}")
        with matplotlib.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}), atomic_output(target) as tmp:
            fig.savefig(tmp, format=kind, dpi=dpi, **_save_options(kind))
        written.append(target)
    return written


def _save_options(kind: str) -> dict[str, Any]:
    # Creation dates are left out so the same input gives byte-identical vector files.
    if kind == "pdf":
        return {"metadata": {"Creator": "PlotForge", "CreationDate": None}}
    if kind == "svg":
        return {"metadata": {"Date": None}}
    if kind == "jpeg":
        return {"pil_kwargs": {"quality": 95}}
    if kind == "tiff":
        return {"pil_kwargs": {"compression": "tiff_lzw"}}
    return {}


PLOTLY_STATIC_UNAVAILABLE = "static images of plotly figures are not available on this server"


def _export_plotly(
    fig: Any, kinds: list[str], prefix: Path, size_inches: tuple[float, float], dpi: int, log: Log
) -> list[Path]:
    html = prefix.with_name(f"{prefix.name}.plotly.html")
    with atomic_output(html) as tmp:
        # plotly.js inlined: the page must work inside a network with no internet access.
        fig.write_html(
            str(tmp),
            include_plotlyjs=True,
            include_mathjax=False,
            full_html=True,
            config={"displaylogo": False, "toImageButtonOptions": {"filename": prefix.name}},
        )
    written = [html]
    for kind in kinds:
        if kind not in (*IMAGE_KINDS, PLOTLY_KIND):
            log(f"output kind {kind!r} is not available for a plotly figure; skipped")
    static = [k for k in kinds if k in IMAGE_KINDS]
    if not static:
        return written
    if importlib.util.find_spec("kaleido") is None:
        log(PLOTLY_STATIC_UNAVAILABLE)
        return written
    # kaleido draws at 96 pixels per inch; `scale` brings a raster to the requested dpi.
    width, height = (round(float(s) * 96) for s in size_inches)
    for kind in static:
        target = prefix.with_name(f"{prefix.name}.{kind}")
        try:
            image = fig.to_image(format="png" if kind == "tiff" else kind, width=width, height=height, scale=dpi / 96)
        except Exception as exc:  # kaleido needs a browser; a failure costs the static files only
            log(f"{PLOTLY_STATIC_UNAVAILABLE} ({type(exc).__name__}: {exc})")
            break
        with atomic_output(target) as tmp:
            if kind == "tiff":
                _png_bytes_to_tiff(image, tmp, dpi)
            else:
                tmp.write_bytes(image)
        written.append(target)
    return written


def _png_bytes_to_tiff(png: bytes, target: Path, dpi: int) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        image.save(target, format="TIFF", compression="tiff_lzw", dpi=(dpi, dpi))
