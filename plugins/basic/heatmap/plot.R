# Clustered heatmap of a genes x samples matrix (ComplexHeatmap).
# Reads: data  = 1-matrix (first column gene names, then one numeric column per sample)
#        data2 = 2-sampleInfo (one row per sample); its dataArg gives the sample ID column
#                and the columns drawn as annotation bars above the heatmap
#        conf$data$geneInfo = optional uploaded file (gene, category) drawn as a row bar

pkgs <- c("ComplexHeatmap", "circlize", "RColorBrewer")
pacman::p_load(pkgs, character.only = TRUE)

# ---- 1. input ---------------------------------------------------------------------------
sample_args <- conf$dataArg[["2-sampleInfo"]]
sample_col <- sample_args[[1]]$value
annotation_cols <- setdiff(as.character(unlist(sample_args[[2]]$value)), c("", sample_col))

expr <- as.matrix(data.frame(lapply(data[-1], as.numeric), check.names = FALSE))
rownames(expr) <- make.unique(as.character(data[[1]]))
expr <- expr[rowSums(is.na(expr)) < ncol(expr), , drop = FALSE]

# Samples missing from the sample table keep a blank annotation instead of failing.
sample_info <- data2[match(colnames(expr), as.character(data2[[sample_col]])), , drop = FALSE]

scaled <- switch(conf$extra$scale,
  row = t(scale(t(expr))),
  column = scale(expr),
  expr
)
# A constant row scales to NaN; grey it out rather than drop it silently.
scaled[is.nan(scaled)] <- NA

# Optional gene categories from an uploaded file: first column gene, second category.
gene_file <- as.character(unlist(c(conf$data$geneInfo$link, conf$data$geneInfo$value)))
gene_file <- gene_file[nzchar(gene_file)]
gene_info <- NULL
if (length(gene_file) > 0) {
  path <- parse_file_link(conf$data$geneInfo)
  # The example names a file shipped with the plugin rather than an upload.
  bundled <- file.path(script_dir, basename(gene_file[[1]]))
  if (!file.exists(path) && file.exists(bundled)) path <- bundled
  gene_info <- data.table::fread(path, data.table = FALSE, header = TRUE)
  # Its category must not share a legend with a sample annotation of the same name.
  if (colnames(gene_info)[[2]] %in% annotation_cols) {
    colnames(gene_info)[[2]] <- paste(colnames(gene_info)[[2]], "(genes)")
  }
}

# ---- 2. colours -------------------------------------------------------------------------
heat_colours <- switch(conf$extra$color,
  viridis = viridisLite::viridis(11),
  magma = viridisLite::magma(11),
  "blue-white-red" = c("#2166AC", "#FFFFFF", "#B2182B"),
  rev(RColorBrewer::brewer.pal(11, conf$extra$color))
)
if (conf$extra$scale == "none") {
  breaks <- seq(min(scaled, na.rm = TRUE), max(scaled, na.rm = TRUE), length.out = length(heat_colours))
  legend_title <- "Expression"
} else {
  # z-scores beyond +-2.5 saturate so that one outlier does not flatten the rest.
  limit <- min(2.5, max(abs(scaled), na.rm = TRUE))
  breaks <- seq(-limit, limit, length.out = length(heat_colours))
  legend_title <- "z-score"
}
heat_col_fun <- colorRamp2(breaks, heat_colours)

# Categorical annotations, of samples and of genes, share one palette so that no two
# levels get the same colour; numeric sample annotations get a grey ramp of their own.
is_numeric_col <- vapply(annotation_cols, function(col) is.numeric(sample_info[[col]]), logical(1))
categorical <- lapply(sample_info[annotation_cols[!is_numeric_col]], function(x) unique(na.omit(x)))
if (!is.null(gene_info)) {
  gene_category <- as.character(gene_info[[2]])[match(rownames(scaled), as.character(gene_info[[1]]))]
  categorical[[colnames(gene_info)[[2]]]] <- unique(na.omit(gene_category))
}
n_levels <- sum(lengths(categorical))
annotation_colours <- list()
if (n_levels > 0) {
  level_colours <- get_hiplot_color(conf$general$palette, n_levels, conf$general$paletteCustom)
  annotation_colours <- mapply(
    function(levels, colours) setNames(colours, levels),
    categorical, split(level_colours, rep(seq_along(categorical), lengths(categorical))),
    SIMPLIFY = FALSE
  )
}
for (col in annotation_cols[is_numeric_col]) {
  annotation_colours[[col]] <- colorRamp2(range(sample_info[[col]], na.rm = TRUE), c("#F0F0F0", "#404040"))
}

legend_title_size <- as.numeric(conf$general$legendTitleSize)
legend_text_size <- as.numeric(conf$general$legendTextSize)
legend_params <- list(
  title_gp = gpar(fontsize = legend_title_size, fontface = "bold"),
  labels_gp = gpar(fontsize = legend_text_size)
)

top_annotation <- if (length(annotation_cols) > 0) {
  HeatmapAnnotation(
    df = sample_info[annotation_cols],
    col = annotation_colours[annotation_cols],
    na_col = "white",
    annotation_name_gp = gpar(fontsize = legend_title_size),
    annotation_legend_param = legend_params,
    simple_anno_size = unit(3.5, "mm"),
    gap = unit(0.8, "mm")
  )
}

left_annotation <- if (!is.null(gene_info)) {
  category_name <- colnames(gene_info)[[2]]
  rowAnnotation(
    df = setNames(data.frame(gene_category), category_name),
    col = annotation_colours[category_name],
    na_col = "white",
    annotation_name_gp = gpar(fontsize = legend_title_size),
    annotation_legend_param = legend_params,
    simple_anno_size = unit(3.5, "mm")
  )
}

# ---- 3. plot ----------------------------------------------------------------------------
hm <- Heatmap(
  scaled,
  name = legend_title,
  col = heat_col_fun,
  na_col = "grey85",
  cluster_rows = isTRUE(conf$extra$cluster_rows),
  cluster_columns = isTRUE(conf$extra$cluster_cols),
  clustering_method_rows = conf$extra$hc_method,
  clustering_method_columns = conf$extra$hc_method,
  show_row_names = isTRUE(conf$extra$show_rownames),
  show_column_names = isTRUE(conf$extra$show_colnames),
  row_names_gp = gpar(fontsize = as.numeric(conf$general$fontsizeRow), fontface = "italic"),
  column_names_gp = gpar(fontsize = as.numeric(conf$general$fontsizeCol)),
  column_title = if (nzchar(conf$general$title)) conf$general$title else NULL,
  column_title_gp = gpar(fontsize = as.numeric(conf$general$titleSize), fontface = "bold"),
  row_dend_width = unit(12, "mm"),
  column_dend_height = unit(12, "mm"),
  top_annotation = top_annotation,
  left_annotation = left_annotation,
  heatmap_legend_param = legend_params,
  border = TRUE
)

# ComplexHeatmap draws on the current device; export_single() calls this for every format.
p <- function() {
  draw(hm,
    heatmap_legend_side = conf$general$legendPos,
    annotation_legend_side = conf$general$legendPos,
    merge_legend = TRUE,
    padding = unit(c(4, 4, 4, 4), "mm")
  )
}

# ---- 4. output --------------------------------------------------------------------------
export_single(p)
