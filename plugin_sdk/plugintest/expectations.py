"""What a case expects of a run, how it is checked, and how --update refreshes the snapshots.

``expect`` keys (all optional)::

    "files":  ["volcano.pdf", "volcano.png"]             these outputs exist
    "kinds":  ["pdf", "png"]                             outputs of these kinds exist
    "png":    {"width": 1800, "height": 1500}            a raster's size in pixels; "file"
    "jpeg", "tiff": the same                             names it when there are several;
                                                         a list checks several files
    "pdf":    {"pages": 1, "text": ["TP53"]}             page count, text on the pages
    "svg":    {"text": ["logFC"]}                        text in <text> elements
    "xlsx":   {"sheets": {"significant": {"rows": 12, "columns": 3}}}
                                                         data rows under the header row;
                                                         "columns" a count or the header names
    "image":  {"file": "volcano.png", "expected": "expected/volcano.png", "tolerance": 0.02}
                                                         mean absolute pixel difference (0-1)
                                                         below tolerance; a list for several
    "fails":  {"reason": "invalid_input", "message_contains": "P.Value"}
                                                         the run must fail this way

Every failure is one sentence naming the file and the numbers, e.g.
"volcano.png is 1800x1500, expected 1200x900".

`--update` rewrites snapshots, never intentions: expected images, raster sizes, PDF page
counts and sheet shapes take this run's values; file lists, kinds, texts and failures are
the author's and stay as written.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plugin_sdk.runtime.outcome import Reason, RunResult, list_outputs

if TYPE_CHECKING:
    from plugin_sdk.plugintest.cases import Case

RASTER_KINDS = ("png", "jpeg", "tiff")
EXPECTATION_KEYS = ("files", "kinds", *RASTER_KINDS, "pdf", "svg", "xlsx", "image", "fails")
OUTPUT_KEYS = tuple(k for k in EXPECTATION_KEYS if k != "fails")
DEFAULT_TOLERANCE = 0.01
_SUFFIXES = {"png": (".png",), "jpeg": (".jpeg", ".jpg"), "tiff": (".tiff", ".tif"), "pdf": (".pdf",),
             "svg": (".svg",), "xlsx": (".xlsx",)}


class Unmet(Exception):
    """One expectation that does not hold; the message is what the report prints."""


# ------------------------------------------------------------------------------ validation
def validate_expect(expect: dict[str, Any]) -> list[str]:
    """Problems with the shape of an ``expect`` object, as "<key>: what is wrong"."""
    problems: list[str] = []
    for key, check in _SHAPE_CHECKS.items():
        if key in expect:
            problems.extend(f"{key}: {problem}" for problem in check(expect[key]))
    if "fails" in expect and any(k in expect for k in OUTPUT_KEYS):
        problems.append("fails: a case that expects the run to fail cannot also expect outputs")
    return problems


def _string_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        return ["expected a list of strings"]
    return []


def _specs(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _check_raster(value: Any) -> list[str]:
    problems = []
    for spec in _specs(value):
        if not isinstance(spec, dict):
            problems.append("expected {\"width\": ..., \"height\": ...}")
            continue
        if "width" not in spec and "height" not in spec:
            problems.append("give width, height or both (pixels)")
        for key in ("width", "height"):
            if key in spec and not (isinstance(spec[key], int) and not isinstance(spec[key], bool) and spec[key] > 0):
                problems.append(f"{key} must be a whole number of pixels (got {spec[key]!r})")
        problems.extend(_unknown(spec, ("file", "width", "height")))
    return problems


def _check_pdf(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return ["expected {\"pages\": ..., \"text\": [...]}"]
    problems = _unknown(value, ("file", "pages", "text"))
    pages = value.get("pages")
    if "pages" in value and not (isinstance(pages, int) and not isinstance(pages, bool) and pages > 0):
        problems.append(f"pages must be a positive whole number (got {pages!r})")
    if "text" in value:
        problems.extend(f"text: {p}" for p in _string_list(value["text"]))
    return problems


def _check_svg(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return ["expected {\"text\": [...]}"]
    problems = _unknown(value, ("file", "text"))
    if "text" in value:
        problems.extend(f"text: {p}" for p in _string_list(value["text"]))
    return problems


def _check_xlsx(value: Any) -> list[str]:
    if not isinstance(value, dict) or not isinstance(value.get("sheets"), dict):
        return ["expected {\"sheets\": {\"<sheet>\": {\"rows\": ..., \"columns\": ...}}}"]
    problems = _unknown(value, ("file", "sheets"))
    for sheet, shape in value["sheets"].items():
        if not isinstance(shape, dict):
            problems.append(f"sheets.{sheet}: expected {{\"rows\": ..., \"columns\": ...}}")
            continue
        problems.extend(f"sheets.{sheet}: {p}" for p in _unknown(shape, ("rows", "columns")))
        rows, columns = shape.get("rows"), shape.get("columns")
        if "rows" in shape and not (isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0):
            problems.append(f"sheets.{sheet}.rows must be a whole number (got {rows!r})")
        if "columns" in shape and not (
            (isinstance(columns, int) and not isinstance(columns, bool) and columns >= 0)
            or not _string_list(columns)
        ):
            problems.append(f"sheets.{sheet}.columns must be a count or the list of header names")
    return problems


def _check_image(value: Any) -> list[str]:
    problems = []
    for spec in _specs(value):
        if not isinstance(spec, dict) or not isinstance(spec.get("expected"), str):
            problems.append("expected {\"file\": ..., \"expected\": \"expected/<name>.png\", \"tolerance\": ...}")
            continue
        problems.extend(_unknown(spec, ("file", "expected", "tolerance")))
        tolerance = spec.get("tolerance", DEFAULT_TOLERANCE)
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance <= 1:
            problems.append(f"tolerance must be a number from 0 to 1 (got {tolerance!r})")
        if ".." in Path(spec["expected"]).parts or Path(spec["expected"]).is_absolute():
            problems.append(f"expected {spec['expected']!r} must be a path inside tests/")
    return problems


def _check_fails(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return ["expected {\"reason\": ..., \"message_contains\": ...}"]
    problems = _unknown(value, ("reason", "message_contains"))
    reasons = [r.value for r in Reason if r is not Reason.SUCCEEDED]
    if "reason" in value and value["reason"] not in reasons:
        problems.append(f"reason {value['reason']!r} is not one of {', '.join(reasons)}")
    contains = value.get("message_contains")
    if "message_contains" in value and not isinstance(contains, str) and _string_list(contains):
        problems.append("message_contains must be a string or a list of strings")
    return problems


def _unknown(spec: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    return [f"unknown key {key!r} (allowed: {', '.join(allowed)})" for key in spec if key not in allowed]


_SHAPE_CHECKS: dict[str, Callable[[Any], list[str]]] = {
    "files": _string_list,
    "kinds": _string_list,
    "png": _check_raster,
    "jpeg": _check_raster,
    "tiff": _check_raster,
    "pdf": _check_pdf,
    "svg": _check_svg,
    "xlsx": _check_xlsx,
    "image": _check_image,
    "fails": _check_fails,
}


# ------------------------------------------------------------------------------ checking
def check(case: Case, result: RunResult) -> list[str]:
    """Every unmet expectation of the case for this run, as readable sentences."""
    expect = case.expect
    if "fails" in expect:
        return list(_check_failure(expect["fails"], result))
    if not result.ok:
        return [f"the run failed ({result.reason.value}): {result.message}"]
    outputs = Outputs(result.output_dir)
    failures: list[str] = []
    for key, checker in _OUTPUT_CHECKS.items():
        if key in expect:
            for spec in _specs(expect[key]) if key in (*RASTER_KINDS, "image") else [expect[key]]:
                try:
                    checker(spec, outputs, case)
                except Unmet as unmet:
                    failures.extend(str(unmet).split("\n"))
    return failures


class Outputs:
    """The files one run produced."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.files = list_outputs(folder) if folder is not None else []

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]

    def listing(self) -> str:
        return ", ".join(self.names) or "nothing"

    def pick(self, kind: str, name: str | None) -> Path:
        """The output named ``name``, else the one output of ``kind``."""
        assert self.folder is not None
        if name is not None:
            if name not in self.names:
                raise Unmet(f"{name} was not produced (produced: {self.listing()})")
            return self.folder / name
        matches = [n for n in self.names if n.lower().endswith(_SUFFIXES[kind])]
        if not matches:
            raise Unmet(f"no {kind} file was produced (produced: {self.listing()})")
        if len(matches) > 1:
            raise Unmet(f"several {kind} files were produced ({', '.join(matches)}): name one with \"file\"")
        return self.folder / matches[0]


