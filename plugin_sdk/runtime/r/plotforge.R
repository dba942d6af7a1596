# PlotForge's R helper library: the functions Hiplot plot scripts call by name
# (export_single, set_palette_theme, get_hiplot_color, ...), with Hiplot's
# names and calling conventions.
#
# run_job.R sources this file into its own environment, attached on the search
# path as "plotforge", so scripts see the helpers unqualified and a script that
# clears the global environment does not remove them. Because of that, the
# helpers do not find the script's globals (conf, opt, upload_dir) by lexical
# scope: they read them from the global environment explicitly, as default
# arguments a caller can override.
#
# Two rules hold throughout, because the values come from users and plugins:
# no string is ever evaluated as R code (themes and transforms come from fixed
# tables), and no shell command is built from a string (system2 with an
# argument vector).

# ---------------------------------------------------------------------------
# Small internal tools
# ---------------------------------------------------------------------------

.pf_global <- function(name, default = NULL) {
  get0(name, envir = globalenv(), inherits = FALSE, ifnotfound = default)
}

# A setting from the form as one number, whatever JSON shape it arrived in
# (6, "6", [6]); `default` when it is absent, empty or not a number.
.pf_number <- function(x, default = NULL) {
  x <- unlist(x, use.names = FALSE)
  if (length(x) == 0L) {
    return(default)
  }
  value <- suppressWarnings(as.numeric(x[[1]]))
  if (is.na(value)) default else value
}

# A setting as one string, or `default` when absent or empty.
.pf_string <- function(x, default = NULL) {
  x <- unlist(x, use.names = FALSE)
  if (length(x) == 0L || is.na(x[[1]]) || !nzchar(as.character(x[[1]]))) {
    return(default)
  }
  as.character(x[[1]])
}

.pf_has_package <- function(pkg) {
  requireNamespace(pkg, quietly = TRUE)
}

# Devices expand %d in file names to page numbers; a literal % must be doubled.
.pf_device_path <- function(path) {
  gsub("%", "%%", path, fixed = TRUE)
}

# Outputs are written under a hidden temporary name in the destination folder
# and renamed into place, so a crash never leaves half a file under the real
# name. The temporary name keeps the extension: some writers check it.
.pf_temp_path <- function(final) {
  ext <- sub("^[^.]*", "", basename(final))
  stem <- gsub("%", "_", basename(final), fixed = TRUE)
  file.path(dirname(final), sprintf(".%s.part%d%s", stem, Sys.getpid(), ext))
}

.pf_commit <- function(tmp, final) {
  if (!file.exists(tmp) || file.size(tmp) == 0) {
    unlink(tmp)
    stop("Writing ", basename(final), " produced no data: nothing was drawn", call. = FALSE)
  }
  if (!file.rename(tmp, final)) {
    unlink(tmp)
    stop("Could not move ", basename(final), " into place", call. = FALSE)
  }
  final
}

.pf_prefix <- function(opt) {
  prefix <- opt$outputFilePrefix
  if (is.null(prefix) || !nzchar(prefix)) {
    stop("opt$outputFilePrefix is not set: the runtime did not prepare this run", call. = FALSE)
  }
  prefix
}

# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------

# Names users pick for Chinese text. fontconfig maps most of them to a Latin
# font, so they go straight to the CJK family we install.
.pf_cjk_font_names <- c(
  "simsun", "simhei", "nsimsun", "kaiti", "fangsong", "microsoft yahei", "yahei",
  "stheiti", "stsong", "pingfang sc", "source han sans", "source han sans cn",
  "\u5b8b\u4f53", "\u9ed1\u4f53", "\u5fae\u8f6f\u96c5\u9ed1", "\u6977\u4f53"
)

.pf_font_cache <- new.env(parent = emptyenv())

# The installed family that fontconfig uses for `family` ("Arial" -> "Liberation
# Sans"). Cairo devices resolve names the same way, but asking once gives every
# device, including svglite, the same metrics. Characters the family lacks
# (Chinese in Liberation Sans) are taken by Pango from the CJK fallback font.
resolve_font_family <- function(family = NULL) {
  family <- .pf_string(family, "Arial")
  cached <- .pf_font_cache[[family]]
  if (!is.null(cached)) {
    return(cached)
  }
  resolved <- if (tolower(family) %in% .pf_cjk_font_names) {
    "Noto Sans CJK SC"
  } else {
    found <- tryCatch(
      suppressWarnings(system2("fc-match", c("-f", "%{family[0]}", family), stdout = TRUE, stderr = FALSE)),
      error = function(e) character()
    )
    if (length(found) && nzchar(found[[1]])) found[[1]] else "sans"
  }
  assign(family, resolved, envir = .pf_font_cache)
  resolved
}

# ---------------------------------------------------------------------------
# Export: one plot object to every kind in conf$general$imageExportType
# ---------------------------------------------------------------------------

.pf_raster_dpi <- 300
.pf_raster_kinds <- c("png", "jpeg", "tiff")

# Each kind: how to open its device at width x height inches. PDF and EPS go
# through cairo so fonts are embedded and Chinese renders; SVG goes through
# svglite because cairo's SVG turns text into paths and svglite keeps it as
# editable <text>.
.pf_devices <- list(
  pdf = function(file, width, height, family) {
    grDevices::cairo_pdf(file, width = width, height = height, family = family, onefile = TRUE)
  },
  png = function(file, width, height, family) {
    grDevices::png(file,
      width = width, height = height, units = "in", res = .pf_raster_dpi,
      type = "cairo", family = family, bg = "white"
    )
  },
  jpeg = function(file, width, height, family) {
    grDevices::jpeg(file,
      width = width, height = height, units = "in", res = .pf_raster_dpi,
      type = "cairo", family = family, bg = "white", quality = 95
    )
  },
  tiff = function(file, width, height, family) {
    grDevices::tiff(file,
      width = width, height = height, units = "in", res = .pf_raster_dpi,
      type = "cairo", family = family, bg = "white", compression = "lzw"
    )
  },
  svg = function(file, width, height, family) {
    # Map the generic families to the resolved one so measured widths match
    # the font a viewer will most likely pick.
    svglite::svglite(file,
      width = width, height = height, bg = "white",
      system_fonts = list(sans = family)
    )
  },
  eps = function(file, width, height, family) {
    grDevices::cairo_ps(file,
      width = width, height = height, family = family, onefile = TRUE,
      fallback_resolution = .pf_raster_dpi
    )
  }
)

