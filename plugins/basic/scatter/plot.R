# Scatter plot with a fitted line (lm or loess) and its equation / R², optionally per group.
# Reads: data (one row per sample); conf$dataArg[[1]] = x, y and an optional group column.

pkgs <- c("ggplot2", "ggpubr")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input: the chosen columns under fixed names, so the model formula is y ~ x -------
x_col <- conf$dataArg[[1]][[1]]$value
y_col <- conf$dataArg[[1]][[2]]$value
group_col <- conf$dataArg[[1]][[3]]$value
grouped <- length(group_col) == 1 && nzchar(group_col)

points <- data.frame(
  x = suppressWarnings(as.numeric(data[[x_col]])),
  y = suppressWarnings(as.numeric(data[[y_col]])),
  group = if (grouped) as.character(data[[group_col]]) else "all"
)
points <- points[!is.na(points$x) & !is.na(points$y) & !is.na(points$group), ]
if (nrow(points) < 3) {
  stop("Fewer than three rows have numeric values in both chosen columns.")
}
points$group <- factor(points$group, levels = unique(points$group))

shapes <- c(circle = 16, triangle = 17, square = 15, diamond = 18, "open circle" = 1)
point_shape <- shapes[[conf$extra$shape]]
point_size <- as.numeric(conf$extra$point_size)
point_alpha <- if (is.null(conf$general$alpha)) 0.8 else as.numeric(conf$general$alpha)
method <- conf$extra$method
x_range <- sort(as.numeric(unlist(conf$extra$x_range)))
limit_x <- isTRUE(conf$extra$limit_x) && length(x_range) == 2 && diff(x_range) > 0
# Statistics labels go at the left edge of what is shown, not of the data.
label_x <- if (limit_x) x_range[[1]]

# Without a group column every layer gets the one colour chosen in the form.
colour_scale <- if (grouped) {
  return_hiplot_palette_color(conf$general$palette, conf$general$paletteCustom)
} else {
  scale_colour_manual(values = c(all = conf$extra$point_color), guide = "none")
}
fill_scale <- if (grouped) {
  return_hiplot_palette(conf$general$palette, conf$general$paletteCustom)
} else {
  scale_fill_manual(values = c(all = conf$extra$point_color), guide = "none")
}

# ---- 2. plot ----------------------------------------------------------------------------
p <- ggplot(points, aes(x = .data$x, y = .data$y, colour = .data$group, fill = .data$group)) +
  geom_point(shape = point_shape, size = point_size, alpha = point_alpha) +
  geom_smooth(
    method = method, formula = y ~ x, se = isTRUE(conf$extra$se),
    linewidth = 0.9, alpha = 0.15, show.legend = FALSE
  ) +
  (if (isTRUE(conf$extra$show_stats) && method == "lm") {
    stat_regline_equation(
      aes(label = paste(after_stat(eq.label), after_stat(rr.label), sep = "~~~")),
      formula = y ~ x, label.x = label_x, label.x.npc = "left", label.y.npc = "top", size = 3.6, show.legend = FALSE
    )
  }) +
  (if (isTRUE(conf$extra$show_stats) && method != "lm") {
    stat_cor(
      method = "spearman", cor.coef.name = "rho",
      label.x = label_x, label.x.npc = "left", label.y.npc = "top", size = 3.6, show.legend = FALSE
    )
  }) +
  (if (limit_x) coord_cartesian(xlim = x_range)) +
  scale_y_continuous(expand = expansion(mult = c(0.05, if (grouped) 0.22 else 0.12))) +
  colour_scale +
  fill_scale +
  (if (grouped) guides(colour = guide_legend(override.aes = list(size = 3, alpha = 1)))) +
  labs(
    x = x_col,
    y = y_col,
    colour = if (grouped) group_col,
    fill = if (grouped) group_col,
    title = conf$general$title
  )

p <- choose_ggplot_theme(p, conf$general$theme)
p <- set_complex_general_theme(p)

# ---- 3. output --------------------------------------------------------------------------
export_single(p)
