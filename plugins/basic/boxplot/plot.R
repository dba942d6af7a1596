# Box / violin plot of one measurement per group, with points and significance tests.
# Reads: data (long format, one row per observation); conf$dataArg[[1]] = group, value.

pkgs <- c("ggplot2", "ggpubr")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input: the chosen columns under fixed names -------------------------------------
group_col <- conf$dataArg[[1]][[1]]$value
value_col <- conf$dataArg[[1]][[2]]$value

measurements <- data.frame(
  group = as.character(data[[group_col]]),
  value = suppressWarnings(as.numeric(data[[value_col]]))
)
measurements <- measurements[!is.na(measurements$group) & nzchar(measurements$group) &
  !is.na(measurements$value), ]
if (nrow(measurements) == 0) {
  stop("No row has both a group and a numeric value: check the chosen columns.")
}
# Groups keep the order in which they first appear in the table.
measurements$group <- factor(measurements$group, levels = unique(measurements$group))
groups <- levels(measurements$group)

draw_violin <- conf$extra$type %in% c("violin", "box+violin")
draw_box <- conf$extra$type %in% c("box", "box+violin")
draw_points <- isTRUE(conf$extra$jitter)
fill_alpha <- if (is.null(conf$general$alpha)) 0.85 else as.numeric(conf$general$alpha)

method <- conf$extra$method
pairwise <- method %in% c("t.test", "wilcox.test")
show_p <- isTRUE(conf$extra$show_pvalue) && length(groups) > 1
ref_group <- as.character(unlist(conf$extra$ref_group))
ref_group <- if (length(ref_group) == 1 && ref_group %in% groups) ref_group else NULL
p_label <- if (identical(conf$extra$p_label, "numbers")) "p.format" else "p.signif"

# Without a reference group every pair is compared; past five groups (ten brackets) the
# figure becomes unreadable, so each group is compared with the first one instead.
comparisons <- if (length(groups) <= 5) {
  combn(groups, 2, simplify = FALSE)
} else {
  lapply(groups[-1], function(g) c(groups[[1]], g))
}

# Labels against a reference group sit just above the highest point.
value_range <- range(measurements$value)
label_y <- value_range[[2]] + 0.06 * diff(value_range)
method_names <- c(t.test = "t-test", wilcox.test = "Wilcoxon rank-sum test", anova = "ANOVA", kruskal.test = "Kruskal-Wallis test")
caption <- paste0(
  method_names[[method]],
  if (!is.null(ref_group)) paste0(" against ", ref_group),
  if (p_label == "p.signif") "\nns P >= 0.05; * P < 0.05; ** P < 0.01; *** P < 0.001; **** P < 0.0001"
)

# ---- 2. plot ----------------------------------------------------------------------------
p <- ggplot(measurements, aes(x = .data$group, y = .data$value)) +
  (if (draw_violin) {
    geom_violin(aes(fill = .data$group),
      alpha = fill_alpha, trim = TRUE, scale = "width", width = 0.8,
      colour = "grey25", linewidth = 0.3
    )
  }) +
  (if (draw_box && draw_violin) {
    geom_boxplot(width = 0.15, fill = "white", colour = "grey15", linewidth = 0.35, outlier.shape = NA)
  }) +
  (if (draw_box && !draw_violin) {
    geom_boxplot(aes(fill = .data$group),
      alpha = fill_alpha, width = 0.6, colour = "grey15", linewidth = 0.35,
      outlier.shape = if (draw_points) NA else 19, outlier.size = 1.2
    )
  }) +
  (if (draw_points) {
    geom_jitter(
      width = if (draw_violin) 0.22 else 0.15, height = 0,
      size = 1.1, alpha = 0.55, shape = 16, colour = "grey15"
    )
  }) +
  (if (show_p && pairwise && !is.null(ref_group)) {
    stat_compare_means(method = method, ref.group = ref_group, label = p_label, label.y = label_y, size = 4)
  }) +
  (if (show_p && pairwise && is.null(ref_group)) {
    stat_compare_means(
      comparisons = comparisons, method = method, label = p_label,
      step.increase = 0.08, tip.length = 0.01, size = 3.5
    )
  }) +
  (if (show_p && !pairwise) {
    stat_compare_means(method = method, label.x.npc = "left", label.y.npc = "top", size = 3.8)
  }) +
  scale_y_continuous(expand = expansion(mult = c(0.05, 0.1))) +
  labs(
    x = group_col,
    y = value_col,
    title = conf$general$title,
    fill = group_col,
    caption = if (show_p && pairwise) caption
  )

p <- set_palette_theme(p, conf)
p <- set_complex_general_theme(p) +
  theme(plot.caption = element_text(size = 8, colour = "grey30", hjust = 0))

# ---- 3. output --------------------------------------------------------------------------
export_single(p)
