"""The text files of a new plugin. `{{tool}}`, `{{module}}` and `{{title}}` are filled in.

Plain placeholders rather than str.format or string.Template: R code is full of `$` and
braces, and the templates should read exactly like the files they become.
"""

from __future__ import annotations

R_SCRIPT = """\
# {{title}}: one box per group of a table, with the points on top.
#
# Before this script runs, the runtime sets (see CONTRIBUTING.md, "The R core script"):
#   data                             the input table datTable, as a data.frame
#   conf$dataArg[[1]][[1]]$value     the column the user chose for the groups
#   conf$dataArg[[1]][[2]]$value     the column the user chose for the values
#   conf$extra                       this plugin's own settings (ui.json "extra")
#   conf$general                     the shared settings: size, font, theme, palette, ...
# Column names are data, never code: read columns with data[[name]] and map fixed names
# with .data$name (or .data[[name]]) in aes().

pkgs <- c("ggplot2")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input: the chosen columns under fixed names ------------------------------------
group_col <- conf$dataArg[[1]][[1]]$value
value_col <- conf$dataArg[[1]][[2]]$value

values <- suppressWarnings(as.numeric(data[[value_col]]))
if (all(is.na(values))) {
  stop(sprintf("Column '%s' holds no numbers: choose the column with the values.", value_col))
}
groups <- as.character(data[[group_col]])
plot_data <- data.frame(
  group = factor(groups, levels = unique(groups)), # boxes in the order of the table
  value = values
)
plot_data <- plot_data[!is.na(plot_data$value), ]

show_points <- isTRUE(conf$extra$show_points)
point_size <- as.numeric(conf$extra$point_size)
box_width <- as.numeric(conf$extra$box_width)

# ---- 2. plot ---------------------------------------------------------------------------
p <- ggplot(plot_data, aes(x = .data$group, y = .data$value, fill = .data$group)) +
  geom_boxplot(width = box_width, alpha = 0.7, outlier.shape = if (show_points) NA else 19)
if (show_points) {
  # A fixed seed: the same input always gives the same picture (plugin tests rely on it).
  jitter <- position_jitter(width = box_width / 4, height = 0, seed = 1)
  p <- p + geom_point(position = jitter, size = point_size, shape = 21, colour = "black", stroke = 0.3)
}
p <- p + labs(x = group_col, y = value_col, fill = group_col, title = conf$general$title)

# The form's palette and theme, then its font, text sizes, legend and axis settings.
p <- set_palette_theme(p, conf)
p <- set_complex_general_theme(p)

# ---- 3. output: one file per kind in conf$general$imageExportType ----------------------
export_single(p)
"""

PYTHON_SCRIPT = '''\
"""{{title}}: one box per group of a table, with the points on top.

The runtime calls main(ctx) once per run. ctx holds the tables (pandas DataFrames), the
settings and the output prefix; see CONTRIBUTING.md ("The Python core script").
Column names are data, never code: select with df[name] and boolean masks.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from plugin_sdk.api import PlotContext


def main(ctx: PlotContext) -> None:
    # ---- 1. input: the chosen columns --------------------------------------------------
    group_col = ctx.column(0)
    value_col = ctx.column(1)
    values = pd.to_numeric(ctx.data[value_col], errors="coerce")
    if values.isna().all():
        raise ValueError(f"Column '{value_col}' holds no numbers: choose the column with the values.")
    groups = ctx.data[group_col].astype(str)
    order = list(dict.fromkeys(groups))  # boxes in the order of the table
    samples = [values[groups == group].dropna() for group in order]

    show_points = bool(ctx.extra["show_points"])
    point_size = float(ctx.extra["point_size"])
    box_width = float(ctx.extra["box_width"])
    colours = ctx.palette(len(order))

    # ---- 2. plot -------------------------------------------------------------------------
    fig, ax = plt.subplots(figsize=ctx.figsize)
    boxes = ax.boxplot(samples, widths=box_width, patch_artist=True, showfliers=not show_points)
    for patch, colour in zip(boxes["boxes"], colours, strict=True):
        patch.set_facecolor(colour)
        patch.set_alpha(0.7)
    for median in boxes["medians"]:
        median.set_color("black")
    if show_points:
        # A fixed seed: the same input always gives the same picture (plugin tests rely on it).
        jitter = np.random.default_rng(1)
        for position, (sample, colour) in enumerate(zip(samples, colours, strict=True), start=1):
            offsets = jitter.uniform(-box_width / 4, box_width / 4, len(sample))
            ax.scatter(position + offsets, sample, s=(point_size * 2.5) ** 2, color=colour,
                       edgecolor="black", linewidth=0.3, zorder=3)
    ax.set_xticks(range(1, len(order) + 1), order)
    ax.set_xlabel(group_col)
    ax.set_ylabel(value_col)

    # The form's theme, title, font and text sizes, legend and axis settings.
    ctx.style(ax)

    # ---- 3. output: one file per kind in general.imageExportType -------------------------
    ctx.export_single(fig)
'''

README_EN = """\
# {{title}}

One box per group of a table, with the points on top: a quick look at how a measurement
differs between groups.

## Input

A table with one row per sample: a column naming the group and a column holding the value.

| sample | group   | value |
|--------|---------|-------|
| S1     | control | 4.2   |
| S2     | control | 3.9   |
| S9     | drug_a  | 6.1   |

Choose the **Group** and **Value** columns in the form.

## Settings

- **Show points**: draw each sample as a point over its box.
- **Point size**: the size of those points.
- **Box width**: the width of each box, from 0.1 to 1.

The shared settings (size, font, theme, palette, title, legend) are in the general panel.

## Example

Load the example to see three groups of eight samples (`example.tsv`).
"""

README_ZH = """\
# {{title}}

每组一个箱线图，并在其上叠加样本点：快速比较一个指标在各组之间的差异。

## 输入

每行一个样本的表格：一列为分组，一列为数值。

| sample | group   | value |
|--------|---------|-------|
| S1     | control | 4.2   |
| S2     | control | 3.9   |
| S9     | drug_a  | 6.1   |

在表单中选择 **分组** 列与 **数值** 列。

## 参数

- **显示散点**：在箱线图上画出每个样本。
- **点大小**：样本点的大小。
- **箱宽**：每个箱子的宽度（0.1 到 1）。

图片尺寸、字体、主题、配色、标题和图例等通用设置在通用面板中。

## 示例

载入示例数据可查看三组、每组八个样本的结果（`example.tsv`）。
"""


def fill(template: str, **values: str) -> str:
    """Replace each `{{name}}` with its value."""
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    return template
