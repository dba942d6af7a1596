"""Build small, valid plugin folders for tests from a script body and a few options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLE_TABLE = "gene\tgroup\tvalue\n" + "".join(
    f"G{i}\t{'AB'[i % 2]}\t{(i * 37) % 11 + 0.5}\n" for i in range(1, 21)
)


def make_plugin(
    root: Path,
    script: str,
    *,
    module: str = "test",
    tool: str = "probe",
    language: str = "r",
    example_table: str = EXAMPLE_TABLE,
    extra: dict[str, Any] | None = None,
    extra_ui: dict[str, Any] | None = None,
    export_types: list[str] | None = None,
    roles: int = 2,
    optional_table: str | None = None,
) -> Path:
    """Write plugins/<module>/<tool>/ under ``root`` and return its path."""
    folder = root / module / tool
    folder.mkdir(parents=True)
    columns = example_table.splitlines()[0].split("\t")
    meta = {
        "name": {"en": f"Probe {tool}", "zh_cn": f"探针 {tool}"},
        "intro": {"en": "A plugin made by the tests.", "zh_cn": "测试生成的插件。"},
        "href": f"/{module}/{tool}",
        "tag": ["vue", "test"],
        "meta": {"score": 3, "author": "PlotForge tests", "releaseDate": "2026-11-01", "updateDate": "2026-11-01"},
    }
    data = {
        "module": module,
        "tool": tool,
        "params": {
            "textarea": {"datTable": ""},
            "config": {
                "data": {"datTable": {"value": "", "link": ""}},
                "dataArg": {"datTable": [{"value": ""} for _ in range(roles)]},
                "general": {
                    "imageExportType": export_types or ["pdf", "png"],
                    "size": {"width": 4, "height": 3},
                    "font": "Arial",
                    "title": "",
                },
                "extra": extra or {},
            },
        },
        "exampleData": {
            "config": {"dataArg": {"datTable": [{"value": c} for c in columns[:roles]]}},
            "textarea": {"datTable": example_table},
        },
    }
    ui = {
        "data": {"datTable": {"type": "hiplot-textarea", "required": True, "label": "Data table"}},
        "dataArg": {
            "datTable": [{"label": f"Column {i + 1}", "required": True} for i in range(roles)],
        },
        "extra": extra_ui or {},
        "general": {},
    }
    if optional_table:
        # A second input table the user may leave out (ui.json says required: false).
        data["params"]["textarea"][optional_table] = ""
        data["params"]["config"]["data"][optional_table] = {"value": "", "link": ""}
        ui["data"][optional_table] = {"type": "hiplot-textarea", "required": False, "label": "Optional table"}
    for name, document in (("meta.json", meta), ("data.json", data), ("ui.json", ui)):
        (folder / name).write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / ("plot.py" if language == "python" else "plot.R")).write_text(script, encoding="utf-8")
    return folder
