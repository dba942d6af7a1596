# Turn anything a plot script can draw into one grob.
#
# ggplotify is not packaged by Debian; 46 Hiplot scripts call its as.ggplot(),
# mostly on a function that draws base graphics, on a pheatmap result or on a
# ComplexHeatmap. This stand-in follows the same calling conventions.

as.grob <- function(plot) {
  UseMethod("as.grob")
}

as.grob.ggplot <- function(plot) {
  # A patchwork is a ggplot too, but only its own method lays out all panels.
  if (inherits(plot, "patchwork") && requireNamespace("patchwork", quietly = TRUE)) {
    return(patchwork::patchworkGrob(plot))
  }
  ggplot2::ggplotGrob(plot)
}

as.grob.grob <- function(plot) plot

as.grob.gList <- function(plot) grid::gTree(children = plot)

as.grob.pheatmap <- function(plot) plot$gtable

as.grob.trellis <- function(plot) grid2grob(print(plot))

# A base-graphics recording (recordPlot()) is translated call by call.
as.grob.recordedplot <- function(plot) {
  grid2grob(gridGraphics::grid.echo(plot))
}

# A function, a one-sided formula (~ barplot(1:10)) or an expression that
# draws. Base graphics are translated with gridGraphics; code that draws with
# grid itself (ComplexHeatmap::draw, grid.draw, print of a ggplot) is grabbed.
as.grob.function <- function(plot) {
  draw <- plot_fun(plot)
  translated <- tryCatch(
    withCallingHandlers(base2grob(draw), warning = function(w) {
      # gridGraphics meets grid drawing on the display list and says so once
      # per operation; that drawing is picked up by the grab below instead.
      if (grepl("unsupported operation on the graphics display list", conditionMessage(w), fixed = TRUE)) {
        invokeRestart("muffleWarning")
      }
    }),
    error = function(e) NULL
  )
  if (!is.null(translated) && !is_empty_grob(translated)) {
    return(translated)
  }
  grid2grob(draw())
}

as.grob.formula <- as.grob.function

as.grob.expression <- as.grob.function

as.grob.default <- function(plot) {
  # ComplexHeatmap's classes are S4; drawing them is how they become grid.
  if (isS4(plot) && requireNamespace("ComplexHeatmap", quietly = TRUE) &&
    (methods::is(plot, "Heatmap") || methods::is(plot, "HeatmapList") ||
      methods::is(plot, "Legends"))) {
    return(grid2grob(ComplexHeatmap::draw(plot)))
  }
  stop(
    "as.grob() cannot convert an object of class ",
    paste(class(plot), collapse = "/"),
    call. = FALSE
  )
}

base2grob <- function(x) {
  old_par <- graphics::par(no.readonly = TRUE)
  on.exit(suppressWarnings(graphics::par(old_par)), add = TRUE)
  grid2grob(gridGraphics::grid.echo(plot_fun(x)))
}

grid2grob <- function(plot_call) {
  grid::grid.grabExpr(plot_call, warn = 0)
}

# gridGraphics echoes a function that drew only grid content as an empty tree.
is_empty_grob <- function(g) {
  inherits(g, "gTree") && length(g$children) == 0L
}

# Wrap whatever was given as a function that draws on the current device, with
# the margins ggplotify uses so axis labels stay inside the panel.
plot_fun <- function(x, envir = parent.frame()) {
  if (is.function(x)) {
    body_fun <- x
  } else if (inherits(x, "formula")) {
    # The right-hand side of ~ barplot(1:10): the script's own code, evaluated
    # where the formula was written. Nothing is parsed from text.
    body_fun <- function() eval(x[[length(x)]], environment(x))
  } else if (is.expression(x)) {
    body_fun <- function() {
      result <- NULL
      for (e in x) result <- eval(e, envir)
      result
    }
  } else {
    stop(
      "Expected a function, a formula or an expression that draws a plot, got ",
      paste(class(x), collapse = "/"),
      call. = FALSE
    )
  }
  function() {
    set_par()
    result <- withVisible(body_fun())
    # Grid-based results returned instead of printed (a ggplot, a grob) are
    # drawn, as print() would have at the console.
    value <- result$value
    if (inherits(value, "ggplot") || inherits(value, "grob") || inherits(value, "trellis")) {
      grid::grid.draw(as.grob(value))
    }
    invisible(value)
  }
}

set_par <- function() {
  graphics::par(xpd = NA, bg = "transparent", oma = c(2, 2, 0, 0), mgp = c(2, 1, 0))
}

grid.draw.function <- function(x, recording = TRUE) {
  old_par <- graphics::par(no.readonly = TRUE)
  on.exit(suppressWarnings(graphics::par(old_par)), add = TRUE)
  plot_fun(x)()
}

grid.draw.formula <- grid.draw.function

grid.draw.expression <- grid.draw.function
