# A rehearsal run in the warm parent (plugin_sdk/runtime/warm.py), once, before any fork.
#
# R loads much of a package lazily, the first time its functions are used: ggplot2's
# internals, grid, scales, the cairo devices, fonts, jsonlite, data.table. A child forked
# from a parent that only attached the packages pays for all of that in every job (about
# 0.7 s for a small ggplot). Drawing one small plot here, the way a job does, lets every
# child inherit it already loaded. Nothing is left behind: files go to R's temporary
# folder and are removed, and nothing is assigned in the global environment.
local({
  prefix <- file.path(tempdir(), "plotforge-rehearsal")
  on.exit(unlink(Sys.glob(paste0(prefix, "*"))))
  table <- paste0(prefix, ".tsv")
  writeLines(c("group\tvalue", "a\t1", "a\t2", "b\t3", "b\t5"), table)
  data <- data.table::fread(table, sep = "\t", header = TRUE, data.table = FALSE, showProgress = FALSE)
  job <- jsonlite::fromJSON(jsonlite::toJSON(list(general = list(title = "rehearsal")), auto_unbox = TRUE),
    simplifyVector = FALSE
  )
  kinds <- c("pdf", "png", if (nzchar(system.file(package = "svglite"))) "svg")
  conf <- list(general = list(imageExportType = kinds, size = list(width = 2, height = 2), font = "Arial"))
  if (nzchar(system.file(package = "ggplot2"))) {
    plot <- ggplot2::ggplot(data, ggplot2::aes(x = .data[["group"]], y = .data[["value"]], fill = .data[["group"]])) +
      ggplot2::geom_boxplot() +
      ggplot2::geom_point() +
      ggplot2::labs(title = job$general$title) +
      ggplot2::theme_bw()
    export_single(plot, opt = list(outputFilePrefix = prefix), conf = conf)
  }
  # Base graphics too, for the scripts that draw with plot() and barplot().
  export_single(function() graphics::barplot(data$value, main = "rehearsal"),
    opt = list(outputFilePrefix = paste0(prefix, "-base")), conf = conf
  )
  invisible(NULL)
})
