# Principal component analysis of an expression matrix (stats::prcomp).
# Reads: data  = 1-expression (first column gene names, then one numeric column per sample)
#        data2 = 2-sampleInfo; its dataArg gives the sample ID, group and optional shape columns
# Writes the figure and a workbook with the scores, the variance explained and the loadings.

pkgs <- c("ggplot2", "ggrepel")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input ---------------------------------------------------------------------------
sample_args <- conf$dataArg[["2-sampleInfo"]]
sample_col <- sample_args[[1]]$value
group_col <- sample_args[[2]]$value
shape_col <- sample_args[[3]]$value
use_shape <- length(shape_col) == 1 && nzchar(shape_col) && shape_col != group_col

expr <- as.matrix(data.frame(lapply(data[-1], as.numeric), check.names = FALSE))
rownames(expr) <- make.unique(as.character(data[[1]]))
# prcomp cannot take missing values, and a constant gene cannot be scaled.
expr <- expr[stats::complete.cases(expr), , drop = FALSE]
gene_sd <- apply(expr, 1, sd)
expr <- expr[gene_sd > 0, , drop = FALSE]
gene_sd <- gene_sd[gene_sd > 0]
if (nrow(expr) < 2 || ncol(expr) < 3) {
  stop("PCA needs at least 2 varying genes and 3 samples without missing values.")
}
top_var <- as.integer(conf$extra$top_var)
if (top_var > 0 && top_var < nrow(expr)) {
  expr <- expr[order(gene_sd, decreasing = TRUE)[seq_len(top_var)], , drop = FALSE]
}

pca <- prcomp(t(expr), center = TRUE, scale. = isTRUE(conf$extra$scale))
variance <- data.frame(
  component = colnames(pca$x),
  sd = pca$sdev,
  percent = 100 * pca$sdev^2 / sum(pca$sdev^2)
)
variance$cumulative_percent <- cumsum(variance$percent)

# A component beyond what the data has falls back to the first two.
pc_x <- conf$extra$pc_x
pc_y <- conf$extra$pc_y
if (!pc_x %in% colnames(pca$x)) pc_x <- "PC1"
if (!pc_y %in% colnames(pca$x) || pc_y == pc_x) pc_y <- setdiff(c("PC2", "PC1"), pc_x)[[1]]

info <- data2[match(rownames(pca$x), as.character(data2[[sample_col]])), , drop = FALSE]
scores <- data.frame(
  sample = rownames(pca$x),
  group = as.character(info[[group_col]]),
  shape = if (use_shape) as.character(info[[shape_col]]) else "all",
  x = pca$x[, pc_x],
  y = pca$x[, pc_y]
)
scores$group[is.na(scores$group)] <- "(not in sample table)"
scores$group <- factor(scores$group, levels = unique(scores$group))
axis_title <- function(pc) sprintf("%s (%.1f%%)", pc, variance$percent[variance$component == pc])

# ---- 2. plot ----------------------------------------------------------------------------
p <- ggplot(scores, aes(x = .data$x, y = .data$y, colour = .data$group)) +
  geom_hline(yintercept = 0, colour = "grey80", linewidth = 0.3) +
  geom_vline(xintercept = 0, colour = "grey80", linewidth = 0.3) +
  (if (isTRUE(conf$extra$ellipse)) {
    stat_ellipse(aes(fill = .data$group),
      geom = "polygon", type = "t", level = 0.95,
      alpha = 0.12, linewidth = 0.4, show.legend = FALSE
    )
  }) +
  geom_point(aes(shape = .data$shape), size = as.numeric(conf$extra$point_size), alpha = as.numeric(conf$general$alpha)) +
  (if (isTRUE(conf$extra$show_labels)) {
    geom_text_repel(aes(label = .data$sample),
      size = 3, show.legend = FALSE, max.overlaps = Inf,
      min.segment.length = 0.2, segment.size = 0.25, seed = 42
    )
  }) +
  scale_shape_manual(values = c(16, 17, 15, 18, 1, 2, 0, 5, 3, 4), guide = if (use_shape) "legend" else "none") +
  labs(
    x = axis_title(pc_x),
    y = axis_title(pc_y),
    colour = group_col,
    fill = group_col,
    shape = if (use_shape) shape_col,
    title = conf$general$title
  )

p <- set_palette_theme(p, conf)
p <- set_complex_general_theme(p)

# ---- 3. output --------------------------------------------------------------------------
n_keep <- min(5, ncol(pca$x))
score_table <- data.frame(sample = rownames(pca$x), info[setdiff(colnames(info), sample_col)], pca$x[, seq_len(n_keep)],
  check.names = FALSE, row.names = NULL
)
loading_table <- data.frame(gene = rownames(pca$rotation), pca$rotation[, seq_len(n_keep)], row.names = NULL)
write_hiplot_xlsx(list(
  scores = score_table,
  variance_explained = variance,
  loadings = loading_table
))
export_single(p)