# The kinds asked for, normalised: a list or a vector, "jpg" = "jpeg".
.pf_export_kinds <- function(conf) {
  kinds <- tolower(trimws(as.character(unlist(conf$general$imageExportType, use.names = FALSE))))
  kinds[kinds == "jpg"] <- "jpeg"
  kinds[kinds == "tif"] <- "tiff"
  kinds <- unique(kinds[!is.na(kinds) & nzchar(kinds)])
  if (length(kinds) == 0L) c("pdf", "png") else kinds
}

.pf_plot_size <- function(conf) {
  width <- .pf_number(conf$general$size$width, 6)
  height <- .pf_number(conf$general$size$height, 5)
  if (width <= 0 || height <= 0 || width > 100 || height > 100) {
    stop(sprintf("Figure size %g x %g inches is outside 0-100 inches", width, height), call. = FALSE)
  }
  c(width = width, height = height)
}

# Turn whatever the script built into a function that draws it on the current
# device. A ggplot (or patchwork) is built into a gtable once, on the first
# device, and the same gtable is drawn on every other device.
.pf_drawer <- function(x) {
  if (is.null(x)) {
    stop("export_single() was given NULL instead of a plot", call. = FALSE)
  }
  if (inherits(x, "ggplot") || inherits(x, "pheatmap") || inherits(x, "grob") || inherits(x, "gList")) {
    built <- NULL
    return(function() {
      # The page first: building a gtable on a fresh cairo_pdf device starts a page
      # implicitly, and a grid.newpage() after it would leave page 1 blank.
      grid::grid.newpage()
      if (is.null(built)) built <<- .pf_as_gtable(x)
      grid::grid.draw(built)
    })
  }
  if (inherits(x, "recordedplot")) {
    return(function() grDevices::replayPlot(x))
  }
  if (inherits(x, "trellis")) {
    return(function() print(x))
  }
  if (isS4(x) && .pf_has_package("ComplexHeatmap") &&
    (methods::is(x, "Heatmap") || methods::is(x, "HeatmapList") || methods::is(x, "Legends"))) {
    return(function() {
      grid::grid.newpage()
      ComplexHeatmap::draw(x)
    })
  }
  if (is.function(x)) {
    return(function() {
      value <- x()
      # A function that returns a ggplot or grob instead of printing it.
      if (inherits(value, "ggplot") || inherits(value, "grob")) {
        grid::grid.newpage()
        grid::grid.draw(.pf_as_gtable(value))
      }
    })
  }
  stop(
    "export_single() cannot draw an object of class ", paste(class(x), collapse = "/"),
    "; give it a ggplot, a grob, a recordPlot() recording or a function that draws",
    call. = FALSE
  )
}

.pf_as_gtable <- function(x) {
  if (inherits(x, "patchwork")) {
    return(patchwork::patchworkGrob(x))
  }
  if (inherits(x, "ggplot")) {
    return(ggplot2::ggplotGrob(x))
  }
  if (inherits(x, "pheatmap")) {
    return(x$gtable)
  }
  if (inherits(x, "gList")) {
    return(grid::gTree(children = x))
  }
  x
}

# Draw once on one device into `final`, closing the device whatever happens.
.pf_render <- function(draw, kind, final, size, family) {
  tmp <- .pf_temp_path(final)
  previous <- grDevices::dev.cur()
  device <- NULL
  done <- FALSE
  on.exit({
    if (!is.null(device) && device %in% grDevices::dev.list()) grDevices::dev.off(device)
    if (!done) unlink(tmp)
    if (previous > 1L && previous %in% grDevices::dev.list()) grDevices::dev.set(previous)
  })
  .pf_devices[[kind]](.pf_device_path(tmp), size[["width"]], size[["height"]], family)
  device <- grDevices::dev.cur()
  draw()
  grDevices::dev.off(device)
  device <- NULL
  .pf_commit(tmp, final)
  done <- TRUE
  final
}

.pf_save_widget <- function(widget, final) {
  if (!.pf_has_package("htmlwidgets")) {
    message("htmlwidgets is not installed: ", basename(final), " skipped")
    return(invisible(NULL))
  }
  tmp <- .pf_temp_path(final)
  on.exit(unlink(tmp))
  # A self-contained page needs pandoc; without it the libraries go in a folder.
  selfcontained <- nzchar(Sys.which("pandoc"))
  htmlwidgets::saveWidget(widget, tmp,
    selfcontained = selfcontained,
    libdir = paste0(basename(final), "_files")
  )
  .pf_commit(tmp, final)
}

.pf_export_plotly <- function(p, prefix) {
  if (!inherits(p, "ggplot") || !.pf_has_package("plotly") || !.pf_has_package("htmlwidgets")) {
    message("plotly output skipped: the R packages plotly and htmlwidgets are needed for it")
    return(invisible(NULL))
  }
  .pf_save_widget(plotly::ggplotly(p), paste0(prefix, ".plotly.html"))
}

# Write `p` once per kind in conf$general$imageExportType at
# conf$general$size inches (6 x 5 if absent) in conf$general$font.
export_single <- function(p, opt = .pf_global("opt"), conf = .pf_global("conf")) {
  prefix <- .pf_prefix(opt)
  if (inherits(p, "htmlwidget")) {
    return(invisible(.pf_save_widget(p, paste0(prefix, ".htmlwidget.html"))))
  }
  kinds <- .pf_export_kinds(conf)
  size <- .pf_plot_size(conf)
  family <- resolve_font_family(conf$general$font)
  raster <- intersect(kinds, .pf_raster_kinds)
  if (length(raster) && prod(size) * .pf_raster_dpi^2 > 2.5e8) {
    stop(sprintf("A %g x %g inch image at %d dpi is too large", size[[1]], size[[2]], .pf_raster_dpi), call. = FALSE)
  }
  draw <- .pf_drawer(p)
  rasterise <- if (length(raster)) .pf_rasteriser()
  # With a rasteriser the plot is drawn once for all raster kinds: to the PDF, which is
  # drawn first (to a hidden file when no PDF was asked for) and rendered into each.
  drawn <- if (is.null(rasterise)) kinds else union("pdf", setdiff(kinds, raster))
  hidden_pdf <- file.path(dirname(prefix), paste0(".", basename(prefix), ".for-rasters.pdf"))
  if (!"pdf" %in% kinds) on.exit(unlink(hidden_pdf), add = TRUE)
  written <- character()
  for (kind in drawn) {
    if (kind %in% names(.pf_devices)) {
      final <- if (kind == "pdf" && !"pdf" %in% kinds) hidden_pdf else paste0(prefix, ".", kind)
      file <- .pf_render(draw, kind, final, size, family)
      if (kind == "pdf") pdf <- file
      if (kind %in% kinds) written <- c(written, file)
    } else if (kind == "plotly") {
      written <- c(written, .pf_export_plotly(p, prefix))
    } else {
      message("Export kind '", kind, "' is not supported on this server; skipped")
    }
  }
  if (!is.null(rasterise)) {
    written <- c(written, rasterise(pdf, raster, paste0(prefix, ".", raster)))
  }
  invisible(written)
}

