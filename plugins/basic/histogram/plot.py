"""Histogram and/or density curve of one measurement, one layer per group.

Reads: ctx.data (one row per observation); column role 0 = value, role 1 = optional group.
Writes the figure and a workbook with per-group summary statistics.
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from plugin_sdk.api import PlotContext

ALL = "all"


def gaussian_kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Density estimate on `grid` with a Gaussian kernel and Scott's bandwidth (as R's
    density(bw = "nrd0") would give for a smooth unimodal group, close enough for display)."""
    n = values.size
    spread = min(values.std(ddof=1), np.subtract(*np.percentile(values, [75, 25])) / 1.34)
    if not spread > 0:
        spread = values.std(ddof=1) or 1.0
    bandwidth = 0.9 * spread * n ** (-1 / 5)
    z = (grid[:, None] - values[None, :]) / bandwidth
    return np.exp(-0.5 * z**2).sum(axis=1) / (n * bandwidth * np.sqrt(2 * np.pi))


def read_values(ctx: PlotContext) -> tuple[pd.DataFrame, dict[str, str], str, str]:
    """The chosen columns as a frame with fixed names `value` and `group`, restricted to the
    groups the user picked; each group's colour; and the two column names, for the titles."""
    value_col = ctx.column(0)
    group_col = ctx.column(1)
    frame = pd.DataFrame({
        "value": pd.to_numeric(ctx.data[value_col], errors="coerce"),
        "group": ctx.data[group_col].astype(str) if group_col else ALL,
    }).dropna()
    # Colours follow every group of the table, so a group keeps its colour when others are hidden.
    all_groups = list(dict.fromkeys(frame["group"]))
    colours = dict(zip(all_groups, ctx.palette(len(all_groups)), strict=True))
    wanted = [str(g) for g in ctx.extra.get("groups") or []]
    if group_col and wanted:
        frame = frame[frame["group"].isin(wanted)]
    if frame.empty:
        raise ValueError("No numeric values to plot: check the value column and the groups chosen.")
    return frame, colours, value_col, group_col


def draw(ctx: PlotContext, frame: pd.DataFrame, colours: dict[str, str], value_col: str, group_col: str) -> plt.Figure:
    kind = ctx.extra.get("kind", "histogram")
    show_hist = kind in ("histogram", "histogram+density")
    show_density = kind in ("density", "histogram+density")
    alpha = float(ctx.general.get("alpha") or 0.45)
    groups = list(dict.fromkeys(frame["group"]))  # first-seen order, as in the table
    # One set of bin edges for every group, so the bars line up and can be compared.
    edges = np.histogram_bin_edges(frame["value"], bins=int(ctx.extra.get("bins") or 30))
    span = edges[-1] - edges[0]
    grid = np.linspace(edges[0] - 0.15 * span, edges[-1] + 0.15 * span, 400)

    note = str(ctx.extra.get("note") or "").strip()
    # About 15 characters of 8-point text fit in an inch of figure width.
    note_lines = textwrap.wrap(" ".join(note.split()), width=int(ctx.figsize[0] * 15)) if note else []
    fig, ax = plt.subplots(figsize=ctx.figsize)
    for group in groups:
        colour = colours[group]
        values = frame.loc[frame["group"] == group, "value"].to_numpy()
        label = f"{group} (n = {values.size})"
        if show_hist:
            ax.hist(values, bins=edges, density=show_density, color=colour, alpha=alpha,
                    edgecolor="white", linewidth=0.4, label=label)
        if show_density and values.size > 1:
            ax.plot(grid, gaussian_kde(values, grid), color=colour, linewidth=1.8,
                    label=None if show_hist else label)
        if ctx.extra.get("show_median"):
            ax.axvline(float(np.median(values)), color=colour, linestyle="--", linewidth=1.1)
    ax.set_xlabel(value_col)
    ax.set_ylabel("Density" if show_density else "Count")
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    if group_col:
        ax.legend(title=group_col, frameon=False)
    ctx.style(ax)
    if note_lines:
        # The note is plain text: parse_math=False keeps "$" and "_" from being read as TeX.
        fig.supxlabel("\n".join(note_lines), fontsize=8, color="#4D4D4D",
                      ha="left", x=0.02, parse_math=False)
    return fig


def summarise(frame: pd.DataFrame, value_col: str, group_col: str) -> pd.DataFrame:
    summary = frame.groupby("group", sort=False)["value"].agg(["count", "mean", "std", "median", "min", "max"])
    summary.index.name = group_col or "group"
    return summary.reset_index().rename(columns={"count": "n", "std": "sd"}).assign(variable=value_col)


def main(ctx: PlotContext) -> None:
    frame, colours, value_col, group_col = read_values(ctx)
    fig = draw(ctx, frame, colours, value_col, group_col)
    ctx.export_single(fig)
    plt.close(fig)
    ctx.export_tables({"summary": summarise(frame, value_col, group_col)})
