"""The config a plot script sees, prepared as Hiplot's runtime prepares it (plugin-format.md,
"How Hiplot's runtime prepares a run", steps 3 and 4), and readers for its loosely typed values."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from typing import Any

# Old plugins keep these general settings in `extra`; scripts read them from `general`.
_EXTRA_TO_GENERAL = {
    "font_family": "font",
    "family": "font",
    "title_size": "titleSize",
    "axis_title_size": "axisTitleSize",
    "legend_pos": "legendPos",
    "legend_dir": "legendDir",
    "legend_title_size": "legendTitleSize",
    "x_axis_angle": "xAxisTextAngle",
    "hjust": "xAxisHjust",
    "vjust": "xAxisVjust",
    "fontsize_row": "fontsizeRow",
    "fontsize_col": "fontsizeCol",
    "digits": "digits",
}
_GENERAL_RENAMES = {"palette_cont": "paletteCont"}
DEFAULT_FONT = "Arial"


def normalize_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config a script sees: a deep copy with Hiplot's fixes applied (idempotent).

    - `general.font` defaults to "Arial";
    - old `extra` keys are copied into `general` under their new names (the `extra` value wins,
      because for an old plugin that is the widget the user edited); the old key stays in `extra`;
    - `general.palette_cont` becomes `general.paletteCont`;
    - each `dataArg` entry is reduced to its value: a column name, a list of names for a
      multiple picker, or "" when nothing was chosen.
    """
    conf = copy.deepcopy(dict(config))
    for section in ("data", "dataArg", "general", "extra"):
        if not isinstance(conf.get(section), dict):
            conf[section] = {}
    general, extra = conf["general"], conf["extra"]
    for old, new in _EXTRA_TO_GENERAL.items():
        if old in extra:
            general[new] = extra[old]
    for old, new in _GENERAL_RENAMES.items():
        if old in general and new not in general:
            general[new] = general[old]
    if general.get("font") in (None, ""):
        general["font"] = DEFAULT_FONT
    conf["dataArg"] = {name: _role_values(roles) for name, roles in conf["dataArg"].items()}
    return conf


def _role_values(roles: Any) -> Any:
    if isinstance(roles, list):
        return [_role_value(entry) for entry in roles]
    if isinstance(roles, dict):
        return {key: _role_value(entry) for key, entry in roles.items()}
    return roles


def _role_value(entry: Any) -> str | list[str]:
    value = entry.get("value") if isinstance(entry, dict) else entry
    if value is None:
        return ""
    if isinstance(value, list):
        names = [str(v) for v in value if v is not None and str(v) != ""]
        return names if names else ""
    return str(value)


def number_setting(value: Any) -> float | None:
    """A numeric setting as a float; None when absent, empty or not a finite number ("12" is 12)."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def text_setting(value: Any) -> str:
    """A text setting as a string; "" when absent (a list, as jsonlite may give, is joined)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)