# How raster outputs are made from the plot's PDF (plugin_sdk/runtime/rasterise.py, PDFium):
# in-process in a warm worker, which sets the option plotforge.rasteriser; through Python
# started from a fresh Rscript, which the runner tells where Python is. NULL elsewhere (these
# helpers sourced into a plain R session): each raster device then draws the plot itself.
.pf_rasteriser <- function() {
  in_process <- getOption("plotforge.rasteriser")
  python <- Sys.getenv("PLOTFORGE_PYTHON")
  if (is.function(in_process)) {
    render <- function(pdf, kinds, files) in_process(pdf, .pf_raster_dpi, kinds, files)
  } else if (nzchar(python) && .pf_has_package("processx")) {
    render <- function(pdf, kinds, files) {
      args <- c("-m", "plugin_sdk.runtime.rasterise", pdf, .pf_raster_dpi, paste0(kinds, "=", files))
      run <- processx::run(python, args, error_on_status = FALSE, stderr_to_stdout = TRUE)
      if (run$status == 0L) "" else trimws(run$stdout)
    }
  } else {
    return(NULL)
  }
  function(pdf, kinds, files) {
    problem <- render(pdf, kinds, files)
    if (length(problem) && nzchar(problem[[1]])) {
      stop("Could not make the ", paste(kinds, collapse = "/"), " image: ", problem[[1]], call. = FALSE)
    }
    files
  }
}

# ---------------------------------------------------------------------------
# Raster copies of PDFs (poppler-utils)
# ---------------------------------------------------------------------------

.pf_pdftoppm_flags <- list(
  png = "-png",
  jpeg = c("-jpeg", "-jpegopt", "quality=95"),
  tiff = c("-tiff", "-tiffcompression", "lzw")
)

.pf_run_tool <- function(tool, args) {
  if (!nzchar(Sys.which(tool))) {
    stop(tool, " is not installed (Debian package poppler-utils)", call. = FALSE)
  }
  out <- suppressWarnings(system2(tool, args, stdout = TRUE, stderr = TRUE))
  status <- attr(out, "status")
  if (!is.null(status) && status != 0L) {
    stop(tool, " failed: ", paste(out, collapse = "\n"), call. = FALSE)
  }
  invisible(out)
}

# Raster copies of one PDF next to the outputs: <prefix>[-i].png (and .jpeg,
# .tiff, .svg as asked), one file per page with -<page> when it has several.
pdf2image <- function(pdf, i = "", kinds = NULL, opt = .pf_global("opt"), conf = .pf_global("conf")) {
  prefix <- .pf_prefix(opt)
  if (is.null(kinds)) kinds <- .pf_export_kinds(conf)
  kinds <- intersect(tolower(kinds), c("png", "jpeg", "jpg", "tiff", "tif", "svg"))
  kinds <- unique(c(jpg = "jpeg", tif = "tiff", png = "png", jpeg = "jpeg", tiff = "tiff", svg = "svg")[kinds])
  if (!file.exists(pdf)) stop("pdf2image(): no such file: ", pdf, call. = FALSE)
  stem <- if (identical(as.character(i), "")) prefix else paste0(prefix, "-", i)
  written <- character()
  for (kind in kinds) {
    # Render into a private folder first: pdftoppm numbers pages itself.
    work <- file.path(dirname(prefix), sprintf(".pdf2image-%d-%s", Sys.getpid(), kind))
    dir.create(work, showWarnings = FALSE)
    on.exit(unlink(work, recursive = TRUE), add = TRUE)
    if (kind == "svg") {
      # Text in a PDF is already glyph outlines for pdftocairo, so this SVG
      # cannot have editable text; export_single's svglite output does.
      .pf_run_tool("pdftocairo", c("-svg", pdf, file.path(work, "page.svg")))
    } else {
      .pf_run_tool("pdftoppm", c("-r", .pf_raster_dpi, .pf_pdftoppm_flags[[kind]], pdf, file.path(work, "page")))
    }
    pages <- sort(list.files(work, full.names = TRUE))
    ext <- if (kind == "jpeg") "jpeg" else kind
    targets <- if (length(pages) == 1L) {
      paste0(stem, ".", ext)
    } else {
      paste0(stem, "-", seq_along(pages), ".", ext)
    }
    for (k in seq_along(pages)) {
      if (!file.rename(pages[[k]], targets[[k]])) stop("Could not move ", basename(targets[[k]]), call. = FALSE)
    }
    written <- c(written, targets)
  }
  invisible(written)
}

# Several PDFs from one script: <prefix>.pdf (merged with pdfunite when there
# are several) plus raster copies, <prefix>.png for one PDF or <prefix>-<i>.png
# for several.
pdfs2image <- function(pdfs, opt = .pf_global("opt"), conf = .pf_global("conf")) {
  prefix <- .pf_prefix(opt)
  pdfs <- as.character(unlist(pdfs, use.names = FALSE))
  missing <- pdfs[!file.exists(pdfs)]
  if (length(missing)) stop("pdfs2image(): no such file: ", paste(missing, collapse = ", "), call. = FALSE)
  kinds <- .pf_export_kinds(conf)
  out_pdf <- paste0(prefix, ".pdf")
  if ("pdf" %in% kinds) {
    tmp <- .pf_temp_path(out_pdf)
    on.exit(unlink(tmp), add = TRUE)
    if (length(pdfs) == 1L) {
      if (normalizePath(pdfs) != normalizePath(out_pdf, mustWork = FALSE)) {
        file.copy(pdfs, tmp, overwrite = TRUE)
        .pf_commit(tmp, out_pdf)
      }
    } else {
      .pf_run_tool("pdfunite", c(pdfs, tmp))
      .pf_commit(tmp, out_pdf)
    }
  }
  for (k in seq_along(pdfs)) {
    pdf2image(pdfs[[k]], if (length(pdfs) == 1L) "" else k, kinds = kinds, opt = opt, conf = conf)
  }
  invisible(pdfs)
}

