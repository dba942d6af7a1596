"""Colours: the discrete palettes Hiplot's R helpers offer, with R's exact hex values.

The journal palettes (ggsci) and RColorBrewer sets are stored in plugin_sdk/palettes.json,
generated once from R; ggplot2's default hue colours and colorRampPalette's stretching are
computed here the way R computes them, so a Python plugin and an R plugin draw the same colours.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import colors as mcolors


class UnknownPaletteError(ValueError):
    """A palette name that is neither a journal palette, an RColorBrewer set, nor a colormap."""


@cache
def _stored_palettes() -> dict[str, Any]:
    # Generated once from R (ggsci, RColorBrewer); see the file's "_source".
    return json.loads((Path(__file__).parent.parent / "palettes.json").read_text(encoding="utf-8"))


def palette_names() -> list[str]:
    """Every name `palette_colors` accepts besides "default", "custom" and matplotlib colormaps."""
    stored = _stored_palettes()
    return [*stored["ggsci"], *stored["brewer"]]


def palette_colors(name: str | None, n: int, custom: Any = None) -> list[str]:
    """`n` colours ("#RRGGBB") from a named palette, stretched by interpolation when `n` exceeds it.

    Names: the ggsci journal palettes (npg, aaas, nejm, lancet, ...), RColorBrewer sets (Set1,
    RdBu, ...; any case), "default" / "null" / "" for ggplot2's hue colours, "custom" for
    `custom` (a list of colours or one string "red, #00FF00; 0000ff"), and any matplotlib colormap.
    """
    n = int(n)
    if n <= 0:
        return []
    key = (name or "default").strip()
    if key.lower() in ("default", "null", "none"):
        return hue_colors(n)
    if key.lower() == "custom":
        base = parse_colors(custom)
        return _stretch(base, n) if base else hue_colors(n)
    stored = _stored_palettes()
    ggsci = {k.lower(): v for k, v in stored["ggsci"].items()}
    if key.lower() in ggsci:
        return _stretch(ggsci[key.lower()], n)
    brewer = {k.lower(): v for k, v in stored["brewer"].items()}
    if key.lower() in brewer:
        return _brewer(brewer[key.lower()]["sets"], n)
    if key in matplotlib.colormaps:
        return _from_colormap(matplotlib.colormaps[key], n)
    raise UnknownPaletteError(f"unknown palette {name!r}")


def _brewer(sets: dict[str, list[str]], n: int) -> list[str]:
    # brewer.pal(k) is a different selection for each k (not a prefix of the largest set), and
    # its smallest set has 3 colours: take brewer.pal(max(n, 3))[1:n] as R users know it.
    largest = max(int(k) for k in sets)
    if n <= largest:
        return sets[str(max(n, 3))][:n]
    return _stretch(sets[str(largest)], n)


def _from_colormap(cmap: mcolors.Colormap, n: int) -> list[str]:
    if isinstance(cmap, mcolors.ListedColormap) and cmap.N <= 64:  # a qualitative set
        return _stretch([mcolors.to_hex(c).upper() for c in cmap.colors], n)
    positions = [0.5] if n == 1 else [i / (n - 1) for i in range(n)]
    return [mcolors.to_hex(cmap(p)).upper() for p in positions]


def _stretch(colors: Sequence[str], n: int) -> list[str]:
    """The first `n` colours, or R's colorRampPalette(colors)(n) when there are fewer than `n`.

    Computed as R does, so the colours match the R side to the last digit: linear interpolation
    of 0..1 channels at seq(0, 1, length.out = n), scaled to 0..255 and truncated (rgb() with
    maxColorValue = 255 converts to integer). Alpha is dropped, as colorRampPalette does.
    """
    if n <= len(colors):
        return list(colors[:n])
    if len(colors) == 1:
        return [colors[0]] * n
    rgb = [mcolors.to_rgb(c) for c in colors]
    knots = [i * (1.0 / (len(rgb) - 1)) for i in range(len(rgb))]  # as R computes seq.int()
    out = []
    for j in range(n):
        x = j * (1.0 / (n - 1))
        i = min(max(0, next(k for k in range(len(knots) - 1, -1, -1) if knots[k] <= x)), len(knots) - 2)
        t = (x - knots[i]) / (knots[i + 1] - knots[i])
        channels = [int(255 * (a + (b - a) * t)) for a, b in zip(rgb[i], rgb[i + 1], strict=True)]
        out.append("#" + "".join(f"{min(255, max(0, c)):02X}" for c in channels))
    return out


def _hex(rgba: Sequence[float]) -> str:
    # R's rgb() rounds half up on the 0..255 scale.
    channels = [min(255, max(0, math.floor(c * 255 + 0.5))) for c in rgba]
    text = "#" + "".join(f"{c:02X}" for c in channels[:3])
    return text + f"{channels[3]:02X}" if len(channels) > 3 and channels[3] < 255 else text


_HEX_BODY = re.compile(r"^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_R_GREY = re.compile(r"^gr[ae]y(\d{1,3})$", re.IGNORECASE)


def parse_colors(value: Any) -> list[str]:
    """Colours from a list or from one string separated by spaces, commas or semicolons.

    Hex codes may omit the "#"; R's grey0..grey100 are understood; anything matplotlib cannot
    read is dropped.
    """
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    tokens = [t for item in items for t in re.split(r"[\s,;]+", str(item).replace('"', " ").replace("'", " "))]
    out = []
    for token in filter(None, tokens):
        if _HEX_BODY.match(token):
            token = "#" + token
        grey = _R_GREY.match(token)
        if grey and int(grey.group(1)) <= 100:
            level = round(int(grey.group(1)) * 2.55)
            token = f"#{level:02X}{level:02X}{level:02X}"
        if mcolors.is_color_like(token):
            out.append(token)
    return out


def hue_colors(n: int) -> list[str]:
    """ggplot2's default discrete colours: scales::hue_pal()(n), equally spaced HCL hues."""
    if n <= 0:
        return []
    start, end = 15.0, 375.0 - 360.0 / n
    hues = [start] if n == 1 else [start + (end - start) * i / (n - 1) for i in range(n)]
    return [_hcl_hex(h % 360, chroma=100.0, luminance=65.0) for h in hues]


def _hcl_hex(hue: float, chroma: float, luminance: float) -> str:
    """grDevices::hcl(): polar CIE-LUV (D65 white) to sRGB, clipped into gamut as R's fixup does."""
    white_y, white_u, white_v = 100.0, 0.1978398, 0.4683363
    u_star = chroma * math.cos(math.radians(hue))
    v_star = chroma * math.sin(math.radians(hue))
    if luminance <= 0 and u_star == 0 and v_star == 0:
        x = y = z = 0.0
    else:
        y = white_y * (((luminance + 16) / 116) ** 3 if luminance > 7.999592 else luminance / 903.3)
        u = u_star / (13 * luminance) + white_u
        v = v_star / (13 * luminance) + white_v
        x = 9.0 * y * u / (4 * v)
        z = -x / 3 - 5 * y + 3 * y / v

    def gamma(c: float) -> float:
        return 1.055 * c ** (1 / 2.4) - 0.055 if c > 0.00304 else 12.92 * c

    rgb = (
        gamma((3.240479 * x - 1.537150 * y - 0.498535 * z) / white_y),
        gamma((-0.969256 * x + 1.875992 * y + 0.041556 * z) / white_y),
        gamma((0.055648 * x - 0.204043 * y + 1.057311 * z) / white_y),
    )
    return _hex([min(1.0, max(0.0, c)) for c in rgb])
