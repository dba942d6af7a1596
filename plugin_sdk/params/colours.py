"""The schema of a colour value: what a color-picker may hold and R can draw.

R 4.2 (the R we run) accepts "#rrggbb", "#rrggbbaa" and the names in `colors()` plus
"transparent"; it rejects the short "#rgb" form, so we do too rather than let a run fail
inside the script. The names come from `plugin_sdk/r_colours.txt` (written from R's
`colors()`); without that file we fall back to "a word made of letters and digits".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

# `(?![\s\S])` is "end of text" in both Python and JavaScript; Python's `$` would also
# match before a final newline and let "#ff0000\n" through to R.
HEX_COLOUR_PATTERN = r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})(?![\s\S])"
COLOUR_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9]*(?![\s\S])"
R_COLOURS_FILE = Path(__file__).resolve().parent.parent / "r_colours.txt"
COLOUR_DEF = "colour"  # the name under the request schema's $defs


@cache
def r_colour_names() -> tuple[str, ...]:
    """R's colour names, read once; empty when the list was not generated."""
    try:
        lines = R_COLOURS_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    # Lines starting with "#" are comments (a colour name never starts with one).
    names = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if names and "transparent" not in names:
        names.append("transparent")
    return tuple(dict.fromkeys(names))


def colour_schema() -> dict[str, Any]:
    """A colour: hex, or an R colour name (an enum when we know the names)."""
    names = r_colour_names()
    if not names:
        return {"type": "string", "anyOf": [{"pattern": HEX_COLOUR_PATTERN}, {"pattern": COLOUR_NAME_PATTERN}]}
    return {"type": "string", "anyOf": [{"pattern": HEX_COLOUR_PATTERN}, {"enum": list(names)}]}


def colour_ref() -> dict[str, Any]:
    return {"$ref": f"#/$defs/{COLOUR_DEF}"}
