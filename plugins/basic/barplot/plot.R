# Bar plot of group means with SD / SE / 95% CI error bars, optionally split by a second factor.
# Reads: data (long format, one row per replicate);
#        conf$dataArg[[1]] = category, value and an optional second grouping column.

pkgs <- c("ggplot2", "dplyr")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input: the chosen columns under fixed names -------------------------------------
x_col <- conf$dataArg[[1]][[1]]$value
value_col <- conf$dataArg[[1]][[2]]$value
fill_col <- conf$dataArg[[1]][[3]]$value
grouped <- length(fill_col) == 1 && nzchar(fill_col) && fill_col != x_col

replicates <- data.frame(
  x = as.character(data[[x_col]]),
  value = suppressWarnings(as.numeric(data[[value_col]])),
  fill = if (grouped) as.character(data[[fill_col]]) else as.character(data[[x_col]])
)
replicates <- replicates[!is.na(replicates$x) & !is.na(replicates$fill) & !is.na(replicates$value), ]
if (nrow(replicates) == 0) {
  stop("No row has a category and a numeric value: check the chosen columns.")
}
# Categories keep the order of the table; horizontal bars read top to bottom in that order.
x_levels <- unique(replicates$x)
if (isTRUE(conf$extra$horizontal)) x_levels <- rev(x_levels)
replicates$x <- factor(replicates$x, levels = x_levels)
replicates$fill <- factor(replicates$fill, levels = unique(replicates$fill))

# The width comes from a combobox: one of the offered values or a number typed in.
bar_width <- suppressWarnings(as.numeric(unlist(conf$extra$bar_width)))
bar_width <- if (length(bar_width) == 1 && !is.na(bar_width)) min(max(bar_width, 0.1), 1) else 0.7

error_kind <- conf$extra$error
bars <- replicates |>
  group_by(.data$x, .data$fill) |>
  summarise(mean = mean(.data$value), sd = sd(.data$value), n = n(), .groups = "drop") |>
  mutate(
    se = .data$sd / sqrt(.data$n),
    ci95 = qt(0.975, df = pmax(.data$n - 1, 1)) * .data$se,
    error = .data[[error_kind]]
  )
error_names <- c(sd = "mean ± SD", se = "mean ± SEM", ci95 = "mean ± 95% CI")
value_label <- if (nzchar(conf$extra$y_label)) conf$extra$y_label else value_col
dodge <- position_dodge(width = bar_width)

# ---- 2. plot ----------------------------------------------------------------------------
p <- ggplot(bars, aes(x = .data$x, y = .data$mean, fill = .data$fill)) +
  geom_col(
    position = dodge, width = bar_width, alpha = as.numeric(conf$general$alpha),
    colour = "grey20", linewidth = 0.3
  ) +
  geom_errorbar(
    aes(ymin = .data$mean - .data$error, ymax = .data$mean + .data$error),
    position = dodge, width = bar_width / nlevels(replicates$fill) * 0.4, linewidth = 0.4
  ) +
  (if (isTRUE(conf$extra$show_points)) {
    geom_point(
      # dodged by the group's fill like the bars, then drawn white to stand out on them
      data = replicates, aes(y = .data$value, fill = stage(.data$fill, after_scale = "white")),
      position = position_jitterdodge(
        dodge.width = bar_width, jitter.width = bar_width / nlevels(replicates$fill) * 0.35, seed = 1
      ),
      shape = 21, size = 1.5, colour = "grey10", stroke = 0.4, show.legend = FALSE
    )
  }) +
  scale_y_continuous(expand = expansion(mult = c(0, 0.06))) +
  (if (isTRUE(conf$extra$horizontal)) coord_flip()) +
  labs(
    x = x_col,
    y = value_label,
    fill = if (grouped) fill_col,
    title = conf$general$title,
    caption = sprintf("Bars: %s", error_names[[error_kind]])
  )

p <- set_palette_theme(p, conf)
p <- set_complex_general_theme(p) +
  theme(plot.caption = element_text(size = 8, colour = "grey30"))
# Without a second factor the colours repeat the axis labels, so no legend.
if (!grouped) p <- p + theme(legend.position = "none")

# ---- 3. output --------------------------------------------------------------------------
export_single(p)