def _check_files(spec: list[str], outputs: Outputs, case: Case) -> None:
    missing = [name for name in spec if name not in outputs.names]
    if missing:
        raise Unmet("\n".join(f"{name} was not produced (produced: {outputs.listing()})" for name in missing))


def _check_kinds(spec: list[str], outputs: Outputs, case: Case) -> None:
    produced = {f.kind for f in outputs.files}
    missing = [kind for kind in spec if kind not in produced]
    if missing:
        raise Unmet(f"no {' or '.join(missing)} output was produced (produced: {outputs.listing()})")


def raster_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def _raster_checker(kind: str) -> Callable[[dict[str, Any], Outputs, Case], None]:
    def check_raster(spec: dict[str, Any], outputs: Outputs, case: Case) -> None:
        path = outputs.pick(kind, spec.get("file"))
        width, height = raster_size(path)
        want_w, want_h = spec.get("width", width), spec.get("height", height)
        if (width, height) != (want_w, want_h):
            if "width" in spec and "height" in spec:
                raise Unmet(f"{path.name} is {width}x{height}, expected {want_w}x{want_h}")
            if "width" in spec:
                raise Unmet(f"{path.name} is {width} pixels wide, expected {want_w}")
            raise Unmet(f"{path.name} is {height} pixels high, expected {want_h}")

    return check_raster


