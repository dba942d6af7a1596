"""The shared plot-settings panel: one widget per key present in data.json `general`.

ui.json does not declare these widgets (Hiplot's form draws them itself), so their kinds,
bounds and choices are ours. The choices mirror what the runtimes accept: palette and theme
names are the tables of plugin_sdk/runtime/r/plotforge.R (`.pf_ggsci`, RColorBrewer,
`.pf_generated`, `.pf_themes`, `.pf_transforms`); a name outside them would only make R fall
back to its default with a message. Swatches come from plugin_sdk/palettes.json.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from plugin_sdk.labels import message
from plugin_sdk.params.widgets import EXPORT_KINDS, LEGEND_DIRECTIONS, LEGEND_POSITIONS, number_or_none

PALETTES_FILE = Path(__file__).resolve().parents[2] / "plugin_sdk" / "palettes.json"

# Keys the runtime uses for its own bookkeeping: kept in the config, never shown.
HIDDEN_KEYS = frozenset({"cmd", "cliMode", "plumber"})

IMAGE_KINDS = ("pdf", "png", "jpeg", "tiff", "svg")
GENERATED_PALETTES = ("default", "rainbow", "viridis", "magma", "inferno", "plasma", "cividis")
CONTINUOUS_EXTRA = ("viridis", "magma", "inferno", "plasma", "cividis")
THEMES = (
    "default", "theme_bw", "theme_classic", "theme_minimal", "theme_light", "theme_linedraw", "theme_dark",
    "theme_void", "theme_gray", "theme_grey", "theme_stata", "theme_economist", "theme_economist_white",
    "theme_few", "theme_tufte", "theme_wsj", "theme_calc", "theme_hc", "theme_pander", "theme_foundation",
    "theme_igray", "theme_fivethirtyeight", "theme_par", "theme_base", "theme_map", "theme_solid", "theme_excel",
    "theme_excel_new", "theme_solarized", "theme_solarized_2", "theme_clean", "theme_gdocs", "theme_cowplot",
    "theme_half_open", "theme_minimal_grid", "theme_minimal_hgrid", "theme_minimal_vgrid", "theme_nothing",
    "theme_pubr", "theme_classic2", "theme_pubclean",
)
TRANSFORMS = ("none", "log2", "log10", "log", "log1p", "log2(x+1)", "log10(x+1)", "sqrt", "exp", "abs", "scale",
              "-log10", "-log2")
FONTS = ("Arial", "Helvetica", "Times New Roman", "Courier New", "Noto Sans", "Noto Serif", "Noto Sans CJK SC")

_TEXT_KEYS = frozenset({"title", "legendTitle", "xlab", "ylab", "taskname"})
_FONT_SIZE_KEYS = frozenset({"titleSize", "axisTitleSize", "axisTextFontSize", "legendTitleSize", "legendTextSize",
                             "fontsizeRow", "fontsizeCol"})
# key -> (min, max, step): the useful range, widened to take in a plugin's default when it lies
# outside (plugin_sdk.params.widgets.GENERAL_SCHEMAS holds the hard bounds).
_SLIDERS: dict[str, tuple[float, float, float]] = {
    **dict.fromkeys(_FONT_SIZE_KEYS, (0, 100, 0.5)),
    "xAxisTextAngle": (-90, 90, 5),
    "xAxisHjust": (0, 1, 0.05),
    "xAxisVjust": (0, 1, 0.05),
    "alpha": (0, 1, 0.05),
    "digits": (0, 15, 1),
}


@cache
def palettes() -> dict[str, Any]:
    return json.loads(PALETTES_FILE.read_text(encoding="utf-8"))


def discrete_swatches() -> dict[str, list[str]]:
    """Every named discrete palette with its colours (a brewer palette at its largest size)."""
    data = palettes()
    swatches = {name: list(colours) for name, colours in data.get("ggsci", {}).items()}
    for name, entry in data.get("brewer", {}).items():
        sets = entry.get("sets", {}) if isinstance(entry, dict) else {}
        if sets:
            swatches[name] = list(sets[max(sets, key=int)])
    return swatches


def continuous_swatches() -> dict[str, list[str]]:
    """The brewer palettes that read as a scale (sequential and diverging)."""
    out = {}
    for name, entry in palettes().get("brewer", {}).items():
        if isinstance(entry, dict) and entry.get("category") in ("seq", "div") and entry.get("sets"):
            out[name] = list(entry["sets"][max(entry["sets"], key=int)])
    return out


def build_general(general: dict[str, Any], exports: dict[str, bool], lang: str) -> list[dict[str, Any]]:
    """The panel's fields for the keys of data.json `general`, in data.json's order."""
    return [_field(key, default, exports, lang) for key, default in general.items() if key not in HIDDEN_KEYS]


def _field(key: str, default: Any, exports: dict[str, bool], lang: str) -> dict[str, Any]:
    field: dict[str, Any] = {"key": key, "label": message(f"ui.general.{key}", lang), "default": default}
    if key == "imageExportType":
        kinds = [*IMAGE_KINDS, *(["plotly"] if exports.get("plotly") else [])]
        chosen = [k for k in default if isinstance(k, str) and k in EXPORT_KINDS] if isinstance(default, list) else []
        items = _with_default(kinds, chosen)
        return {**field, "type": "select", "multiple": True, "items": items,
                "item_labels": {k: message(f"ui.format.{k}", lang) for k in items}}
    if key in ("palette", "palette2"):
        swatches = discrete_swatches()
        items = [*GENERATED_PALETTES[:1], *swatches, *GENERATED_PALETTES[1:]]
        return {**field, "type": "select", "items": _with_default(items, [default]), "swatches": swatches}
    if key == "paletteCont":
        swatches = continuous_swatches()
        items = [*swatches, *CONTINUOUS_EXTRA]
        return {**field, "type": "select", "items": _with_default(items, [default]), "swatches": swatches}
    if key in ("legendPos", "legendDir"):
        choices = LEGEND_POSITIONS if key == "legendPos" else LEGEND_DIRECTIONS
        items = _with_default(list(choices), [default])
        return {**field, "type": "select", "items": items,
                "item_labels": {str(v): message(f"ui.choice.{v}", lang) for v in items}}
    if key == "theme":
        return {**field, "type": "select", "items": _with_default(list(THEMES), [default])}
    if key in ("transformX", "transformY"):
        return {**field, "type": "combobox", "items": _with_default(list(TRANSFORMS), [default])}
    if key == "font":
        return {**field, "type": "combobox", "items": _with_default(list(FONTS), [default])}
    if key == "size":
        return {**field, "type": "size", "min": 1, "max": 50, "step": 0.5}
    if key == "paletteCustom":
        return {**field, "type": "color-list"}
    if key in _SLIDERS:
        low, high, step = _SLIDERS[key]
        number = number_or_none(default)
        if number is not None and not isinstance(default, str):
            low, high = min(low, number), max(high, number)
        return {**field, "type": "slider", "min": low, "max": high, "step": step}
    if key in _TEXT_KEYS:
        return {**field, "type": "text-field"}
    return {**field, "type": _type_of_value(default)}


def _with_default(items: list[Any], defaults: list[Any]) -> list[Any]:
    """The choices, with the plugin's own default(s) first when the list lacks them."""
    missing = [d for d in defaults if isinstance(d, str | int | float) and d not in items and d != ""]
    return [*missing, *items]


def _type_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "switch"
    if number_or_none(value) is not None and not isinstance(value, str):
        return "number"
    if isinstance(value, str):
        return "text-field"
    return "json"
