# Volcano plot: log2 fold change against -log10 P for every gene of a differential test.
# Reads: data (one row per gene), conf$dataArg[[1]] = symbol, P value, logFC columns.

pkgs <- c("ggplot2", "ggrepel")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input: the three chosen columns under fixed names ------------------------------
symbol_col <- conf$dataArg[[1]][[1]]$value
pvalue_col <- conf$dataArg[[1]][[2]]$value
logfc_col <- conf$dataArg[[1]][[3]]$value

p_cutoff <- as.numeric(conf$extra$p_cutoff)
fc_cutoff <- abs(as.numeric(conf$extra$fc_cutoff))
top_n <- as.integer(conf$extra$top_n)
point_size <- as.numeric(conf$extra$point_size)
point_alpha <- if (is.null(conf$general$alpha)) 0.75 else as.numeric(conf$general$alpha)

deg <- data.frame(
  gene = as.character(data[[symbol_col]]),
  p = suppressWarnings(as.numeric(data[[pvalue_col]])),
  logfc = suppressWarnings(as.numeric(data[[logfc_col]]))
)
deg <- deg[!is.na(deg$p) & !is.na(deg$logfc), ]
if (nrow(deg) == 0) {
  stop("No row has a numeric P value and log2 fold change: check the chosen columns.")
}
# A P value of exactly 0 would sit at infinity; put it on the smallest positive double.
deg$p <- pmax(deg$p, .Machine$double.xmin)
deg$neg_log10_p <- -log10(deg$p)
deg$change <- "NS"
deg$change[deg$p < p_cutoff & deg$logfc >= fc_cutoff] <- "Up"
deg$change[deg$p < p_cutoff & deg$logfc <= -fc_cutoff] <- "Down"
deg$change <- factor(deg$change, levels = c("Down", "NS", "Up"))
deg <- deg[order(deg$p), ]

# Genes to label: the most significant of each direction, plus any the user named.
named_genes <- unlist(strsplit(as.character(conf$extra$label_genes), "[,;[:space:]]+"))
named_genes <- named_genes[nzchar(named_genes)]
top_genes <- character(0)
if (isTRUE(conf$extra$show_top)) {
  top_genes <- c(
    head(deg$gene[deg$change == "Up"], top_n),
    head(deg$gene[deg$change == "Down"], top_n)
  )
}
labelled <- deg[deg$gene %in% c(top_genes, named_genes), ]
labelled <- labelled[!duplicated(labelled$gene), ]

counts <- table(deg$change)
legend_labels <- c(
  Down = sprintf("Down (%d)", counts[["Down"]]),
  NS = sprintf("Not significant (%d)", counts[["NS"]]),
  Up = sprintf("Up (%d)", counts[["Up"]])
)
change_colours <- c(
  Down = conf$extra$down_color,
  NS = conf$extra$ns_color,
  Up = conf$extra$up_color
)
x_limit <- max(abs(deg$logfc), fc_cutoff) * 1.05
title <- if (is.null(conf$general$title)) "" else conf$general$title

# ---- 2. plot ----------------------------------------------------------------------------
p <- ggplot(deg, aes(x = .data$logfc, y = .data$neg_log10_p)) +
  geom_point(aes(colour = .data$change), size = point_size, alpha = point_alpha, stroke = 0) +
  # a cut-off of 0 (fold change) or 1 (P) filters nothing, so it gets no line
  (if (p_cutoff > 0 && p_cutoff < 1) {
    geom_hline(yintercept = -log10(p_cutoff), linetype = "dashed", colour = "grey45", linewidth = 0.4)
  }) +
  (if (fc_cutoff > 0) {
    geom_vline(xintercept = c(-fc_cutoff, fc_cutoff), linetype = "dashed", colour = "grey45", linewidth = 0.4)
  }) +
  geom_point(
    data = labelled, aes(fill = .data$change), shape = 21, colour = "black",
    size = point_size * 1.25, stroke = 0.4, show.legend = FALSE
  ) +
  geom_text_repel(
    data = labelled, aes(label = .data$gene),
    size = 3, fontface = "italic", colour = "grey10",
    box.padding = 0.45, point.padding = 0.2, min.segment.length = 0,
    segment.colour = "grey40", segment.size = 0.3,
    max.overlaps = Inf, seed = 42
  ) +
  scale_colour_manual(values = change_colours, labels = legend_labels, drop = FALSE, name = NULL) +
  scale_fill_manual(values = change_colours, guide = "none") +
  scale_x_continuous(limits = c(-x_limit, x_limit)) +
  scale_y_continuous(expand = expansion(mult = c(0.02, 0.06))) +
  guides(colour = guide_legend(override.aes = list(size = 3, alpha = 1))) +
  labs(
    x = expression(log[2] ~ "fold change"),
    y = expression(-log[10] ~ italic(P)),
    title = title
  )

# Colours come from the form, so only the theme and the font settings are applied here.
p <- choose_ggplot_theme(p, conf$general$theme)
p <- set_complex_general_theme(p)

# ---- 3. output --------------------------------------------------------------------------
significant <- deg[deg$change != "NS", c("gene", "logfc", "p", "neg_log10_p", "change")]
names(significant) <- c(symbol_col, logfc_col, pvalue_col, "neg_log10_P", "change")
write_hiplot_xlsx(list(significant = significant))
export_single(p)