def pdf_pages_and_text(path: Path) -> tuple[int, str]:
    """Page count and the text of every page (pypdf; pdftotext when pypdf cannot read it)."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(path)
        return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:  # a PDF pypdf cannot parse: poppler may
        tool = shutil.which("pdftotext")
        if tool is None:
            raise Unmet(f"{path.name} cannot be read as a PDF: {exc}") from exc
        text = subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=False).stdout
        return text.count("\f") or 1, text


def _contains(haystack: str, needle: str) -> bool:
    # PDF and SVG text comes back with line breaks and spaces where the layout put them.
    flat = re.sub(r"\s+", " ", haystack)
    return needle in haystack or re.sub(r"\s+", " ", needle) in flat or \
        re.sub(r"\s+", "", needle) in re.sub(r"\s+", "", haystack)


def _check_pdf_output(spec: dict[str, Any], outputs: Outputs, case: Case) -> None:
    path = outputs.pick("pdf", spec.get("file"))
    pages, text = pdf_pages_and_text(path)
    problems = []
    if "pages" in spec and pages != spec["pages"]:
        problems.append(f"{path.name} has {_count(pages, 'page')}, expected {spec['pages']}")
    problems.extend(f"{path.name} does not contain the text {t!r}" for t in spec.get("text", [])
                    if not _contains(text, t))
    if problems:
        raise Unmet("\n".join(problems))


def svg_text(path: Path) -> str:
    from defusedxml import ElementTree

    try:
        root = ElementTree.parse(path).getroot()
    except Exception as exc:  # defusedxml raises several kinds for unsafe or broken XML
        raise Unmet(f"{path.name} is not a readable SVG file: {exc}") from exc
    texts = [" ".join(element.itertext()) for element in root.iter() if str(element.tag).endswith("text")]
    return "\n".join(texts)


def _check_svg_output(spec: dict[str, Any], outputs: Outputs, case: Case) -> None:
    path = outputs.pick("svg", spec.get("file"))
    text = svg_text(path)
    missing = [t for t in spec.get("text", []) if not _contains(text, t)]
    if missing:
        raise Unmet("\n".join(f"{path.name} has no text {t!r} (in <text> elements)" for t in missing))


def sheet_shapes(path: Path) -> dict[str, tuple[int, list[str]]]:
    """Sheet name -> (data rows below the header, header names), blank rows left out."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        shapes = {}
        for sheet in workbook.worksheets:
            rows = [r for r in sheet.iter_rows(values_only=True) if any(c not in (None, "") for c in r)]
            header = list(rows[0]) if rows else []
            while header and header[-1] in (None, ""):
                header.pop()
            shapes[sheet.title] = (max(len(rows) - 1, 0), ["" if h is None else str(h) for h in header])
        return shapes
    finally:
        workbook.close()


