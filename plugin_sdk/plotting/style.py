"""Hiplot's `general` panel applied to matplotlib: fonts, theme, text sizes, x text angle, breaks,
title and legend, as set_complex_general_theme and set_palette_theme do for a ggplot."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy

from plugin_sdk.plotting.config import DEFAULT_FONT, number_setting, text_setting

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_logger = logging.getLogger(__name__)

Log = Callable[[str], None]

CJK_FALLBACK_FONT = "Noto Sans CJK SC"
# Metric-compatible free stand-ins for the fonts Hiplot's form offers.
_FONT_ALIASES = {
    "arial": "Liberation Sans",
    "helvetica": "Liberation Sans",
    "sans": "Liberation Sans",
    "sans-serif": "Liberation Sans",
    "times new roman": "Liberation Serif",
    "times": "Liberation Serif",
    "serif": "Liberation Serif",
    "courier new": "Liberation Mono",
    "courier": "Liberation Mono",
    "mono": "Liberation Mono",
    "monospace": "Liberation Mono",
}


def _installed_fonts() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


def font_families(font: str | None) -> list[str]:
    """The font.family list for `general.font`: the font (or its free stand-in), then a CJK font
    so Chinese text never becomes boxes, then DejaVu Sans for any other missing glyph."""
    installed = _installed_fonts()
    wanted = (font or DEFAULT_FONT).strip()
    candidates = [wanted, _FONT_ALIASES.get(wanted.lower(), ""), "Liberation Sans", "DejaVu Sans"]
    primary = next((c for c in candidates if c and c in installed), "DejaVu Sans")
    families = [primary]
    for fallback in (CJK_FALLBACK_FONT, "DejaVu Sans"):
        if fallback in installed and fallback not in families:
            families.append(fallback)
    return families


def matplotlib_rc(general: Mapping[str, Any]) -> dict[str, Any]:
    """rcParams for a run: the general font with CJK fallback, and fonts kept usable in the files.

    PDF fonts are embedded as TrueType (Type 42) so they stay text and print anywhere; SVG text
    stays <text> elements (fonttype "none") so it remains editable in Illustrator or Inkscape.
    """
    return {
        "font.family": font_families(general.get("font")),
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
    }


@dataclass(frozen=True)
class _AxesTheme:
    face: str
    spine_color: str | None  # None: no box
    spines: tuple[str, ...]
    grid_color: str | None  # None: no grid
    ticks: bool = True


_BOX = ("left", "right", "top", "bottom")
_THEMES = {
    "theme_bw": _AxesTheme("white", "#333333", _BOX, "#EBEBEB"),
    "theme_linedraw": _AxesTheme("white", "black", _BOX, "#CCCCCC"),
    "theme_light": _AxesTheme("white", "#B3B3B3", _BOX, "#DEDEDE"),
    "theme_classic": _AxesTheme("white", "black", ("left", "bottom"), None),
    "theme_cowplot": _AxesTheme("white", "black", ("left", "bottom"), None),
    "theme_half_open": _AxesTheme("white", "black", ("left", "bottom"), None),
    "theme_minimal": _AxesTheme("white", None, (), "#EBEBEB", ticks=False),
    "theme_minimal_grid": _AxesTheme("white", None, (), "#EBEBEB", ticks=False),
    "theme_gray": _AxesTheme("#EBEBEB", None, (), "white"),
    "theme_grey": _AxesTheme("#EBEBEB", None, (), "white"),
    "theme_dark": _AxesTheme("#7F7F7F", None, (), "#6B6B6B"),
}


def apply_general_style(axes: Axes | Iterable[Axes], general: Mapping[str, Any], log: Log | None = None) -> None:
    """Apply the `general` panel to matplotlib axes, as Hiplot's set_complex_general_theme does
    for a ggplot: theme, title and its size, axis title/text sizes, axis labels, x text angle
    and justification, x/y breaks, and legend position, direction, title and sizes.

    Several axes get the title once, as the figure's suptitle. The figure gets constrained
    layout (unless it has a layout already) so legends placed outside the panel stay on the page.
    """
    log = log or _logger.info
    axes_list = _axes_list(axes)
    if not axes_list:
        return
    figure = axes_list[0].figure
    if figure.get_layout_engine() is None:
        figure.set_layout_engine("constrained")
    for ax in axes_list:
        _apply_theme(ax, text_setting(general.get("theme")), log)
        _apply_text_sizes(ax, general)
        _apply_x_text_angle(ax, general)
        _apply_breaks(ax, general)
        _apply_labels(ax, general)
    _apply_title(figure, axes_list, general)
    renderer = _renderer(figure)
    for ax in axes_list:
        _restyle_legend(ax, general, renderer)


def _axes_list(axes: Any) -> list[Axes]:
    if hasattr(axes, "flat"):  # the numpy array plt.subplots returns
        return list(axes.flat)
    if isinstance(axes, Iterable):
        return list(axes)
    return [axes]


def _apply_theme(ax: Axes, theme: str, log: Log) -> None:
    if theme in ("", "default", "null"):
        return
    if theme == "theme_void":
        ax.set_axis_off()
        return
    spec = _THEMES.get(theme)
    if spec is None:
        log(f"theme {theme!r} has no matplotlib equivalent; matplotlib's own look is kept")
        return
    ax.set_facecolor(spec.face)
    for side, spine in ax.spines.items():
        visible = spec.spine_color is not None and side in spec.spines
        spine.set_visible(visible)
        if visible:
            spine.set_color(spec.spine_color)
    if spec.grid_color is None:
        ax.grid(False)
    else:
        ax.grid(True, color=spec.grid_color, linewidth=0.6)
        ax.set_axisbelow(True)
    if not spec.ticks:
        ax.tick_params(length=0)


def _apply_text_sizes(ax: Axes, general: Mapping[str, Any]) -> None:
    axis_title = number_setting(general.get("axisTitleSize"))
    if axis_title:
        ax.xaxis.label.set_fontsize(axis_title)
        ax.yaxis.label.set_fontsize(axis_title)
    axis_text = number_setting(general.get("axisTextFontSize"))
    if axis_text:
        ax.tick_params(labelsize=axis_text)


def _apply_x_text_angle(ax: Axes, general: Mapping[str, Any]) -> None:
    angle = number_setting(general.get("xAxisTextAngle"))
    hjust = number_setting(general.get("xAxisHjust"))
    vjust = number_setting(general.get("xAxisVjust"))
    if angle is None and hjust is None and vjust is None:
        return
    # ggplot's hjust/vjust are relative to the rotated text; matplotlib's alignments with
    # rotation_mode="anchor" mean the same thing.
    ha = "center" if hjust is None else "left" if hjust < 0.25 else "right" if hjust > 0.75 else "center"
    va = "top" if vjust is None else "bottom" if vjust < 0.25 else "top" if vjust > 0.75 else "center"
    if angle is not None:
        try:  # the tick_params keyword keeps the mode on ticks made later (matplotlib >= 3.10)
            ax.tick_params(axis="x", labelrotation=angle, labelrotation_mode="anchor")
        except (TypeError, ValueError):
            ax.tick_params(axis="x", labelrotation=angle)
    # New ticks copy alignment from the first tick, so setting the current labels is enough.
    for label in ax.get_xticklabels():
        label.set_horizontalalignment(ha)
        label.set_verticalalignment(va)
        label.set_rotation_mode("anchor")


def _breaks(value: Any) -> list[float]:
    parts = re.split(r"[\s,;]+", text_setting(value).strip())
    numbers = [number_setting(p) for p in parts if p]
    return [n for n in numbers if n is not None]


def _apply_breaks(ax: Axes, general: Mapping[str, Any]) -> None:
    for key, set_ticks, set_lim in (("xbreaks", ax.set_xticks, ax.set_xlim), ("ybreaks", ax.set_yticks, ax.set_ylim)):
        breaks = _breaks(general.get(key))
        if not breaks:
            continue
        set_ticks(breaks)
        if len(breaks) > 1 and breaks[0] != breaks[-1]:
            set_lim(breaks[0], breaks[-1])


def _apply_labels(ax: Axes, general: Mapping[str, Any]) -> None:
    for key, set_label in (("xlab", ax.set_xlabel), ("ylab", ax.set_ylabel)):
        label = text_setting(general.get(key))
        if label:
            size = number_setting(general.get("axisTitleSize"))
            set_label(label, fontsize=size) if size else set_label(label)


def _apply_title(figure: Figure, axes_list: list[Axes], general: Mapping[str, Any]) -> None:
    title = text_setting(general.get("title"))
    size = number_setting(general.get("titleSize"))
    if len(axes_list) == 1:
        ax = axes_list[0]
        if title:
            ax.set_title(title)
        if size:
            ax.title.set_fontsize(size)
    elif title:
        figure.suptitle(title, fontsize=size) if size else figure.suptitle(title)


def _renderer(figure: Figure) -> Any:
    canvas = figure.canvas
    if not hasattr(canvas, "get_renderer"):  # a bare Figure() has no drawing canvas yet
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(figure)
    return canvas.get_renderer()


_LEGEND_GAP_POINTS = 6.0


def _restyle_legend(ax: Axes, general: Mapping[str, Any], renderer: Any) -> None:
    legend = ax.get_legend()
    if legend is None:
        return
    position = text_setting(general.get("legendPos")).lower()
    if position == "none":
        legend.remove()
        return
    title = text_setting(general.get("legendTitle")) or legend.get_title().get_text()
    text_size = number_setting(general.get("legendTextSize"))
    title_size = number_setting(general.get("legendTitleSize"))
    if position not in ("right", "left", "top", "bottom"):  # no position given: restyle in place
        legend.set_title(title or None)
        if text_size:
            for text in legend.get_texts():
                text.set_fontsize(text_size)
        if title_size:
            legend.get_title().set_fontsize(title_size)
        return
    texts = [t.get_text() for t in legend.get_texts()]
    handles, labels = ax.get_legend_handles_labels()
    if labels != texts:  # the legend was built from explicit handles: reuse its own artists
        handles, labels = list(legend.legend_handles), texts
    direction = text_setting(general.get("legendDir")).lower()
    if direction not in ("horizontal", "vertical"):
        direction = "horizontal" if position in ("top", "bottom") else "vertical"
    old_text_size = legend.get_texts()[0].get_fontsize() if texts else None
    old_title_size = legend.get_title().get_fontsize()
    legend.remove()  # measure the axes' decorations without it
    new_legend = ax.legend(
        handles,
        labels,
        title=title or None,
        ncols=max(1, len(labels)) if direction == "horizontal" else 1,
        frameon=False,
        fontsize=text_size or old_text_size,
        title_fontsize=title_size or old_title_size,
        **_outside_placement(ax, position, renderer),
    )
    if position == "top" and ax.get_title():
        # ggplot puts a top legend between the title and the panel: lift the title above it.
        height = new_legend.get_window_extent(renderer).height * 72.0 / ax.figure.dpi
        ax.set_title(ax.get_title(), pad=height + 2 * _LEGEND_GAP_POINTS, fontsize=ax.title.get_fontsize())


def _outside_placement(ax: Axes, position: str, renderer: Any) -> dict[str, Any]:
    """loc and anchor that put the legend just outside the panel, past the tick labels and the
    axis title on that side. The gap is in points, so it survives the layout resizing the axes."""
    to_points = 72.0 / ax.figure.dpi
    panel = ax.get_window_extent(renderer)
    if position == "left":
        decorations = (panel.x0 - ax.yaxis.get_tightbbox(renderer).x0) * to_points
        anchor, offset, loc = (0.0, 0.5), (-decorations - _LEGEND_GAP_POINTS, 0.0), "center right"
    elif position == "right":
        decorations = max(0.0, ax.yaxis.get_tightbbox(renderer).x1 - panel.x1) * to_points
        anchor, offset, loc = (1.0, 0.5), (decorations + _LEGEND_GAP_POINTS, 0.0), "center left"
    elif position == "bottom":
        decorations = (panel.y0 - ax.xaxis.get_tightbbox(renderer).y0) * to_points
        anchor, offset, loc = (0.5, 0.0), (0.0, -decorations - _LEGEND_GAP_POINTS), "upper center"
    else:
        decorations = max(0.0, ax.xaxis.get_tightbbox(renderer).y1 - panel.y1) * to_points
        anchor, offset, loc = (0.5, 1.0), (0.0, decorations + _LEGEND_GAP_POINTS), "lower center"
    transform = offset_copy(ax.transAxes, fig=ax.figure, x=offset[0], y=offset[1], units="points")
    return {"loc": loc, "bbox_to_anchor": anchor, "bbox_transform": transform, "borderaxespad": 0.0}
