"""`plotforge plugin new`: write a small, working plugin folder to start from.

The folder is complete and correct from the first minute: it lints clean with `--strict`,
runs with `plotforge run DIR --example`, and passes `plotforge plugin test DIR`. It draws a
box plot of one value column by one group column, written the recommended way (columns via
`.data`, the shared helpers for palette, theme and export), so an author edits a working
plot rather than filling in blanks.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from plugin_sdk.scaffold.templates import PYTHON_SCRIPT, R_SCRIPT, README_EN, README_ZH, fill

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EXAMPLE_FILE = "example.tsv"
EXAMPLE_CASE_FILE = "case-example.json"
FIGURE_SIZE = {"width": 5, "height": 4}  # inches; PNG is 300 dpi, so 1500 x 1200 pixels
RASTER_DPI = 300

ScaffoldLanguage = Literal["r", "python"]


class ScaffoldError(ValueError):
    """The plugin cannot be created (a bad name, or the folder exists)."""


def check_name(value: str, what: str) -> None:
    if not NAME_PATTERN.match(value):
        raise ScaffoldError(
            f"{what} name {value!r} is not allowed: use lower-case letters, digits, '-' and '_', "
            "starting with a letter or digit (e.g. basic/my-plot)"
        )


def parse_key(key: str) -> tuple[str, str]:
    """"basic/volcano" -> ("basic", "volcano"), with a clear message for anything else."""
    parts = key.strip().strip("/").split("/")
    if len(parts) != 2:
        raise ScaffoldError(f"{key!r}: give the plugin as <module>/<tool>, e.g. basic/my-plot")
    module, tool = parts
    check_name(module, "module")
    check_name(tool, "tool")
    return module, tool


def title_of(tool: str) -> str:
    """"dose-response_curve" -> "Dose response curve"."""
    words = re.split(r"[-_]+", tool)
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def create_plugin(
    plugins_root: Path, module: str, tool: str, language: ScaffoldLanguage = "r", *, today: date | None = None
) -> Path:
    """Write <plugins_root>/<module>/<tool>/ and return it. Never overwrites anything."""
    check_name(module, "module")
    check_name(tool, "tool")
    if language not in ("r", "python"):
        raise ScaffoldError(f"language {language!r} is not supported: use r or python")
    folder = Path(plugins_root) / module / tool
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; choose another name or remove the folder first")
    day = (today or date.today()).isoformat()
    title = title_of(tool)
    example = example_table()

    files: dict[str, str] = {
        "meta.json": _json(meta_document(module, tool, title, day)),
        "data.json": _json(data_document(module, tool, example)),
        "ui.json": _json(ui_document()),
        EXAMPLE_FILE: example,
        "README.md": fill(README_EN, title=title),
        "README-zh_cn.md": fill(README_ZH, title=title),
        f"tests/{EXAMPLE_CASE_FILE}": _json(example_case(tool)),
    }
    script_name = "plot.py" if language == "python" else "plot.R"
    files[script_name] = fill(PYTHON_SCRIPT if language == "python" else R_SCRIPT, title=title)

    folder.mkdir(parents=True)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def example_table() -> str:
    """Three groups of eight samples, with values that differ between the groups (fixed, no RNG)."""
    rows = ["sample\tgroup\tvalue"]
    centres = {"control": 4.0, "drug_a": 6.0, "drug_b": 5.0}
    # Small fixed deviations so each box has a spread, whiskers and no two equal points.
    deviations = (-0.9, -0.5, -0.2, 0.0, 0.15, 0.35, 0.6, 1.1)
    number = 0
    for group_index, (group, centre) in enumerate(centres.items()):
        for k, deviation in enumerate(deviations):
            number += 1
            value = centre + deviation * (1 + 0.25 * group_index) + 0.03 * k
            rows.append(f"S{number}\t{group}\t{value:.2f}")
    return "\n".join(rows) + "\n"


def meta_document(module: str, tool: str, title: str, day: str) -> dict[str, Any]:
    return {
        "name": {"en": title, "zh_cn": title},
        "intro": {
            "en": "One box per group of a table, with the points on top.",
            "zh_cn": "每组一个箱线图，并叠加样本点。",
        },
        "href": f"/{module}/{tool}",
        "tag": ["vue", "distribution"],
        "alias": [title],
        "meta": {
            "version": "v0.1.0",
            "score": 3,
            "author": "Your Name",
            "email": "",
            "issues": "",
            "citation": "",
            "releaseDate": day,
            "updateDate": day,
        },
    }


def data_document(module: str, tool: str, example: str) -> dict[str, Any]:
    return {
        "module": module,
        "tool": tool,
        "params": {
            "textarea": {"datTable": ""},
            "config": {
                "data": {"datTable": {"value": "", "link": ""}},
                "dataArg": {"datTable": [{"value": ""}, {"value": ""}]},
                "general": {
                    "cmd": "",
                    "imageExportType": ["pdf", "png"],
                    "size": dict(FIGURE_SIZE),
                    "font": "Arial",
                    "title": "",
                    "theme": "theme_bw",
                    "palette": "npg",
                    "legendPos": "right",
                    "legendDir": "vertical",
                    "titleSize": 14,
                    "axisTitleSize": 12,
                    "axisTextFontSize": 10,
                    "legendTitleSize": 10,
                    "legendTextSize": 10,
                    "xAxisTextAngle": 0,
                    "xAxisHjust": 0.5,
                    "xAxisVjust": 1,
                },
                "extra": {"show_points": True, "point_size": 2, "box_width": 0.6},
            },
        },
        "exampleData": {
            "config": {
                "dataArg": {"datTable": [{"value": "group"}, {"value": "value"}]},
                "general": {"title": "Example"},
            },
            "textarea": {"datTable": example},
        },
    }


def ui_document() -> dict[str, Any]:
    half = "col-12 col-md-6"
    third = "col-12 col-md-4"
    return {
        "data": {
            "datTable": {
                "type": "hiplot-textarea",
                "required": True,
                "label": {"en": "Data table", "zh_cn": "数据表"},
            }
        },
        "dataArg": {
            "datTable": [
                {"label": {"en": "Group", "zh_cn": "分组"}, "required": True, "class": half},
                {"label": {"en": "Value", "zh_cn": "数值"}, "required": True, "class": half},
            ]
        },
        "extra": {
            "show_points": {"type": "switch", "label": {"en": "Show points", "zh_cn": "显示散点"}, "class": third},
            "point_size": {
                "type": "slider",
                "label": {"en": "Point size", "zh_cn": "点大小"},
                "min": 0.5,
                "max": 5,
                "step": 0.5,
                "if": "show_points",
                "class": third,
            },
            "box_width": {
                "type": "slider",
                "label": {"en": "Box width", "zh_cn": "箱宽"},
                "min": 0.1,
                "max": 1,
                "step": 0.05,
                "class": third,
            },
        },
        "general": {},
    }


def example_case(tool: str) -> dict[str, Any]:
    """The first test case: the example runs and gives the files, sizes and text expected."""
    return {
        "name": "example",
        "description": "The example data: one PDF page and a 5 x 4 inch PNG at 300 dpi.",
        "use_example": True,
        "expect": {
            "files": [f"{tool}.pdf", f"{tool}.png"],
            "png": {
                "width": FIGURE_SIZE["width"] * RASTER_DPI,
                "height": FIGURE_SIZE["height"] * RASTER_DPI,
            },
            "pdf": {"pages": 1, "text": ["Example", "value"]},
        },
    }