def _check_xlsx_output(spec: dict[str, Any], outputs: Outputs, case: Case) -> None:
    path = outputs.pick("xlsx", spec.get("file"))
    shapes = sheet_shapes(path)
    problems = []
    for sheet, want in spec["sheets"].items():
        if sheet not in shapes:
            problems.append(f"{path.name} has no sheet {sheet!r} (sheets: {', '.join(shapes) or 'none'})")
            continue
        rows, header = shapes[sheet]
        if "rows" in want and rows != want["rows"]:
            problems.append(f"{path.name} sheet {sheet!r} has {_count(rows, 'data row')}, expected {want['rows']}")
        columns = want.get("columns")
        if isinstance(columns, int) and len(header) != columns:
            problems.append(f"{path.name} sheet {sheet!r} has {_count(len(header), 'column')}, expected {columns}")
        elif isinstance(columns, list) and header != columns:
            problems.append(f"{path.name} sheet {sheet!r} has the columns {header}, expected {columns}")
    if problems:
        raise Unmet("\n".join(problems))


def image_difference(actual: Path, expected: Path) -> float:
    """Mean absolute difference of two same-sized images, 0 (equal) to 1, compared as RGB on white.

    Images of different sizes are not resized to fit: that is a difference in itself.
    """
    from PIL import Image, ImageChops, ImageStat

    with Image.open(actual) as first, Image.open(expected) as second:
        if first.size != second.size:
            raise Unmet(f"{actual.name} is {first.size[0]}x{first.size[1]}, but the expected image "
                        f"{expected.name} is {second.size[0]}x{second.size[1]}")
        difference = ImageChops.difference(_on_white(first), _on_white(second))
        return sum(ImageStat.Stat(difference).mean) / (3 * 255)


def _on_white(image: Any) -> Any:
    from PIL import Image

    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")


def _check_image(spec: dict[str, Any], outputs: Outputs, case: Case) -> None:
    path = outputs.pick("png", spec.get("file"))
    expected = case.tests_dir / spec["expected"]
    where = f"tests/{spec['expected']}"
    if not expected.is_file():
        raise Unmet(f"{where} does not exist; run with --update to save this run's {path.name} there")
    tolerance = float(spec.get("tolerance", DEFAULT_TOLERANCE))
    difference = image_difference(path, expected)
    if difference > tolerance:
        raise Unmet(f"{path.name} differs from {where} by {difference:.2%} (tolerance {tolerance:.2%}); "
                    "run with --update if the change is intended")


_OUTPUT_CHECKS: dict[str, Callable[[Any, Outputs, Case], None]] = {
    "files": _check_files,
    "kinds": _check_kinds,
    **{kind: _raster_checker(kind) for kind in RASTER_KINDS},
    "pdf": _check_pdf_output,
    "svg": _check_svg_output,
    "xlsx": _check_xlsx_output,
    "image": _check_image,
}