# ---------------------------------------------------------------------------
# Tables: one workbook, every string cell written as a string
# ---------------------------------------------------------------------------

.pf_sheet_names <- function(names) {
  for (forbidden in c("[", "]", ":", "*", "?", "/", "\\")) {
    names <- gsub(forbidden, "_", names, fixed = TRUE)
  }
  names[!nzchar(names)] <- "Sheet"
  names <- substr(names, 1L, 28L)
  # Excel compares sheet names without case; suffix duplicates.
  out <- character(length(names))
  for (k in seq_along(names)) {
    candidate <- names[[k]]
    n <- 1L
    while (tolower(candidate) %in% tolower(out[seq_len(k - 1L)])) {
      n <- n + 1L
      candidate <- paste0(names[[k]], "_", n)
    }
    out[[k]] <- candidate
  }
  out
}

# Cells become plain values: factors and any classed character column (such
# as openxlsx's "formula" or "hyperlink") turn into plain strings, so a cell
# holding "=1+1", "+1", "-1" or "@x" is written as text and never as a formula.
.pf_plain_table <- function(df) {
  df <- as.data.frame(df, stringsAsFactors = FALSE, check.names = FALSE)
  df[] <- lapply(df, function(col) {
    if (is.factor(col)) {
      return(as.character(col))
    }
    if (is.list(col)) {
      return(vapply(col, function(v) paste(unlist(v), collapse = ", "), character(1)))
    }
    if (is.character(col)) {
      return(as.vector(unclass(col), mode = "character"))
    }
    col
  })
  df
}

# Write a named list of data.frames (or one data.frame) as one workbook,
# <prefix>.xlsx by default.
write_hiplot_xlsx <- function(tables, file = NULL, opt = .pf_global("opt")) {
  if (is.data.frame(tables)) tables <- list(Sheet1 = tables)
  if (is.null(file)) file <- paste0(.pf_prefix(opt), ".xlsx")
  if (length(tables) == 0L) stop("write_hiplot_xlsx(): no tables to write", call. = FALSE)
  sheet_names <- names(tables)
  if (is.null(sheet_names)) sheet_names <- paste0("Sheet", seq_along(tables))
  sheet_names <- .pf_sheet_names(sheet_names)
  wb <- openxlsx::createWorkbook()
  for (k in seq_along(tables)) {
    openxlsx::addWorksheet(wb, sheet_names[[k]])
    openxlsx::writeData(wb, sheet_names[[k]], .pf_plain_table(tables[[k]]), colNames = TRUE, rowNames = FALSE)
  }
  tmp <- .pf_temp_path(file)
  on.exit(unlink(tmp))
  openxlsx::saveWorkbook(wb, tmp, overwrite = TRUE)
  .pf_drop_dangling_parts(tmp)
  invisible(.pf_commit(tmp, file))
}

