"""Raster outputs (PNG, JPEG, TIFF) rendered from the plot's PDF with PDFium.

An R plot is drawn once, to its PDF, and every raster output is a rendering of that PDF.
Drawing is the expensive part of a job: grid walks the whole plot in interpreted R on each
device (about 110 ms for a small ggplot on this machine), while PDFium renders the finished
page in under 10 ms. It also makes the PNG a faithful picture of the PDF the biologist
publishes, as Hiplot's own pdf-to-image step does.

`export_single` (plotforge.R) calls this in one of two ways, with the same renderer both times:
- in a warm worker's job, in-process, through the R function that `register_in_r` installs;
- in a fresh Rscript, as ``python -m plugin_sdk.runtime.rasterise PDF DPI KIND=FILE...``.

Outputs are written under a hidden temporary name and renamed into place, like every output.
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from plugin_sdk.atomic import atomic_output

POINTS_PER_INCH = 72
MAX_PIXELS = 250_000_000  # export_single refuses larger images before drawing; this is the backstop
KINDS = ("png", "jpeg", "tiff")

_r_callback: object = None  # the R function register_in_r made, kept alive for R


class RasteriseError(Exception):
    """The PDF could not be rendered or the image not written; the message says which file."""


def rasterise_pdf(pdf: Path, dpi: int, targets: dict[str, Path]) -> list[Path]:
    """Render the first page of ``pdf`` at ``dpi`` into each ``{kind: file}`` of ``targets``.

    The image is exactly round(page size in inches x dpi) pixels, on white, and records its
    resolution, as R's own raster devices do. A PDF of several pages gives its first.
    """
    unknown = sorted(set(targets) - set(KINDS))
    if unknown:
        raise RasteriseError(f"cannot write {', '.join(unknown)} images; known kinds: {', '.join(KINDS)}")
    if not targets:
        return []
    image = _render_first_page(pdf, dpi)
    return [_save(image, kind, Path(final), dpi) for kind, final in targets.items()]


def _render_first_page(pdf: Path, dpi: int) -> Image.Image:
    try:
        document = pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, OSError) as error:
        raise RasteriseError(f"{pdf.name} is not a PDF that can be rendered: {error}") from error
    try:
        if len(document) == 0:
            raise RasteriseError(f"{pdf.name} has no pages: nothing was drawn")
        page = document[0]
        width_pt, height_pt = page.get_size()
        # R's devices size rasters as inches x dpi, rounded; PDFium's own sizing rounds up, so
        # a 3-inch plot at 300 dpi could come out 901 pixels tall.
        width = max(1, round(width_pt / POINTS_PER_INCH * dpi))
        height = max(1, round(height_pt / POINTS_PER_INCH * dpi))
        if width * height > MAX_PIXELS:
            raise RasteriseError(f"{pdf.name} at {dpi} dpi would be {width} x {height} pixels, too large")
        # RGB byte order throughout (the bitmap says so, and the render flag makes PDFium write
        # it), so Pillow takes the pixels as they are.
        bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_BGR, rev_byteorder=True)
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
        flags = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_REVERSE_BYTE_ORDER
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, flags)
        return bitmap.to_pil().copy()  # the copy outlives the bitmap's buffer
    finally:
        document.close()


def _save(image: Image.Image, kind: str, final: Path, dpi: int) -> Path:
    options: dict[str, object] = {"dpi": (dpi, dpi)}
    if kind == "jpeg":
        options.update(quality=95)
    elif kind == "tiff":
        options.update(compression="tiff_lzw")
    try:
        with atomic_output(final) as temporary:
            image.save(temporary, format=kind.upper(), **options)
    except OSError as error:
        raise RasteriseError(f"could not write {final.name}: {error.strerror or error}") from error
    return final


def rasterise_for_r(pdf: object, dpi: object, kinds: object, files: object) -> str:
    """What R's `.pf_rasteriser` calls in a warm job: "" when done, else the reason it failed.

    The arguments arrive as R vectors; a message, not an exception, crosses back into R, so the
    job fails with it as with any error of its script.
    """
    try:
        targets = {str(kind): Path(str(file)) for kind, file in zip(kinds, files, strict=True)}
        rasterise_pdf(Path(str(pdf[0])), int(dpi[0]), targets)
    except RasteriseError as error:
        return str(error)
    except Exception as error:  # anything else still reaches the job's log as its reason
        return f"rendering {Path(str(pdf[0])).name} failed: {type(error).__name__}: {error}"
    return ""


def register_in_r() -> None:
    """Let this process's R rasterise in-process: export_single then finds the option
    `plotforge.rasteriser` and calls it instead of starting Python."""
    import rpy2.rinterface as ri
    import rpy2.robjects as ro

    global _r_callback

    def callback(pdf: object, dpi: object, kinds: object, files: object) -> object:
        return ri.StrSexpVector([rasterise_for_r(pdf, dpi, kinds, files)])

    # R holds only a handle to the Python function: it must stay alive here, or R calls garbage.
    _r_callback = ri.rternalize(callback)
    ro.r["options"](**{"plotforge.rasteriser": _r_callback})
    atexit.register(_unregister_in_r)


def _unregister_in_r() -> None:
    """At exit, while rpy2 still works: dropped later, when Python tears its modules down, the
    callback's finaliser finds rpy2 half gone and prints a TypeError."""
    import rpy2.robjects as ro

    global _r_callback
    ro.r["options"](**{"plotforge.rasteriser": ro.NULL})
    _r_callback = None


def main(argv: list[str] | None = None) -> int:
    """``python -m plugin_sdk.runtime.rasterise PDF DPI KIND=FILE...`` for a job in a fresh Rscript."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or not args[1].isdigit() or not all("=" in target for target in args[2:]):
        print("usage: python -m plugin_sdk.runtime.rasterise PDF DPI KIND=FILE...", file=sys.stderr)
        return 2
    targets = dict(target.split("=", 1) for target in args[2:])
    try:
        rasterise_pdf(Path(args[0]), int(args[1]), {kind: Path(file) for kind, file in targets.items()})
    except RasteriseError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
