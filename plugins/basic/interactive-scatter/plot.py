"""Interactive scatter or line chart (plotly), one trace per group, written as .plotly.html.

Reads: ctx.data; column roles 0 = x, 1 = y, 2 = optional group, 3 = optional hover label.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from plugin_sdk.api import PlotContext

ALL = "all"
PIXELS_PER_INCH = 96


def text(value: object) -> str:
    """Plotly renders names, titles and hover text as a subset of HTML; table content is data,
    so it is escaped and shows literally."""
    return html.escape(str(value), quote=False)


def read_points(ctx: PlotContext) -> tuple[pd.DataFrame, list[str]]:
    """The chosen columns under fixed names (x, y, group, label) and the four column names."""
    names = [ctx.column(role) for role in range(4)]
    x_col, y_col, group_col, label_col = names
    points = pd.DataFrame({
        "x": pd.to_numeric(ctx.data[x_col], errors="coerce"),
        "y": pd.to_numeric(ctx.data[y_col], errors="coerce"),
        "group": ctx.data[group_col].astype(str) if group_col else ALL,
        "label": ctx.data[label_col].astype(str) if label_col else "",
    }).dropna(subset=["x", "y"])
    if points.empty:
        raise ValueError("No row has numeric values in both chosen columns.")
    return points, names


def group_trace(ctx: PlotContext, points: pd.DataFrame, group: str, colour: str, names: list[str]) -> go.Scatter:
    x_col, y_col, group_col, label_col = names
    mode = ctx.extra.get("mode", "markers")
    if mode != "markers" and ctx.extra.get("sort_x"):
        points = points.sort_values("x")
    hover_lines = [f"{text(x_col)}: %{{x:.3g}}", f"{text(y_col)}: %{{y:.3g}}"]
    if label_col:
        hover_lines.insert(0, "<b>%{customdata}</b>")
    return go.Scatter(
        x=points["x"],
        y=points["y"],
        mode=mode,
        name=text(group),
        customdata=[text(label) for label in points["label"]],
        hovertemplate="<br>".join(hover_lines) + (f"<extra>{text(group)}</extra>" if group_col else "<extra></extra>"),
        marker={"size": float(ctx.extra.get("marker_size") or 6), "color": colour,
                "opacity": float(ctx.general.get("alpha") or 0.8), "line": {"width": 0}},
        line={"color": colour, "width": 2},
        showlegend=bool(group_col),
    )


def centre_labels(points: pd.DataFrame) -> list[dict]:
    """One annotation per group at its median position."""
    centres = points.groupby("group", sort=False)[["x", "y"]].median()
    return [
        {"x": row.x, "y": row.y, "text": f"<b>{text(group)}</b>", "showarrow": False,
         "font": {"size": 13, "color": "#222222"}, "bgcolor": "rgba(255,255,255,0.7)"}
        for group, row in centres.iterrows()
    ]


def layout(ctx: PlotContext, points: pd.DataFrame, group_col: str) -> dict:
    """The figure layout from the general panel: size, title, font, legend and group labels."""
    general = ctx.general
    width, height = (round(inches * PIXELS_PER_INCH) for inches in ctx.figsize)
    legend_side = str(general.get("legendPos") or "right")
    legend = {"title": {"text": text(group_col)}, "itemsizing": "constant",
              "font": {"size": float(general.get("legendTextSize") or 11)}}
    if legend_side in ("top", "bottom"):
        legend.update(orientation="h", x=0, y=1.02 if legend_side == "top" else -0.15,
                      yanchor="bottom" if legend_side == "top" else "top")
    return {
        "template": "simple_white",
        "width": width,
        "height": height,
        "title": {"text": text(general.get("title") or ""), "x": 0.5,
                  "font": {"size": float(general.get("titleSize") or 16)}},
        "font": {"family": f"{general.get('font') or 'Arial'}, Liberation Sans, sans-serif"},
        "legend": legend,
        "showlegend": bool(group_col) and legend_side != "none",
        "annotations": centre_labels(points) if group_col and ctx.extra.get("label_groups") else [],
        "hovermode": "closest",
    }


def main(ctx: PlotContext) -> None:
    points, names = read_points(ctx)
    x_col, y_col, group_col, _ = names
    groups = list(dict.fromkeys(points["group"]))
    colours = ctx.palette(len(groups))
    fig = go.Figure([
        group_trace(ctx, points[points["group"] == group], group, colour, names)
        for group, colour in zip(groups, colours, strict=True)
    ])
    fig.update_layout(**layout(ctx, points, group_col))
    axis_style = {"title_font": {"size": float(ctx.general.get("axisTitleSize") or 13)},
                  "tickfont": {"size": float(ctx.general.get("axisTextFontSize") or 11)},
                  "showgrid": False, "zeroline": False}
    fig.update_xaxes(title_text=text(x_col), **axis_style)
    fig.update_yaxes(title_text=text(y_col), **axis_style)
    ctx.export_single(fig)