# openxlsx 4.2.5 declares a drawing part for every sheet but writes none when
# the sheet has no drawing (openxlsx issues #285, #429). Excel does not mind;
# strict readers such as Python's openpyxl refuse the file. Drop every
# relationship and content-type entry whose part is not in the archive.
.pf_drop_dangling_parts <- function(xlsx) {
  root <- tempfile("xlsx-")
  on.exit(unlink(root, recursive = TRUE))
  utils::unzip(xlsx, exdir = root)
  parts <- list.files(root, recursive = TRUE, all.files = TRUE)
  changed <- FALSE
  drop_tags <- function(xml, pattern, exists) {
    tags <- regmatches(xml, gregexpr(pattern, xml, perl = TRUE))[[1]]
    for (tag in tags[!vapply(tags, exists, logical(1))]) {
      xml <- sub(tag, "", xml, fixed = TRUE)
      changed <<- TRUE
    }
    xml
  }
  for (rels in parts[grepl("(^|/)_rels/[^/]*\\.rels$", parts)]) {
    path <- file.path(root, rels)
    # Targets are relative to the folder that holds the _rels folder.
    base <- dirname(dirname(rels))
    xml <- paste(readLines(path, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
    xml <- drop_tags(xml, "<Relationship\\b[^>]*/>", function(tag) {
      if (grepl("TargetMode=\"External\"", tag, fixed = TRUE)) {
        return(TRUE)
      }
      target <- sub(".*\\bTarget=\"([^\"]*)\".*", "\\1", tag, perl = TRUE)
      target <- if (startsWith(target, "/")) sub("^/", "", target) else file.path(base, target)
      file.exists(file.path(root, target))
    })
    writeLines(xml, path, useBytes = TRUE)
  }
  types <- file.path(root, "[Content_Types].xml")
  xml <- paste(readLines(types, warn = FALSE, encoding = "UTF-8"), collapse = "\n")
  xml <- drop_tags(xml, "<Override\\b[^>]*/>", function(tag) {
    part <- sub(".*\\bPartName=\"/([^\"]*)\".*", "\\1", tag, perl = TRUE)
    file.exists(file.path(root, part))
  })
  writeLines(xml, types, useBytes = TRUE)
  if (changed) {
    # [Content_Types].xml first, as Office writes it.
    ordered <- c("[Content_Types].xml", setdiff(parts, "[Content_Types].xml"))
    unlink(xlsx)
    zip::zip(xlsx, files = ordered, root = root, mode = "mirror")
  }
  invisible(xlsx)
}

.pf_inside <- function(path, folder) {
  path <- normalizePath(path, mustWork = FALSE)
  folder <- normalizePath(folder, mustWork = FALSE)
  startsWith(path, paste0(folder, .Platform$file.sep))
}

# Bundle a folder the script filled (default "output" next to the outputs):
# PDFs get raster copies, tables (.csv, .tsv, .txt) go into <prefix>.xlsx,
# everything else into <prefix>.addition.tar.gz. The folder is removed after,
# as Hiplot does, so only <prefix>.* files remain.
export_directory <- function(outdir = "output", opt = .pf_global("opt"), conf = .pf_global("conf")) {
  prefix <- .pf_prefix(opt)
  basedir <- dirname(prefix)
  if (!grepl("^(/|~)", outdir)) outdir <- file.path(basedir, outdir)
  if (!dir.exists(outdir)) {
    message("export_directory(): nothing to bundle, ", outdir, " does not exist")
    return(invisible(character()))
  }
  if (!.pf_inside(outdir, basedir)) {
    stop("export_directory() only bundles folders inside the output folder", call. = FALSE)
  }
  files <- list.files(outdir, recursive = TRUE, all.files = FALSE)
  written <- character()
  pdfs <- files[grepl("\\.pdf$", files, ignore.case = TRUE)]
  if (length(pdfs)) {
    pdfs2image(file.path(outdir, pdfs), opt = opt, conf = conf)
  }
  tables <- files[grepl("\\.(csv|tsv|txt)$", files, ignore.case = TRUE)]
  if (length(tables)) {
    contents <- lapply(file.path(outdir, tables), function(path) {
      data.table::fread(path, data.table = FALSE, encoding = "UTF-8", fill = TRUE)
    })
    names(contents) <- sub("\\.[^.]*$", "", basename(tables))
    written <- c(written, write_hiplot_xlsx(contents, paste0(prefix, ".xlsx")))
  }
  rest <- setdiff(files, tables)
  if (length(rest)) {
    final <- paste0(prefix, ".addition.tar.gz")
    tmp <- .pf_temp_path(final)
    owd <- setwd(outdir)
    on.exit(setwd(owd), add = TRUE)
    # tar = "internal": R writes the archive itself, no shell command.
    utils::tar(tmp, files = rest, compression = "gzip", tar = "internal")
    setwd(owd)
    written <- c(written, .pf_commit(tmp, final))
  }
  unlink(outdir, recursive = TRUE)
  invisible(written)
}

# ---------------------------------------------------------------------------
# Colours and palettes
# ---------------------------------------------------------------------------

cb_palette <- c(
  "#ed1299", "#246b93", "#cc8e12", "#d561dd", "#c93f00", "#e86502", "#39ba30",
  "#8249aa", "#e07233", "#3367e0", "#ce2523", "#f7aa5d", "#03827f", "#931635",
  "#373bbf", "#ef3bb6", "#d66551", "#1a918f", "#ff66fc", "#2927c4", "#7149af",
  "#8e3af4", "#f9a270", "#22547f", "#db5e92", "#6f25e8", "#280f7a", "#6373ed",
  "#5b910f", "#7b34c1", "#d80fc1", "#dd27ce", "#07a301", "#167275", "#391c82",
  "#2baeb5", "#925bea"
)

col_tag <- c("#f4f4f4", "#5a5a5a")

# The journal palettes of ggsci with their full lengths.
.pf_ggsci <- list(
  npg = function() ggsci::pal_npg()(10),
  aaas = function() ggsci::pal_aaas()(10),
  nejm = function() ggsci::pal_nejm()(8),
  lancet = function() ggsci::pal_lancet()(9),
  jama = function() ggsci::pal_jama()(7),
  jco = function() ggsci::pal_jco()(10),
  ucscgb = function() ggsci::pal_ucscgb()(26),
  d3 = function() ggsci::pal_d3()(10),
  locuszoom = function() ggsci::pal_locuszoom()(7),
  igv = function() ggsci::pal_igv()(51),
  uchicago = function() ggsci::pal_uchicago()(9),
  startrek = function() ggsci::pal_startrek()(7),
  tron = function() ggsci::pal_tron()(7),
  futurama = function() ggsci::pal_futurama()(12),
  rickandmorty = function() ggsci::pal_rickandmorty()(12),
  simpsons = function() ggsci::pal_simpsons()(16)
)

# Palettes defined by a number of colours rather than a list of them.
.pf_generated <- list(
  default = function(n) scales::hue_pal()(n),
  rainbow = function(n) grDevices::rainbow(n),
  viridis = function(n) grDevices::hcl.colors(n, "viridis"),
  magma = function(n) grDevices::hcl.colors(n, "Inferno"),
  inferno = function(n) grDevices::hcl.colors(n, "Inferno"),
  plasma = function(n) grDevices::hcl.colors(n, "Plasma"),
  cividis = function(n) grDevices::hcl.colors(n, "Cividis")
)

gg_color_default <- function(n) {
  scales::hue_pal()(n)
}

.pf_is_colour <- function(x) {
  !inherits(tryCatch(grDevices::col2rgb(x), error = function(e) e), "error")
}

# Colours typed by a user, in any of the shapes the form produces: a list, or
# one string such as "E64B35, #4DBBD5; red". Bare hex codes get their "#";
# anything R does not know as a colour is dropped with a message.
custom_color_filter <- function(cols) {
  cols <- as.character(unlist(cols, use.names = FALSE))
  cols <- unlist(strsplit(gsub("[\"']", " ", cols), "[[:space:],;]+"))
  cols <- cols[!is.na(cols) & nzchar(cols)]
  bare_hex <- grepl("^([0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$", cols)
  cols[bare_hex] <- paste0("#", cols[bare_hex])
  known <- vapply(cols, .pf_is_colour, logical(1))
  if (any(!known)) {
    message("Ignoring colours R does not know: ", paste(cols[!known], collapse = ", "))
  }
  unname(cols[known])
}

# Interpolate when more colours are needed than a palette has.
.pf_stretch <- function(cols, n) {
  if (n <= length(cols)) {
    return(cols[seq_len(n)])
  }
  grDevices::colorRampPalette(cols, alpha = TRUE)(n)
}

# A palette by name: NULL for "null" or nothing, else a list with either
# `colours` (a fixed list, stretched when more are needed) or `generate` (a
# function of n). As in Hiplot, a non-empty custom list wins over the name.
.pf_palette <- function(palette, custom = NULL) {
  palette <- .pf_string(palette, "null")
  if (palette == "null") {
    return(NULL)
  }
  custom <- custom_color_filter(custom)
  if (length(custom)) {
    return(list(name = "custom", colours = custom))
  }
  if (palette == "custom") {
    message("Palette 'custom' chosen but no custom colours given; using the default palette")
    palette <- "default"
  }
  if (palette %in% names(.pf_ggsci)) {
    return(list(name = palette, colours = .pf_ggsci[[palette]]()))
  }
  if (palette %in% rownames(RColorBrewer::brewer.pal.info)) {
    size <- RColorBrewer::brewer.pal.info[palette, "maxcolors"]
    return(list(name = palette, colours = RColorBrewer::brewer.pal(size, palette)))
  }
  if (palette == "cb") {
    return(list(name = palette, colours = cb_palette))
  }
  if (!palette %in% names(.pf_generated)) {
    message("Unknown palette '", palette, "'; using the default palette")
    palette <- "default"
  }
  list(name = palette, generate = .pf_generated[[palette]])
}

.pf_palette_function <- function(pal) {
  if (!is.null(pal$colours)) function(n) .pf_stretch(pal$colours, n) else pal$generate
}

# n colours of a palette. n = -1 (Hiplot's "all of them") gives a fixed
# palette's own colours; a generated palette has no natural length, so it
# gives 12, or for "default" 100 hues ordered around the colour wheel by the
# golden angle so that any first k of them are far apart.
get_hiplot_color <- function(palette, n = -1, custom = NULL) {
  pal <- .pf_palette(palette, custom)
  if (is.null(pal)) {
    return(NULL)
  }
  n <- .pf_number(n, -1)
  if (n > 0) {
    return(.pf_palette_function(pal)(as.integer(n)))
  }
  if (!is.null(pal$colours)) {
    return(pal$colours)
  }
  if (pal$name == "default") {
    return(grDevices::hcl(h = (15 + 137.508 * (0:99)) %% 360, c = 100, l = 65))
  }
  pal$generate(12L)
}

.pf_discrete_scale <- function(aesthetic, palette, custom) {
  pal <- .pf_palette(palette, custom)
  if (is.null(pal)) {
    return(NULL)
  }
  ggplot2::discrete_scale(aesthetic, "hiplot", palette = .pf_palette_function(pal))
}

# The ggplot2 fill / colour scale of a palette; NULL (adds nothing) for "null".
return_hiplot_palette <- function(palette, custom = NULL) {
  .pf_discrete_scale("fill", palette, custom)
}

return_hiplot_palette_color <- function(palette, custom = NULL) {
  .pf_discrete_scale("colour", palette, custom)
}

add_alpha <- function(col, alpha = 1) {
  rgb <- grDevices::col2rgb(col)
  grDevices::rgb(rgb[1, ], rgb[2, ], rgb[3, ], alpha = alpha * 255, maxColorValue = 255)
}

transparentColor <- function(col, alpha = 200) {
  add_alpha(col, alpha / 255)
}

get_quant <- function(x) {
  x <- as.numeric(unlist(x))
  c(
    min(x, na.rm = TRUE),
    stats::quantile(x, c(0.03, 0.07, 0.45), na.rm = TRUE, names = FALSE),
    stats::median(x, na.rm = TRUE),
    stats::quantile(x, c(0.55, 0.93, 0.97), na.rm = TRUE, names = FALSE),
    max(x, na.rm = TRUE)
  )
}

# A continuous colour function over the range of `x` for ComplexHeatmap.
# Nine colours are placed at Hiplot's quantiles (so outliers do not wash out
# the scale); any other number is spread evenly over the range. `cols` may
# also be one palette name.
col_fun_cont <- function(x, cols = c(
                           "#196ABD", "#3399FF", "#3399FF", "#f4f4f4", "#f4f4f4",
                           "#f4f4f4", "#FF3333", "#FF3333", "#C20B01"
                         )) {
  cols <- unlist(cols, use.names = FALSE)
  if (length(cols) == 1L && !.pf_is_colour(cols)) {
    cols <- get_hiplot_color(cols, 9)
  }
  cols <- custom_color_filter(cols)
  if (length(cols) < 2L) stop("col_fun_cont() needs at least two colours", call. = FALSE)
  values <- suppressWarnings(as.numeric(unlist(x)))
  range <- range(values, na.rm = TRUE, finite = TRUE)
  if (!all(is.finite(range))) stop("col_fun_cont() needs numeric data", call. = FALSE)
  if (range[[1]] == range[[2]]) range <- range + c(-0.5, 0.5)
  breaks <- if (length(cols) == 9L) get_quant(values) else numeric()
  if (length(breaks) != length(cols) || anyDuplicated(breaks)) {
    breaks <- seq(range[[1]], range[[2]], length.out = length(cols))
  }
  circlize::colorRamp2(breaks, cols)
}

# ComplexHeatmap oncoPrint cell drawer, as Hiplot defines it; uses the
# script's global `cols` (mutation type -> colour).
alter_fun <- function(x, y, w, h, v) {
  cols <- .pf_global("cols")
  n <- sum(v)
  h <- h * 0.98
  grid::grid.rect(x, y, w - grid::unit(0.29, "mm"), h - grid::unit(0.1, "mm"),
    gp = grid::gpar(fill = "#f4f4f4", col = "#f4f4f4")
  )
  if (any(v[names(cols)], na.rm = TRUE)) {
    grid::grid.rect(x, y - h * 0.5 + 1:n / n * h, w, 1 / n * h,
      gp = grid::gpar(fill = cols[names(which(v))], col = NA), just = "top"
    )
  }
}

# ---------------------------------------------------------------------------
# Themes
# ---------------------------------------------------------------------------

# Every theme a plugin may name. The form sends a name; the name only selects
# an entry here, it never becomes code.
.pf_theme <- function(pkg, make) list(pkg = pkg, make = make)

.pf_themes <- list(
  theme_bw = .pf_theme("ggplot2", function() ggplot2::theme_bw()),
  theme_classic = .pf_theme("ggplot2", function() ggplot2::theme_classic()),
  theme_minimal = .pf_theme("ggplot2", function() ggplot2::theme_minimal()),
  theme_light = .pf_theme("ggplot2", function() ggplot2::theme_light()),
  theme_linedraw = .pf_theme("ggplot2", function() ggplot2::theme_linedraw()),
  theme_dark = .pf_theme("ggplot2", function() ggplot2::theme_dark()),
  theme_void = .pf_theme("ggplot2", function() ggplot2::theme_void()),
  theme_gray = .pf_theme("ggplot2", function() ggplot2::theme_gray()),
  theme_grey = .pf_theme("ggplot2", function() ggplot2::theme_grey()),
  theme_stata = .pf_theme("ggthemes", function() ggthemes::theme_stata()),
  theme_economist = .pf_theme("ggthemes", function() ggthemes::theme_economist()),
  theme_economist_white = .pf_theme("ggthemes", function() ggthemes::theme_economist_white()),
  theme_few = .pf_theme("ggthemes", function() ggthemes::theme_few()),
  theme_tufte = .pf_theme("ggthemes", function() ggthemes::theme_tufte()),
  theme_wsj = .pf_theme("ggthemes", function() ggthemes::theme_wsj()),
  theme_calc = .pf_theme("ggthemes", function() ggthemes::theme_calc()),
  theme_hc = .pf_theme("ggthemes", function() ggthemes::theme_hc()),
  theme_pander = .pf_theme("ggthemes", function() ggthemes::theme_pander()),
  theme_foundation = .pf_theme("ggthemes", function() ggthemes::theme_foundation()),
  theme_igray = .pf_theme("ggthemes", function() ggthemes::theme_igray()),
  theme_fivethirtyeight = .pf_theme("ggthemes", function() ggthemes::theme_fivethirtyeight()),
  theme_par = .pf_theme("ggthemes", function() ggthemes::theme_par()),
  theme_base = .pf_theme("ggthemes", function() ggthemes::theme_base()),
  theme_map = .pf_theme("ggthemes", function() ggthemes::theme_map()),
  theme_solid = .pf_theme("ggthemes", function() ggthemes::theme_solid()),
  theme_excel = .pf_theme("ggthemes", function() ggthemes::theme_excel()),
  theme_excel_new = .pf_theme("ggthemes", function() ggthemes::theme_excel_new()),
  theme_solarized = .pf_theme("ggthemes", function() ggthemes::theme_solarized()),
  theme_solarized_2 = .pf_theme("ggthemes", function() ggthemes::theme_solarized_2()),
  theme_clean = .pf_theme("ggthemes", function() ggthemes::theme_clean()),
  theme_gdocs = .pf_theme("ggthemes", function() ggthemes::theme_gdocs()),
  theme_cowplot = .pf_theme("cowplot", function() cowplot::theme_cowplot()),
  theme_half_open = .pf_theme("cowplot", function() cowplot::theme_half_open()),
  theme_minimal_grid = .pf_theme("cowplot", function() cowplot::theme_minimal_grid()),
  theme_minimal_hgrid = .pf_theme("cowplot", function() cowplot::theme_minimal_hgrid()),
  theme_minimal_vgrid = .pf_theme("cowplot", function() cowplot::theme_minimal_vgrid()),
  theme_nothing = .pf_theme("cowplot", function() cowplot::theme_nothing()),
  theme_pubr = .pf_theme("ggpubr", function() ggpubr::theme_pubr()),
  theme_classic2 = .pf_theme("ggpubr", function() ggpubr::theme_classic2()),
  theme_pubclean = .pf_theme("ggpubr", function() ggpubr::theme_pubclean())
)

# The theme object for a name: NULL for "default" or nothing (keep the plot's
# own theme, as Hiplot does); theme_bw, with a message, for a name that is not
# in the table or whose package is not installed.
return_ggplot_theme <- function(theme = "theme_bw") {
  theme <- .pf_string(theme, "default")
  if (theme == "default") {
    return(NULL)
  }
  if (!theme %in% names(.pf_themes)) {
    message("Unknown theme '", theme, "'; using theme_bw")
    return(ggplot2::theme_bw())
  }
  entry <- .pf_themes[[theme]]
  if (!.pf_has_package(entry$pkg)) {
    message("Theme '", theme, "' needs the R package ", entry$pkg, ", which is not installed; using theme_bw")
    return(ggplot2::theme_bw())
  }
  entry$make()
}

choose_ggplot_theme <- function(p, theme = "theme_bw") {
  if (!inherits(p, "ggplot")) {
    return(p)
  }
  chosen <- return_ggplot_theme(theme)
  if (is.null(chosen)) p else p + chosen
}

# Fill and colour scales of general$palette (or paletteCustom), then the
# theme general$theme.
set_palette_theme <- function(p, conf = .pf_global("conf")) {
  palette <- conf$general$palette
  custom <- conf$general$paletteCustom
  p <- p + return_hiplot_palette(palette, custom) + return_hiplot_palette_color(palette, custom)
  choose_ggplot_theme(p, conf$general$theme)
}

# "0, 5;10 20" or [0, 5, 10] -> c(0, 5, 10, 20); empty when nothing numeric.
.pf_breaks <- function(x) {
  parts <- unlist(strsplit(as.character(unlist(x, use.names = FALSE)), "[[:space:],;]+"))
  values <- suppressWarnings(as.numeric(parts[nzchar(parts)]))
  values[!is.na(values)]
}

.pf_legend_position <- function(x) {
  x <- unlist(x, use.names = FALSE)
  if (length(x) == 2L && all(!is.na(suppressWarnings(as.numeric(x))))) {
    return(as.numeric(x))
  }
  .pf_string(x)
}

# The shared "general" panel applied to a ggplot: font family and sizes, a
# centred title, legend position and direction, x-axis text angle and
# justification, and axis breaks. Unset keys leave the theme's own values.
set_complex_general_theme <- function(p, conf = .pf_global("conf")) {
  if (!inherits(p, "ggplot")) {
    return(p)
  }
  g <- conf$general
  p <- p + ggplot2::theme(
    text = ggplot2::element_text(family = .pf_string(g$font)),
    plot.title = ggplot2::element_text(size = .pf_number(g$titleSize), hjust = 0.5),
    axis.title = ggplot2::element_text(size = .pf_number(g$axisTitleSize)),
    axis.text = ggplot2::element_text(size = .pf_number(g$axisTextFontSize)),
    axis.text.x = ggplot2::element_text(
      angle = .pf_number(g$xAxisTextAngle),
      hjust = .pf_number(g$xAxisHjust),
      vjust = .pf_number(g$xAxisVjust)
    ),
    legend.position = .pf_legend_position(g$legendPos),
    legend.direction = .pf_string(g$legendDir),
    legend.title = ggplot2::element_text(size = .pf_number(g$legendTitleSize)),
    legend.text = ggplot2::element_text(size = .pf_number(g$legendTextSize))
  )
  # Hiplot adds the breaks and then xlim(), which silently replaces the
  # breaks; one scale with both keeps what the user asked for.
  xbreaks <- .pf_breaks(g$xbreaks)
  if (length(xbreaks)) {
    p <- p + ggplot2::scale_x_continuous(breaks = xbreaks, limits = range(xbreaks))
  }
  ybreaks <- .pf_breaks(g$ybreaks)
  if (length(ybreaks)) {
    p <- p + ggplot2::scale_y_continuous(breaks = ybreaks, limits = range(ybreaks))
  }
  p
}

position_type <- function(label = c("dodge", "fill", "stack")) {
  label <- match.arg(label)
  switch(label,
    dodge = ggplot2::position_dodge(0.9),
    fill = ggplot2::position_fill(0.9),
    stack = ggplot2::position_stack(0.9)
  )
}

# ---------------------------------------------------------------------------
# Values, files and factors
# ---------------------------------------------------------------------------

# Transforms a form may name. Hiplot builds "<name>(val)" and evaluates it;
# here the name only picks a function from this table.
.pf_transforms <- list(
  none = function(x) x,
  identity = function(x) x,
  log2 = function(x) log2(x),
  log10 = function(x) log10(x),
  log = function(x) log(x),
  ln = function(x) log(x),
  log1p = function(x) log1p(x),
  log2p1 = function(x) log2(x + 1),
  log10p1 = function(x) log10(x + 1),
  "log2(x+1)" = function(x) log2(x + 1),
  "log10(x+1)" = function(x) log10(x + 1),
  "log(x+1)" = function(x) log1p(x),
  sqrt = function(x) sqrt(x),
  exp = function(x) exp(x),
  abs = function(x) abs(x),
  scale = function(x) as.vector(scale(x)),
  "-log10" = function(x) -log10(x),
  "-log2" = function(x) -log2(x),
  "-log" = function(x) -log(x)
)

.pf_arithmetic <- list(
  "+" = function(x, k) x + k,
  "-" = function(x, k) x - k,
  "*" = function(x, k) x * k,
  "/" = function(x, k) x / k,
  "^" = function(x, k) x^k
)

# Apply a transform named by a parameter. Besides the names in the table,
# Hiplot accepts arithmetic with a constant ("+1", "*2", "/100"); that is
# recognised by pattern and applied with the operator's function.
transform_val <- function(transform, val) {
  name <- .pf_string(transform, "")
  if (!nzchar(name)) {
    return(val)
  }
  if (is.character(val)) val <- suppressWarnings(as.numeric(val))
  key <- gsub("[[:space:]]", "", name)
  if (key %in% names(.pf_transforms)) {
    return(.pf_transforms[[key]](val))
  }
  arithmetic <- regmatches(key, regexec("^([-+*/^])([0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?)$", key))[[1]]
  if (length(arithmetic)) {
    return(.pf_arithmetic[[arithmetic[[2]]]](val, as.numeric(arithmetic[[3]])))
  }
  stop(
    sprintf("Unknown transform \"%s\"; use one of: %s, or +k, -k, *k, /k, ^k", name, paste(names(.pf_transforms), collapse = ", ")),
    call. = FALSE
  )
}

# The local path of an uploaded file. The form gives a link (possibly an URL
# ending in "?path=<name>", or a {value, link} entry); only the file name is
# kept, inside the job's upload folder.
parse_file_link <- function(link, upload_dir = .pf_global("upload_dir")) {
  if (is.list(link) && !is.null(link$link) && nzchar(.pf_string(link$link, ""))) {
    link <- link$link
  } else if (is.list(link) && !is.null(link$value)) {
    link <- link$value
  }
  link <- as.character(unlist(link, use.names = FALSE))
  if (is.null(upload_dir) || !nzchar(upload_dir)) {
    stop("parse_file_link(): this run has no upload folder", call. = FALSE)
  }
  vapply(link, function(one) {
    one <- utils::URLdecode(sub("^.*?path=", "", one, perl = TRUE))
    parts <- strsplit(one, "[/\\\\]")[[1]]
    if (!nzchar(one) || ".." %in% parts) {
      stop("parse_file_link(): not a valid uploaded file name: ", one, call. = FALSE)
    }
    file.path(upload_dir, basename(one))
  }, character(1), USE.NAMES = FALSE)
}

.pf_factor <- function(x, levels = NULL, rev = FALSE, sort = FALSE) {
  if (is.null(levels)) {
    levels <- unique(as.character(x))
    levels <- levels[!is.na(levels)]
    if (sort) levels <- sort(levels)
  } else {
    levels <- unique(as.character(unlist(levels, use.names = FALSE)))
  }
  if (rev) levels <- rev(levels)
  factor(x, levels = levels)
}

# Order factor levels as given, else as first seen. Two call shapes:
#   set_factors(data, "group", c("ctrl", "treated"))  a data.frame column
#   set_factors(x, rev = FALSE, sort = FALSE)          Hiplot's: a vector
set_factors <- function(x, col = NULL, levels = NULL, rev = FALSE, sort = FALSE) {
  if (is.data.frame(x)) {
    if (is.null(col)) stop("set_factors(): name the column(s) to turn into factors", call. = FALSE)
    for (name in as.character(unlist(col))) {
      if (!name %in% colnames(x)) stop("set_factors(): no column named '", name, "'", call. = FALSE)
      x[[name]] <- .pf_factor(x[[name]], levels, rev, sort)
    }
    return(x)
  }
  # Hiplot's positional arguments are (x, rev, sort).
  if (is.logical(col)) {
    rev <- col
    col <- NULL
  }
  if (is.logical(levels)) {
    sort <- levels
    levels <- NULL
  }
  .pf_factor(x, levels = if (is.null(levels)) col else levels, rev = rev, sort = sort)
}

colname2data <- function(data) {
  colnames(data) <- paste0("V", seq_len(ncol(data)))
  data
}

capitalize <- function(string) {
  stringr::str_to_title(string)
}

# Hiplot draws maps from its own .rds map files. Reading .rds uploads runs code
# in R 4.2 (CVE-2024-27322) and the map files are not published, so plugins
# that need maps cannot run here yet.
draw_map <- function(...) {
  stop("draw_map() is not available on this server: it needs Hiplot's map data files", call. = FALSE)
}