def _check_failure(spec: dict[str, Any], result: RunResult) -> Iterator[str]:
    wanted = spec.get("reason")
    if result.ok:
        yield f"the run succeeded, but the case expects it to fail{f' with {wanted}' if wanted else ''}"
        return
    if wanted and result.reason.value != wanted:
        yield f"the run failed with {result.reason.value} ({result.message}), expected {wanted}"
    contains = spec.get("message_contains", [])
    # The message a user sees, the raw error, and each field error with the field it names.
    said = "\n".join([result.message, result.detail,
                      *(f"{e.get('field', '')} {e.get('message', '')}" for e in result.field_errors)])
    for text in [contains] if isinstance(contains, str) else contains:
        if text not in said:
            yield f"the failure message {result.message!r} does not contain {text!r}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# ------------------------------------------------------------------------------ --update
def update_snapshots(case: Case, result: RunResult) -> list[str]:
    """Rewrite the case's snapshot values that this run contradicts; return what changed."""
    if not result.ok or case.file is None or "fails" in case.expect:
        return []
    outputs = Outputs(result.output_dir)
    changes: list[str] = []
    for kind in RASTER_KINDS:
        for spec in _specs(case.expect.get(kind, [])):
            changes.extend(_update_raster(kind, spec, outputs))
    if isinstance(case.expect.get("pdf"), dict):
        changes.extend(_update_pdf(case.expect["pdf"], outputs))
    if isinstance(case.expect.get("xlsx"), dict):
        changes.extend(_update_xlsx(case.expect["xlsx"], outputs))
    if changes:
        case.file.write_text(json.dumps(case.document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for spec in _specs(case.expect.get("image", [])):
        changes.extend(_update_image(spec, outputs, case))
    return changes


def _update_raster(kind: str, spec: dict[str, Any], outputs: Outputs) -> list[str]:
    try:
        path = outputs.pick(kind, spec.get("file"))
    except Unmet:
        return []
    width, height = raster_size(path)
    if spec.get("width", width) == width and spec.get("height", height) == height:
        return []
    for key, value in (("width", width), ("height", height)):
        if key in spec:
            spec[key] = value
    return [f"{kind} size of {path.name} -> {width}x{height}"]


def _update_pdf(spec: dict[str, Any], outputs: Outputs) -> list[str]:
    if "pages" not in spec:
        return []
    try:
        path = outputs.pick("pdf", spec.get("file"))
        pages, _ = pdf_pages_and_text(path)
    except Unmet:
        return []
    if pages == spec["pages"]:
        return []
    spec["pages"] = pages
    return [f"pages of {path.name} -> {pages}"]


def _update_xlsx(spec: dict[str, Any], outputs: Outputs) -> list[str]:
    try:
        path = outputs.pick("xlsx", spec.get("file"))
    except Unmet:
        return []
    shapes = sheet_shapes(path)
    changes = []
    for sheet, want in spec.get("sheets", {}).items():
        if sheet not in shapes or not isinstance(want, dict):
            continue
        rows, header = shapes[sheet]
        new = {"rows": rows, "columns": header if isinstance(want.get("columns"), list) else len(header)}
        for key, value in new.items():
            if key in want and want[key] != value:
                want[key] = value
                changes.append(f"{key} of sheet {sheet!r} -> {value}")
    return changes


def _update_image(spec: dict[str, Any], outputs: Outputs, case: Case) -> list[str]:
    try:
        path = outputs.pick("png", spec.get("file"))
    except Unmet:
        return []
    expected = case.tests_dir / spec["expected"]
    tolerance = float(spec.get("tolerance", DEFAULT_TOLERANCE))
    if expected.is_file():
        try:
            if image_difference(path, expected) <= tolerance:
                return []
        except Unmet:
            pass  # a different size: replace it
    expected.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, expected)
    return [f"tests/{spec['expected']} <- {path.name}"]
